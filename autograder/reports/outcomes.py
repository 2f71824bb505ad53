"""What each student got on each check, read from what grading left behind, nothing run again:

- the points, from the gradebook (`table.read_scores`);
- the message, the cause code and the training curve, from the notebook's record
  (`autograder.records`), written by whichever grader graded it;
- for a test cell whose hidden check passed but whose visible part failed, the message the
  student was shown, from the test cell's output in the autograded notebook.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from .. import records
from ..course import Step, load
from ..grader.decide import VISIBLE_TEST
from ..nbgrader_settings import gradebook_url
from ..observe.cells import joined
from .table import read_scores


@dataclass(frozen=True)
class CheckOutcome:
    check: str
    score: float
    max_score: float
    message: str | None = None     # what the student was told when it failed (French)
    cause: str | None = None       # the check's Feedback code, or VISIBLE_TEST

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

    @property
    def score(self) -> float:
        return sum(c.score for c in self.checks)

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


def notebook_outcome(course_dir: Path, student: str, step: Step,
                     scores: dict[tuple[str, str], tuple[float, float]]) -> NotebookOutcome:
    path = Path(course_dir) / "autograded" / student / step.assignment / step.filename
    record = records.read(records.path_for(path)) or records.new_record(step.name, "")
    shown = None
    checks = []
    for check in step.checks:
        score, most = scores.get((step.notebook, check), (0.0, 0.0))
        if score >= most:
            checks.append(CheckOutcome(check, score, most))
            continue
        entry = record["checks"].get(check)
        if entry and not entry["passed"]:
            checks.append(CheckOutcome(check, score, most, entry["fr"] or "(aucun message)", entry["code"] or None))
            continue
        shown = _shown(path) if shown is None else shown
        checks.append(CheckOutcome(check, score, most, shown.get(check) or "(aucun message)",
                                   VISIBLE_TEST if entry else None))
    curve = [(w, L) for w, L in record["curve"]] if record["curve"] else None
    problem = (record["problem"] or {}).get("en")
    return NotebookOutcome(student, step, checks, curve, problem)


def class_outcomes(course_dir: Path, assignment: str,
                   students: list[str] | None = None) -> dict[str, list[NotebookOutcome]]:
    """{student: [NotebookOutcome per step]} for every graded student of the gradebook."""
    course_dir = Path(course_dir).resolve()
    scores = read_scores(gradebook_url(course_dir), assignment)
    students = sorted(scores) if students is None else students
    return {s: [notebook_outcome(course_dir, s, step, scores.get(s, {})) for step in load(assignment).steps.values()]
            for s in students}
