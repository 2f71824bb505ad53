"""The hidden checks: one definition each, used by nbgrader's hidden cells, by
`pytest autograder --notebook`, and by the kit's own grader.

A check is `test_<name>(tirage, observation)`: `tirage` is the grader's draw
(`autograder.draws.draw`), `observation` what `autograder.observe.observe` read from the
student's notebook. It passes, or raises AssertionError with a French message.
"""
from __future__ import annotations

from . import etape1, etape2, etape3, etape4
from ..course import STEPS
from .feedback import feedback

_MODULES = {"etape1": etape1, "etape2": etape2, "etape3": etape3, "etape4": etape4}

CHECKS = {name: {check: getattr(_MODULES[name], check) for check in step.checks}
          for name, step in STEPS.items()}

# simulate(scenario, variant) -> the values a loop reaches (w, L) or (w, b, L), from the reference
SIMULATE = {"etape1": etape1.simulate, "etape2": etape1.simulate, "etape3": etape1.simulate,
            "etape4": etape4.simulate}


def run_check(step: str, check: str, tirage: dict, observation: dict) -> str | None:
    """None when the check passes, else its message (a `feedback.Feedback` when the cause is known)."""
    try:
        CHECKS[step][check](tirage, observation)
    except AssertionError as exc:
        return exc.args[0] if exc.args else "échec"
    except Exception as exc:  # an observation that is not what the observer writes
        return feedback("no_output", detail=f"observation illisible ({type(exc).__name__})")
    return None
