"""A process that runs student code can always write its own "observation" (it shares the
interpreter with the observer). The checks must then still refuse an observation that does
not cover the whole secret draw: a forger only knows the notebook's own (canonical) data."""
from __future__ import annotations

import pytest

from autograder.courses.descente_gradient.checks import run_check
from autograder.courses.descente_gradient.course import STEPS
from autograder.courses.descente_gradient.draws import draw


def _num(v):
    return {"kind": "number", "type": "float", "value": v}


def _canonical_run():
    snap = {"w": _num(2.0), "L": _num(0.0), "f5": {"value": _num(10.0)},
            "learning_rate": _num(0.01), "n_iters": _num(71)}
    return {"errors": [], "warnings": [], "visible_tests": {}, "stdout": "", "snapshots": {"entrainement": snap}}


@pytest.mark.parametrize("step", ["etape1", "etape2"])
def test_an_observation_shorter_than_the_draw_earns_nothing(step):
    tirage = draw(step, seed=1)
    forged = {"runs": [_canonical_run()], "avant": [], "regret": [], "gradient": []}
    for check in STEPS[step].checks:
        assert run_check(step, check, tirage, forged) is not None, check


def test_canonical_values_repeated_for_every_scenario_earn_nothing():
    tirage = draw("etape1", seed=2)
    forged = {"runs": [_canonical_run() for _ in tirage["scenarios"]],
              "avant": [], "regret": [], "gradient": []}
    assert run_check("etape1", "test_entrainement", tirage, forged) is not None
