"""Name the cause of a failed check from the French message the student was shown.

The messages come from one place, `autograder.checks.feedback.MESSAGES`; a message that nbgrader
stored in an autograded notebook is matched back to its code by the opening words of each
template (a visible test may word the rest a little differently, or with other numbers).
"""
from __future__ import annotations

import re

from ..checks.feedback import MESSAGES

# Where the opening words of a template end: the first " : ", " ; " or end of sentence.
_OPENING_END = re.compile(r" [:;] |\. ")
_MIN_LITERAL = 15  # an opening made mostly of placeholders says nothing: use the whole template


def _plain(text: str) -> str:
    """Without backticks and with single spaces, so that `np.dot` and np.dot read the same."""
    return re.sub(r"\s+", " ", text.replace("`", "")).strip()


def _pattern(template: str) -> re.Pattern:
    parts = re.split(r"\{\w+\}", _plain(template))
    return re.compile(".+?".join(re.escape(p) for p in parts), re.S)


def _opening(template: str) -> str:
    plain = _plain(template)
    end = _OPENING_END.search(plain)
    opening = plain[:end.start()] if end else plain
    literal = re.sub(r"\{\w+\}", "", opening)
    return opening if len(literal) >= _MIN_LITERAL else plain


_WHOLE = {code: _pattern(fr) for code, (fr, _) in MESSAGES.items()}
_OPENINGS = {code: _pattern(_opening(fr)) for code, (fr, _) in MESSAGES.items()}


def cause_of(message: str | None) -> str | None:
    """The code of `autograder.checks.feedback.MESSAGES` that `message` was written from, or None."""
    if not message:
        return None
    code = getattr(message, "code", None)
    if code:
        return code
    text = _plain(message)
    for patterns in (_WHOLE, _OPENINGS):
        for code, pattern in patterns.items():
            if pattern.match(text):
                return code
    return None


_GENERIC = {
    "not_done": "not attempted (the stub still raises NotImplementedError)",
    "missing": "a name the checks need is not defined after the run",
    "error": "a cell raises an error",
    "not_a_number": "a function returns something that is not a number",
    "wrong_value": "wrong value (no known mistake recognised)",
    "not_linear_model": "model is not nn.Linear(input_size, output_size)",
    "optimizer": "optimizer is not SGD over the parameters with lr=learning_rate",
}


def english(code: str | None) -> str:
    """The instructor's short English description of a cause."""
    if code is None:
        return "other (the message names no known cause)"
    if code in _GENERIC:
        return _GENERIC[code]
    return re.sub(r"\s*\(?\{\w+\}\)?", "", MESSAGES[code][1]).strip(" :(") or code
