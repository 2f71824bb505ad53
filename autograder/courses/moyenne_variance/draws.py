"""The data drawn when grading starts: new `x` for the locked data cell (the notebook replayed
on them), and inputs the student never saw for each function.

Grader side only. Every draw is made so that the right answer, each known mistake and the
notebook's own results give clearly different numbers: whatever the draw, a wrong answer
follows one cause only, and typed-in results never pass.
"""
from __future__ import annotations

import os
import random

from autograder.course import load

from . import reference
from .checks import close
from .course import ASSIGNMENT

APART = dict(rtol=5e-2, atol=1e-3)   # far beyond the checks' tolerances
MAX_TRIES = 500


def step(step_name: str):
    """The step, as the machinery loads it (its `canonical` data read from the source notebook)."""
    return load(ASSIGNMENT).steps[step_name]


def _rng(seed: int | None) -> random.Random:
    return random.Random(seed if seed is not None else int.from_bytes(os.urandom(8), "big"))


def _apart(a, b) -> bool:
    return not close(a, b, **APART) and not close(b, a, **APART)


def _all_apart(values) -> bool:
    values = list(values)
    return all(_apart(values[i], values[j]) for i in range(len(values)) for j in range(i + 1, len(values)))


def _moyenne_ok(x) -> bool:
    return _all_apart([reference.moyenne(x), *reference.moyenne_variants(x).values()])


def _variance_ok(x) -> bool:
    return _all_apart([reference.variance(x), *reference.variance_variants(x).values()])


def _normaliser_ok(x) -> bool:
    return _all_apart([reference.normaliser(x), *reference.normaliser_variants(x).values()])


def _vector(rng, ok, n_range=(4, 7), low=-5.0, high=15.0, unlike=()) -> list[float]:
    """A list of one-decimal numbers on which `ok` holds and whose results differ from `unlike`'s."""
    for _ in range(MAX_TRIES):
        x = [round(rng.uniform(low, high), 1) for _ in range(rng.randint(*n_range))]
        if ok(x) and all(u(x) for u in unlike):
            return x
    raise RuntimeError("aucun tirage ne distingue les erreurs connues")   # never seen: kept honest


def draw(step_name: str, seed: int | None = None) -> dict:
    """{"scenarios": [the notebook's own data, drawn, drawn], "probes": {...}} for one step."""
    rng = _rng(seed)
    canonical = dict(step(step_name).canonical)
    x0 = canonical["x"]
    if step_name == "etape1":
        results = lambda x: [reference.moyenne(x), reference.variance(x)]  # noqa: E731
        unlike = (lambda x: _apart(results(x), results(x0)),)
        scenarios = [{"x": _vector(rng, lambda x: _moyenne_ok(x) and _variance_ok(x), unlike=unlike)}
                     for _ in range(2)]
        probes = {"moyenne": [{"x": _vector(rng, _moyenne_ok, (3, 6))} for _ in range(2)],
                  "variance": [{"x": _vector(rng, _variance_ok, (3, 6))} for _ in range(2)]}
    elif step_name == "etape2":
        unlike = (lambda x: len(x) != len(x0) or _apart(reference.normaliser(x), reference.normaliser(x0)),)
        scenarios = [{"x": _vector(rng, _normaliser_ok, unlike=unlike)} for _ in range(2)]
        probes = {"normaliser": [{"x": _vector(rng, _normaliser_ok, (3, 6))} for _ in range(2)]}
    else:
        raise KeyError(f"{step_name!r} n'est pas une étape de moyenne_variance")
    return {"step": step_name, "scenarios": [canonical, *scenarios], "probes": probes}
