"""A check's message: the French text the student reads, with a short code and an English line
for the instructor's reports. Courses build theirs with `Feedback(code, fr, en)`; the machinery's
own (a notebook that could not be run) are below.
"""
from __future__ import annotations

import textwrap

# Shown after "AssertionError: ", a line of this width stays whole in nbgrader's Validate (it cuts
# at 87 columns, 4 of them indent) and in formgrader's and the feedback's tracebacks.
WIDTH = 66


class Feedback(str):
    """A French message that also knows its code and its English line."""

    code: str
    en: str

    def __new__(cls, code: str, fr: str, en: str):
        text = super().__new__(cls, fr)
        text.code, text.en = code, en
        return text


def wrapped(message: str) -> str:
    """A message as a notebook shows it: in lines of at most WIDTH characters, its own line breaks
    kept, its words unchanged (the records keep it on one line)."""
    return "\n".join(textwrap.fill(line, WIDTH) if line.strip() else line for line in str(message).split("\n"))


def no_output(detail_fr: str, detail_en: str | None = None) -> Feedback:
    return Feedback("no_output", f"Le notebook n'a pas pu être exécuté jusqu'au bout par le correcteur ({detail_fr}).",
                    f"the notebook could not be run to the end ({detail_en or detail_fr})")


# Messages every course's checks can use (a course's MESSAGES extends them).
COMMON_MESSAGES = {
    # code: (French for the student, English for the instructor)
    "not_done": (
        "La cellule `{cell}` lève encore `NotImplementedError` : remplace la ligne "
        "`raise NotImplementedError(...)` par ton code.",
        "cell {cell} still raises NotImplementedError (not attempted)"),
    "missing": (
        "`{name}` n'est pas défini après l'exécution du notebook : vérifie que la cellule `{cell}` le définit "
        "et ne lève pas d'erreur.",
        "{name} is not defined after the notebook ran"),
    "not_a_number": (
        "{what} doit renvoyer {expected}, mais renvoie {got}.",
        "{what} returns {got} instead of {expected}"),
    "wrong_value": (
        "{what} : on attend {expected}, ton code donne {got}.",
        "{what}: expected {expected}, got {got}"),
}

GENERIC_CAUSES = {
    "no_output": "the notebook could not be run to the end",
    "visible_test": "a visible test of the cell fails (the hidden check passes)",
    "error": "the check failed without a known cause",
    "": "other (no cause recorded)",
}


def run_check(course, step: str, check: str, tirage: dict, observation: dict) -> str | None:
    """None when the check passes, else its message (a `Feedback` when the cause is known)."""
    try:
        course.checks[step][check](tirage, observation)
    except AssertionError as exc:
        return exc.args[0] if exc.args else "échec"
    except Exception as exc:  # an observation that is not what the observer writes
        return no_output(f"observation illisible ({type(exc).__name__})")
    return None
