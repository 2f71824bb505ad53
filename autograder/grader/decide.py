"""Decide each test cell of a notebook, in the grader's process, from plain data.

A test cell scores its points iff its visible part passed (as nbgrader would run it in the
student's kernel) and its hidden check passed (`run_check`, the checks' one definition).
"""
from __future__ import annotations

from dataclasses import dataclass

from ..checks import run_check
from ..checks.feedback import Feedback, feedback
from ..course import STEPS

MAX_MESSAGE = 1500


@dataclass(frozen=True)
class Decision:
    grade_id: str
    passed: bool
    ename: str = ""           # the error shown in the feedback: AssertionError for a hidden check
    message: str = ""         # French, for the student
    english: str = ""         # for the instructor

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def _english(message: str) -> str:
    return message.en if isinstance(message, Feedback) else message


def failure_decisions(step: str, grade_ids: list[str], problem_fr: str, problem_en: str) -> list[Decision]:
    """Every test cell fails: the notebook could not be observed (timeout, crash, garbled result)."""
    message = feedback("no_output", detail=problem_fr)
    return [Decision(g, False, "AssertionError", str(message), problem_en) for g in grade_ids]


def decide(step: str, grade_ids: list[str], tirage: dict, observation: dict) -> list[Decision]:
    """One decision per test cell of the notebook, in the order given."""
    try:
        visible = observation["runs"][0]["visible_tests"]
        if not isinstance(visible, dict):
            raise TypeError
    except (KeyError, IndexError, TypeError):
        visible = {}
    checks = STEPS[step].checks
    out = []
    for grade_id in grade_ids:
        hidden = run_check(step, grade_id, tirage, observation) if grade_id in checks else None
        seen = visible.get(grade_id)
        seen = seen if isinstance(seen, dict) else {"passed": False, "error": {
            "type": "AssertionError", "message": "La cellule de test n'a pas été exécutée."}}
        if hidden is not None:
            out.append(Decision(grade_id, False, "AssertionError", str(hidden)[:MAX_MESSAGE], _english(hidden)))
        elif seen.get("passed") is not True:
            error = seen.get("error") if isinstance(seen.get("error"), dict) else {}
            ename = str(error.get("type") or "AssertionError")[:100]
            text = str(error.get("message") or "")[:MAX_MESSAGE]
            out.append(Decision(grade_id, False, ename, text, f"visible test fails: {ename}: {text}"[:300]))
        else:
            out.append(Decision(grade_id, True))
    return out
