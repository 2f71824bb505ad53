"""The class's grade table, read from nbgrader's gradebook."""
from __future__ import annotations

from dataclasses import dataclass, field

from nbgrader.api import Gradebook, MissingEntry

from ..course import Course
from ..text import printable


@dataclass(frozen=True)
class CellGrade:
    """A graded cell as nbgrader holds it. `score` is nbgrader's `Grade.score`: the instructor's
    manual score when formgrader set one, else the autograder's, plus any extra credit."""
    score: float
    max_score: float
    auto_score: float | None = None
    manual: bool = False              # formgrader's manual score overrides the autograder's
    extra_credit: float = 0.0


@dataclass
class GradedSubmission:
    cells: dict[tuple[str, str], CellGrade]     # (notebook, grade_id) of each graded cell
    comments: dict[tuple[str, str], str]        # (notebook, grade_id): the instructor's comment (formgrader)
    late_penalties: dict[str, float] = field(default_factory=dict)   # notebook: nbgrader's late penalty, if any


def read_grades(db_url: str, assignment: str, students: list[str] | None = None) -> dict[str, GradedSubmission]:
    """{student: their submission's grades and instructor's comments}, for every student of the
    gradebook with a submission (or those of `students`)."""
    graded: dict[str, GradedSubmission] = {}
    with Gradebook(db_url) as gb:
        ids = [s.id for s in gb.students] if students is None else students
        for student in ids:
            try:
                submission = gb.find_submission(assignment, student)
            except MissingEntry:
                continue
            cells, comments, penalties = {}, {}, {}
            for notebook in submission.notebooks:
                if notebook.late_submission_penalty:
                    penalties[notebook.name] = float(notebook.late_submission_penalty)
                for grade in notebook.grades:
                    cells[(notebook.name, grade.name)] = CellGrade(
                        float(grade.score), float(grade.max_score),
                        None if grade.auto_score is None else float(grade.auto_score),
                        grade.manual_score is not None, float(grade.extra_credit or 0.0))
                for comment in notebook.comments:
                    if comment.manual_comment and comment.manual_comment.strip():
                        comments[(notebook.name, comment.name)] = comment.manual_comment
            graded[student] = GradedSubmission(cells, comments, penalties)
    return graded


def read_scores(db_url: str, assignment: str) -> dict[str, dict[tuple[str, str], tuple[float, float]]]:
    """{student: {(notebook, grade_id): (score, max_score)}} for every graded test cell."""
    return {student: {cell: (grade.score, grade.max_score) for cell, grade in submission.cells.items()}
            for student, submission in read_grades(db_url, assignment).items()}


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
