"""What each student got on each check, read from what nbgrader left behind:

- the points, from the gradebook (`table.read_scores`);
- the message the student was shown, from the test cell's error in the autograded notebook;
- the cause, from that message (`causes.cause_of`), or else from the hidden check itself
  (`autograder.checks.run_check`) run on the observer's replay of the notebook in the sandbox,
  which also gives the student's training curve for the plots.
"""
from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ..checks import run_check
from ..course import ASSIGNMENT, STEPS, Step
from ..draws import draw
from ..observe import cells_from_notebook
from ..sandbox import ObserverFailed, observe_in_subprocess
from .causes import cause_of
from .table import read_scores

DRAW_SEED = 2026  # the pages are reproducible: the same draw every time they are written


@dataclass(frozen=True)
class CheckOutcome:
    check: str
    score: float
    max_score: float
    message: str | None = None     # what the test cell said when it failed (nbgrader's output)
    cause: str | None = None       # a code of autograder.checks.feedback.MESSAGES
    diagnosis: str | None = None   # the hidden check's own French message, when it adds to `message`

    @property
    def passed(self) -> bool:
        return self.score >= self.max_score


@dataclass
class NotebookOutcome:
    student: str
    step: Step
    checks: list[CheckOutcome]
    history: list[tuple[float, float]] | None = None   # the student's (w, L) per iteration
    observer_error: str | None = None

    @property
    def score(self) -> float:
        return sum(c.score for c in self.checks)

    @property
    def max_score(self) -> float:
        return sum(c.max_score for c in self.checks)


def _text(source) -> str:
    return "".join(source) if isinstance(source, list) else str(source or "")


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
                messages[meta["grade_id"]] = _text(output.get("text")).strip()
                break
    return messages


def _observe(step: Step, notebook: dict) -> tuple[dict | None, str | None]:
    try:
        return observe_in_subprocess(step.name, cells_from_notebook(notebook), draw(step.name, DRAW_SEED)), None
    except ObserverFailed as exc:
        return None, str(exc)


def _history(observation: dict | None) -> list[tuple[float, float]] | None:
    if not observation:
        return None
    snapshot = observation["runs"][0]["snapshots"].get("entrainement") or {}
    history = snapshot.get("historique")
    return [(float(w), float(L)) for w, L in history] if history else None


def notebook_outcome(course_dir: Path, student: str, step: Step,
                     scores: dict[tuple[str, str], tuple[float, float]], replay: bool = True) -> NotebookOutcome:
    """Without `replay`, only the gradebook and the notebook are read: no cause beyond the
    message, no curve (fast)."""
    path = course_dir / "autograded" / student / ASSIGNMENT / step.filename
    notebook = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {"cells": []}
    messages = shown_messages(notebook)
    observation, observer_error = None, None
    if replay:
        observation, observer_error = _observe(step, notebook) if path.exists() else (None, "not autograded")
    checks = []
    for check in step.checks:
        score, most = scores.get((step.notebook, check), (0.0, 0.0))
        message = messages.get(check)
        if score >= most:
            checks.append(CheckOutcome(check, score, most))
            continue
        hidden = run_check(step.name, check, draw(step.name, DRAW_SEED), observation) if observation else None
        cause = cause_of(message) or cause_of(hidden)
        diagnosis = str(hidden) if hidden and cause_of(hidden) != cause_of(message) else None
        checks.append(CheckOutcome(check, score, most, message or "(aucun message)", cause, diagnosis))
    return NotebookOutcome(student, step, checks, _history(observation), observer_error)


def class_outcomes(course_dir: Path, students: list[str] | None = None, jobs: int = 2,
                   replay: bool = True) -> dict[str, list[NotebookOutcome]]:
    """{student: [NotebookOutcome per step]} for every graded student of the gradebook."""
    course_dir = Path(course_dir).resolve()
    scores = read_scores(f"sqlite:///{course_dir / 'gradebook.db'}")
    students = sorted(scores) if students is None else students
    def one(job: tuple[str, Step]) -> NotebookOutcome:
        student, step = job
        return notebook_outcome(course_dir, student, step, scores.get(student, {}), replay)

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        done = list(pool.map(one, [(s, step) for s in students for step in STEPS.values()]))
    out: dict[str, list[NotebookOutcome]] = {s: [] for s in students}
    for outcome in done:
        out[outcome.student].append(outcome)
    return out
