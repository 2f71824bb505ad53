"""Data and hyper-parameters drawn when grading starts, so that typed-in answers earn nothing.

A draw lives only in the grader's memory (and in the process that replays the notebook on
it); the expected values are computed from it by `reference`, in the grader's process.
"""
from __future__ import annotations

import os
import random

from .course import STEPS


def _rng(seed: int | None) -> random.Random:
    return random.Random(seed if seed is not None else int.from_bytes(os.urandom(8), "big"))


def _values(rng, n, low, high):
    return [round(rng.uniform(low, high), 1) for _ in range(n)]


def _line_scenario(rng) -> dict:
    n = rng.randint(3, 6)
    while True:
        X = _values(rng, n, -2.5, 3.5)
        if sum(x * x for x in X) / n > 0.5:
            break
    slope = round(rng.choice([-1, 1]) * rng.uniform(0.5, 3.0), 1)
    Y = [round(slope * x + rng.uniform(-0.5, 0.5), 1) for x in X]
    curvature = 2 * sum(x * x for x in X) / n
    rates = [r for r in (0.005, 0.01, 0.02, 0.03, 0.05) if r * curvature < 0.6]
    return dict(X=X, Y=Y, w=round(rng.uniform(-1.0, 1.0), 1),
                learning_rate=rng.choice(rates), n_iters=rng.randint(3, 20))


def _affine_scenario(rng) -> dict:
    n = rng.randint(3, 6)
    while True:
        X = _values(rng, n, -2.0, 3.0)
        if len(set(X)) > 1:
            break
    slope, intercept = round(rng.uniform(-3, 3), 1), round(rng.uniform(-2, 2), 1)
    curvature = 2 * max(1.0, sum(x * x for x in X) / n) + 2
    rates = [r for r in (0.005, 0.01, 0.02, 0.03) if r * curvature < 0.6]
    return dict(X_train=[[x] for x in X], Y_train=[[round(slope * x + intercept, 1)] for x in X],
                X_test=[round(rng.uniform(-3, 6), 1)], seed=rng.randint(1, 10_000),
                learning_rate=rng.choice(rates), n_iters=rng.randint(5, 30))


def _function_probes(rng) -> dict:
    def vec(n):
        return _values(rng, n, -3, 3)

    return {
        "avant": [{"w": round(rng.choice([-1, 1]) * rng.uniform(0.5, 3), 2), "x": vec(n)} for n in (3, 5)],
        "regret": [{"y": vec(n), "y_pred": vec(n)} for n in (3, 5)],
        "gradient": [{"x": vec(n), "y": vec(n), "y_pred": vec(n), "w": round(rng.uniform(-3, 3), 2)}
                     for n in (3, 5)],
    }


APART = dict(rtol=5e-2, atol=1e-3)   # 5 times the tolerance with which a loop is said to follow a mistake
MAX_TRIES = 200


def _explanations(step_name: str) -> list[tuple[str, str, tuple[str, ...], int]]:
    """Every way the training check can explain a loop: (the cause it names, the reference
    variant, the hyper-parameters written in hard with the notebook's values, the loop's
    iterations beyond `n_iters`)."""
    hard = [("learning_rate",), ("n_iters",), ("learning_rate", "n_iters")]
    return ([("correct", "correct", (), 0)] + [("hyper_changed", "correct", names, 0) for names in hard]
            + [("loop_off_by_one", "correct", (), offset) for offset in (-1, 1)]
            + [(mistake, mistake, (), 0) for mistake in STEPS[step_name].mistakes])


def _apart(a, b) -> bool:
    from .checks.compare import close

    return not close(a, b, **APART) and not close(b, a, **APART)


def telling_apart(step_name: str, scenarios: list[dict]) -> bool:
    """True when, for every two explanations of a loop that name different causes, one of
    `scenarios` gives them clearly different results: whatever the draw, a loop matches the
    explanations of one cause only, so the cause named for a mistake is always the same (and a
    wrong loop never passes for the right one)."""
    from .checks import SIMULATE

    simulate, notebook = SIMULATE[step_name], STEPS[step_name].canonical
    explanations = _explanations(step_name)
    known: dict = {}

    def outcome(index: int, k: int):
        if (index, k) not in known:
            _, variant, names, offset = explanations[index]
            scenario = {**scenarios[k], **{n: notebook[n] for n in names}}
            known[index, k] = simulate({**scenario, "n_iters": scenario["n_iters"] + offset}, variant)
        return known[index, k]

    return all(any(_apart(outcome(i, k), outcome(j, k)) for k in range(len(scenarios)))
               for i in range(len(explanations)) for j in range(i + 1, len(explanations))
               if explanations[i][0] != explanations[j][0])


def _scenarios(step_name: str, rng, n: int) -> list[dict]:
    make = _affine_scenario if step_name == "etape4" else _line_scenario
    for _ in range(MAX_TRIES):
        scenarios = [make(rng) for _ in range(n)]
        if telling_apart(step_name, scenarios):
            return scenarios
    return scenarios


def draw(step_name: str, seed: int | None = None, n_scenarios: int = 3) -> dict:
    """A step's draw: scenarios (the notebook's own first, then new ones that tell every
    explanation of a loop apart) and probe inputs."""
    rng = _rng(seed)
    step = STEPS[step_name]
    if step_name == "etape4":
        scenarios = _scenarios(step_name, rng, n_scenarios)
        train = _affine_scenario(rng)
        probes = {"regression_lineaire": [{
            "seed": train["seed"], "x": [[0.0], [1.0], [round(rng.uniform(-3, 6), 1)]],
            "X_train": train["X_train"], "Y_train": train["Y_train"],
            "learning_rate": train["learning_rate"], "n_iters": train["n_iters"]}]}
    else:
        scenarios = _scenarios(step_name, rng, n_scenarios)
        probes = _function_probes(rng)
    return {"assignment": step.assignment, "step": step_name, "scenarios": [dict(step.canonical)] + scenarios,
            "probes": probes}
