"""Run a notebook's code again, as a kernel runs it, in a fresh namespace, with its locked data
cells replaced."""
from __future__ import annotations

import re
import sys
import warnings
from dataclasses import dataclass, field
from typing import Callable

from ..course import Step
from .cells import Cell
from .shell import Outputs, captured, describe, kernel_like_shell

MAX_WARNINGS = 50
TEXT_ONLY = ["text/plain"]

HIDDEN_MARK = "### BEGIN HIDDEN TESTS"
HIDDEN_REGION = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS.*?(^[ \t]*### END HIDDEN TESTS[^\n]*\n?|\Z)", re.M | re.S)


def visible_part(source: str) -> str:
    """A cell's source without its hidden test regions, wherever they stand (as nbgrader's
    ClearHiddenTests removes them); an unclosed region is cut off to the end."""
    return HIDDEN_REGION.sub("", source)


@dataclass
class Replay:
    namespace: dict
    errors: list[dict] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)
    snapshots: dict[str, dict] = field(default_factory=dict)
    visible_tests: dict[str, dict] = field(default_factory=dict)
    cells: list[dict | None] | None = None   # recorded run: per code cell, its execution count and outputs

    def data(self) -> dict:
        out = {"errors": self.errors, "warnings": self.warnings, "snapshots": self.snapshots,
               "visible_tests": self.visible_tests}
        if self.cells is not None:
            out["cells"] = self.cells
        return out


def snapshot_name(test_grade_id: str | None) -> str | None:
    """The snapshot a test cell stands for: `test_entrainement` -> `entrainement`."""
    return test_grade_id[len("test_"):] if test_grade_id and test_grade_id.startswith("test_") else None


def _sections(cells: list[Cell]) -> list[str | None]:
    """For each cell, the snapshot name of the first test cell at or after it (None past the last):
    an error in a cell counts against the check that comes next."""
    out, current = [], None
    for cell in reversed(cells):
        if cell.role == "test":
            current = snapshot_name(cell.grade_id)
        out.append(current)
    return out[::-1]


def replay(step: Step, cells: list[Cell], scenario: dict,
           snapshot: dict[str, Callable[[dict], dict]] | None = None, record: bool = False) -> Replay:
    """Execute `cells` in order, as a kernel would, with each data cell of `step` rendered from
    `scenario`. Snapshot `name` (a key of `snapshot`) is what that function reads from the
    namespace just before the test cell `test_<name>` runs (at the end, if there is none).

    With `record` (the notebook's own run), every cell runs, the visible part of each test cell
    too (whether it passed is kept), and each other cell's outputs are kept. Otherwise test
    cells and the step's display-only cells are left out and no output is kept."""
    snapshot = snapshot or {}
    shell = kernel_like_shell()
    result = Replay(namespace=shell.fresh_namespace())
    outputs = Outputs() if record else None
    shell.display_formatter.active_types = list(shell.display_formatter.format_types) if record else TEXT_ONLY
    cells_out: list[dict | None] = []
    sections = _sections(cells)

    def warned(category: str, message: str) -> None:
        if len(result.warnings) < MAX_WARNINGS:
            result.warnings.append({"category": category[:100], "message": message[:300]})

    def take(name: str) -> None:
        if name in snapshot and name not in result.snapshots:
            try:
                result.snapshots[name] = snapshot[name](result.namespace)
            except BaseException as exc:
                result.snapshots[name] = {"error": describe(exc)}

    figures = _figures()
    with captured(shell, warned):
        for index, cell in enumerate(cells):
            cells_out.append(None)
            if cell.role == "test":
                take(snapshot_name(cell.grade_id))
                if record and cell.grade_id:
                    count, error, _ = shell.run(visible_part(cell.source))
                    result.visible_tests[cell.grade_id] = {"passed": True} if error is None else \
                        {"passed": False, "error": error}
                    cells_out[-1] = {"execution_count": count, "test": True}
                continue
            if not record and cell.grade_id in step.display_cells:
                continue
            source = cell.source
            if cell.role == "locked" and cell.grade_id in step.data_cells:
                source = step.data_source(cell.grade_id, scenario)
            count, error, kept = shell.run(source, outputs)
            if error is not None:
                result.errors.append({"cell": cell.grade_id or f"cellule {index + 1}", "section": sections[index],
                                      **error})
            if record:
                cells_out[-1] = {"execution_count": count, "outputs": kept}
        for name in snapshot:
            take(name)
    _close_figures_since(figures)
    if record:
        result.cells = cells_out
    return result


def _figures() -> set | None:
    pyplot = sys.modules.get("matplotlib.pyplot")
    return set(pyplot.get_fignums()) if pyplot is not None else None


def _close_figures_since(before: set | None) -> None:
    """Figures a replay left open are closed, so that no later run (nor a kernel's own end of
    cell) shows them."""
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is None:
        return
    for number in set(pyplot.get_fignums()) - (before or set()):
        pyplot.close(number)


def call(fn: Callable, *args) -> dict:
    """Call a student function; return {"value": ...} or {"error": ...}, plus its warnings."""
    from .plain import plain

    shell = kernel_like_shell()
    caught: list[str] = []
    with captured(shell, lambda category, message: caught.append(message[:300])):
        warnings.simplefilter("always")
        try:
            out = {"value": plain(fn(*args))}
        except BaseException as exc:
            out = {"error": describe(exc)}
    if caught:
        out["warnings"] = caught[:5]
    return out


def missing(name: str) -> dict:
    """What calling an undefined name gives, in `call`'s shape."""
    return {"error": {"type": "NameError", "message": f"name '{name}' is not defined"}}


def call_named(ns: dict, name: str, *args) -> dict:
    """The notebook's function `name` called on `args`: {"value": ...} or {"error": ...}."""
    return call(ns[name], *args) if callable(ns.get(name)) else missing(name)
