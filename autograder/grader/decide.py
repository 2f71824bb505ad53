"""Decide each test cell of a notebook, in the grader's process, from plain data.

A test cell scores its points iff its visible part passed (as nbgrader would run it in the
student's kernel) and its hidden check passed (`run_check`, the checks' one definition).
"""
from __future__ import annotations

from dataclasses import dataclass

from ..course import load
from ..feedback import Feedback, no_output, run_check

MAX_MESSAGE = 1500
VISIBLE_TEST = "visible_test"   # the cause code of a test cell whose hidden check passed but visible part failed

# Why a notebook's run gave no observation, by the sandbox's code: (French, English).
SANDBOX_PROBLEMS = {
    "timeout": ("le notebook n'a pas fini dans le temps imparti ; une boucle infinie ?",
                "the notebook did not finish in time (killed)"),
    "killed": ("le processus du notebook s'est arrêté avant la fin (mémoire, temps de calcul ou sortie forcée)",
               "the notebook's process was killed (memory, CPU time or a forced exit)"),
    "no_result": ("le processus du notebook s'est arrêté avant la fin (mémoire, temps de calcul ou sortie forcée)",
                  "the notebook's process ended without a result"),
    "notebook_too_large": ("le notebook est trop volumineux pour être corrigé", "the notebook is too large to be graded"),
    "result_too_large": ("le résultat de l'exécution n'est pas exploitable", "the result is larger than any honest one"),
    "garbled": ("le résultat de l'exécution n'est pas exploitable", "the result is not an observation"),
    "sandbox_failed": ("le correcteur n'a pas pu exécuter le notebook", "the sandbox failed"),
}


@dataclass(frozen=True)
class Decision:
    grade_id: str
    passed: bool
    code: str = ""            # why it failed: the check's Feedback code, or VISIBLE_TEST
    ename: str = ""           # the error shown in the feedback: AssertionError for a hidden check
    message: str = ""         # French, for the student
    english: str = ""         # for the instructor

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def failure_decisions(step: str, grade_ids: list[str], problem_fr: str, problem_en: str) -> list[Decision]:
    """Every test cell fails: the notebook could not be observed (timeout, crash, garbled result)."""
    message = no_output(problem_fr)
    return [Decision(g, False, "no_output", "AssertionError", str(message), problem_en) for g in grade_ids]


def sandbox_failure(step: str, grade_ids: list[str], answer: dict) -> tuple[list[Decision], str]:
    """The decisions for a notebook whose run gave no observation, and the English problem."""
    code = answer.get("code") if answer.get("code") in SANDBOX_PROBLEMS else "sandbox_failed"
    french, english = SANDBOX_PROBLEMS[code]
    detail = str(answer.get("error") or english)[:300]
    return failure_decisions(step, grade_ids, french, detail), f"could not be run to the end: {detail}"


def decide(step: str, grade_ids: list[str], tirage: dict, observation: dict) -> list[Decision]:
    """One decision per test cell of the notebook, in the order given (the draw names the course)."""
    try:
        visible = observation["runs"][0]["visible_tests"]
        if not isinstance(visible, dict):
            raise TypeError
    except (KeyError, IndexError, TypeError):
        visible = {}
    course = load(tirage["assignment"])
    checks = course.steps[step].checks
    out = []
    for grade_id in grade_ids:
        hidden = run_check(course, step, grade_id, tirage, observation) if grade_id in checks else None
        seen = visible.get(grade_id)
        seen = seen if isinstance(seen, dict) else {"passed": False, "error": {
            "type": "AssertionError", "message": "La cellule de test n'a pas été exécutée."}}
        if hidden is not None:
            code = hidden.code if isinstance(hidden, Feedback) else "error"
            english = hidden.en if isinstance(hidden, Feedback) else str(hidden)
            out.append(Decision(grade_id, False, code, "AssertionError", str(hidden)[:MAX_MESSAGE], english))
        elif seen.get("passed") is not True:
            error = seen.get("error") if isinstance(seen.get("error"), dict) else {}
            ename = str(error.get("type") or "AssertionError")[:100]
            text = str(error.get("message") or "")[:MAX_MESSAGE]
            out.append(Decision(grade_id, False, VISIBLE_TEST, ename, text, f"visible test fails: {ename}: {text}"[:300]))
        else:
            out.append(Decision(grade_id, True))
    return out
