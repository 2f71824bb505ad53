"""The hidden checks: one definition each, used by nbgrader's hidden cells, by
`pytest autograder --notebook`, and by the kit's own grader.

A check is `test_<name>(tirage, observation)`: `tirage` is the grader's draw (`..draws.draw`),
`observation` what `..observe.observe` read from the student's notebook. It passes, or raises AssertionError with a French message.
"""
from __future__ import annotations

from .. import reference
from ..course import STEPS
from . import etape1, etape2, etape3, etape4
from .curves import reference_curve  # noqa: F401
from .feedback import CAUSES, MESSAGES  # noqa: F401

_MODULES = {"etape1": etape1, "etape2": etape2, "etape3": etape3, "etape4": etape4}

CHECKS = {name: {check: getattr(_MODULES[name], check) for check in step.checks}
          for name, step in STEPS.items()}

# simulate(scenario, variant) -> the values a loop reaches (w, L) or (w, b, L), from the reference
SIMULATE = {"etape1": etape1.simulate, "etape2": etape1.simulate, "etape3": etape1.simulate,
            "etape4": etape4.simulate}




def prepare() -> None:
    """Once per grading run: the reference descents on the notebook's own data (the same for every
    student) are computed once."""
    from autograder.grader.memo import memoize

    memoize(reference, ("line_descent", "affine_descent", "initial_linear"))


def curve(observation: dict) -> list | None:
    """The (w, L) per iteration of the notebook's own run, from the skeleton's `historique` list."""
    try:
        return observation["runs"][0]["snapshots"]["entrainement"]["historique"]
    except (KeyError, IndexError, TypeError):
        return None


def run_check(step: str, check: str, tirage: dict, observation: dict):
    """`autograder.feedback.run_check` on this course (for the course's own tests and tools)."""
    from autograder.course import load
    from autograder.feedback import run_check as run

    return run(load(STEPS[step].assignment), step, check, tirage, observation)
