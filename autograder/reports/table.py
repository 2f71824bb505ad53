"""The class's grade table, read from nbgrader's gradebook."""
from __future__ import annotations

from nbgrader.api import Gradebook, MissingEntry

from ..course import Course
from ..text import printable


def read_scores(db_url: str, assignment: str) -> dict[str, dict[tuple[str, str], tuple[float, float]]]:
    """{student: {(notebook, grade_id): (score, max_score)}} for every graded test cell."""
    scores: dict[str, dict] = {}
    with Gradebook(db_url) as gb:
        for student in gb.students:
            try:
                submission = gb.find_submission(assignment, student.id)
            except MissingEntry:
                continue
            cells = scores.setdefault(student.id, {})
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    cells[(notebook.name, grade.name)] = (float(grade.score), float(grade.max_score))
    return scores


def format_table(scores: dict[str, dict[tuple[str, str], tuple[float, float]]], course: Course) -> str:
    """A plain-text table: one line per student, points per notebook, total, failing checks."""
    notebooks = [s.notebook for s in course.steps.values()]
    heads = ["student"] + [f"{s.name}" for s in course.steps.values()] + ["total", "failed checks"]
    rows = []
    for student in sorted(scores):
        cells = scores[student]
        per_nb = []
        for nb in notebooks:
            got = sum(v[0] for (n, _), v in cells.items() if n == nb)
            most = sum(v[1] for (n, _), v in cells.items() if n == nb)
            per_nb.append(f"{got:g}/{most:g}")
        total = sum(v[0] for v in cells.values())
        most = sum(v[1] for v in cells.values())
        failed = [f"{n.split('_')[0]}:{g}" for (n, g), (got, mx) in sorted(cells.items()) if got < mx]
        rows.append([printable(student, 200)] + per_nb + [f"{total:g}/{most:g}", " ".join(failed) or "-"])
    widths = [max(len(str(r[i])) for r in rows + [heads]) for i in range(len(heads) - 1)]
    lines = []
    for row in [heads] + rows:
        lines.append("  ".join(str(c).ljust(w) for c, w in zip(row, widths)) + "  " + row[-1])
    return "\n".join(lines)
