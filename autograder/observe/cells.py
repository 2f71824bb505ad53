"""A notebook as the replay sees it: code cells with their nbgrader role."""
from __future__ import annotations

from dataclasses import dataclass

# The kinds of rich output a cell's recorded run keeps (no script: outputs are untrusted).
MIME_TYPES = ("text/plain", "text/html", "text/markdown", "text/latex", "image/png", "image/jpeg", "image/svg+xml")


@dataclass(frozen=True)
class Cell:
    source: str
    grade_id: str | None = None
    role: str = "student"  # "solution", "test", "locked" or "student" (a cell with no nbgrader role)

    def to_dict(self) -> dict:
        return {"source": self.source, "grade_id": self.grade_id, "role": self.role}

    @classmethod
    def from_dict(cls, d: dict) -> "Cell":
        return cls(source=str(d["source"]), grade_id=d.get("grade_id"), role=str(d.get("role", "student")))


def joined(text) -> str:
    """A notebook's multi-line string (a list of lines, or one string) as one string."""
    return "".join(text) if isinstance(text, list) else str(text or "")


def source_text(cell: dict) -> str:
    return joined(cell.get("source", ""))


def cells_from_notebook(nb: dict) -> list[Cell]:
    """The code cells of an nbformat-4 notebook dict, in order."""
    cells = []
    for cell in nb.get("cells", []):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        meta = (cell.get("metadata") or {}).get("nbgrader") or {}
        if meta.get("solution"):
            role = "solution"
        elif meta.get("grade"):
            role = "test"
        elif meta.get("locked"):
            role = "locked"
        else:
            role = "student"
        cells.append(Cell(source=source_text(cell), grade_id=meta.get("grade_id"), role=role))
    return cells
