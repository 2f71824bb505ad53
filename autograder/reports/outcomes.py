"""What each student got on each check, read from what grading left behind, nothing run again:

- the points, and the instructor's manual scores and comments made in formgrader, from the
  gradebook (`table.read_grades`);
- the message, the cause code and the training curve, from the notebook's record
  (`autograder.records`), written by whichever grader graded it;
- for a test cell whose hidden check passed but whose visible part failed, the message the
  student was shown, from the test cell's output in the autograded notebook.
"""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .. import records
from ..course import Step, load
from ..grader.decide import VISIBLE_TEST
from ..nbgrader_settings import gradebook_url
from ..observe.cells import joined
from .table import CellGrade, GradedSubmission, read_grades


@dataclass(frozen=True)
class CheckOutcome:
    check: str
    score: float
    max_score: float
    message: str | None = None     # what the student was told when it failed (French)
    cause: str | None = None       # the check's Feedback code, or VISIBLE_TEST
    manual: bool = False           # the score is the instructor's (formgrader), not the autograder's
    auto_passed: bool | None = None   # with a manual score: what the autograder had decided
    extra_credit: float = 0.0      # the instructor's extra credit, included in score
    comment: str | None = None     # the instructor's comment on the test cell (formgrader)

    @property
    def passed(self) -> bool:
        return self.score >= self.max_score


@dataclass
class NotebookOutcome:
    student: str
    step: Step
    checks: list[CheckOutcome]
    history: list[tuple[float, float]] | None = None   # the student's (w, L) per iteration
    problem: str | None = None                         # English: why the notebook could not be run
    comments: dict[str, str] = field(default_factory=dict)   # answer cell: the instructor's comment
    autograded: bool = True                            # an autograded notebook exists (graded, not skipped)
    late_penalty: float = 0.0                          # nbgrader's, for a late submission

    @property
    def score(self) -> float:
        return sum(c.score for c in self.checks)

    @property
    def final_score(self) -> float:
        """The score less the late penalty, as `nbgrader export` counts a notebook."""
        return max(0.0, self.score - self.late_penalty)

    @property
    def max_score(self) -> float:
        return sum(c.max_score for c in self.checks)


def shown_messages(notebook: dict) -> dict[str, str]:
    """{grade_id: what the failing test cell printed}: its error, or what it wrote on stderr."""
    messages = {}
    for cell in notebook.get("cells", []):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.get("cell_type") != "code" or not meta.get("grade"):
            continue
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                value = output.get("evalue") or ""
                name = output.get("ename", "Error")
                messages[meta["grade_id"]] = value if name == "AssertionError" and value else \
                    f"{name}: {value}" if value else name
                break
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                messages[meta["grade_id"]] = joined(output.get("text")).strip()
                break
    return messages


def _shown(path: Path) -> dict[str, str]:
    try:
        return shown_messages(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, AttributeError, TypeError):
        return {}


def _failure(record: dict, check: str, shown: Callable[[], dict[str, str]]) -> tuple[str, str | None]:
    """(the French message the student was shown, its cause) for a check the autograder failed."""
    entry = record["checks"].get(check)
    if entry and not entry["passed"]:
        return entry["fr"] or "(aucun message)", entry["code"] or None
    return shown().get(check) or "(aucun message)", VISIBLE_TEST if entry else None


def notebook_outcome(course_dir: Path, student: str, step: Step, graded: GradedSubmission | None) -> NotebookOutcome:
    path = Path(course_dir) / "autograded" / student / step.assignment / step.filename
    record = records.read(records.path_for(path)) or records.new_record(step.name, "")
    graded = graded or GradedSubmission({}, {})
    shown = functools.cache(lambda: _shown(path))
    checks = []
    for check in step.checks:
        grade = graded.cells.get((step.notebook, check), CellGrade(0.0, 0.0))
        automatic = grade.auto_score if grade.auto_score is not None else grade.score - grade.extra_credit
        message, cause = _failure(record, check, shown) if automatic < grade.max_score else (None, None)
        checks.append(CheckOutcome(check, grade.score, grade.max_score, message, cause, grade.manual,
                                   automatic >= grade.max_score if grade.manual else None, grade.extra_credit,
                                   graded.comments.get((step.notebook, check))))
    answers = {cell: text for (notebook, cell), text in graded.comments.items()
               if notebook == step.notebook and cell not in step.checks}
    curve = [(w, L) for w, L in record["curve"]] if record["curve"] else None
    problem = (record["problem"] or {}).get("en")
    return NotebookOutcome(student, step, checks, curve, problem, answers, path.is_file(),
                           graded.late_penalties.get(step.notebook, 0.0))


def class_outcomes(course_dir: Path, assignment: str, students: list[str] | None = None,
                   graded_only: bool = False) -> dict[str, list[NotebookOutcome]]:
    """{student: [NotebookOutcome per step]} for every student with a submission in the gradebook,
    or for those of `students` (those of them with a submission when `graded_only`)."""
    course_dir = Path(course_dir).resolve()
    graded = read_grades(gradebook_url(course_dir), assignment, students)
    if students is None:
        students = sorted(graded)
    elif graded_only:
        students = [s for s in students if s in graded]
    return {s: [notebook_outcome(course_dir, s, step, graded.get(s)) for step in load(assignment).steps.values()]
            for s in students}
