"""The reference training curves the feedback pages draw under the student's."""
from __future__ import annotations

import functools

from .. import reference
from ..course import STEPS

STEP4_SAMPLES = 120  # points of step 4's reference curve (each one is a short descent of its own)


@functools.lru_cache(maxsize=None)
def reference_curve(step_name: str) -> tuple[tuple[int, float, float], ...]:
    """(iteration, w after the update, L before it) of the right descent on the notebook's data;
    for step 4, at sampled iterations (the reference gives the end of a descent, not its trace)."""
    data = STEPS[step_name].canonical
    if "X" in data:
        trace = reference.line_descent(data["X"], data["Y"], data["w"], data["learning_rate"], data["n_iters"])[2]
        return tuple((i, w, L) for i, (w, L) in enumerate(trace, 1))
    X = [row[0] for row in data["X_train"]]
    Y = [row[0] for row in data["Y_train"]]
    (w0,), (b0,) = reference.initial_linear(data["seed"])
    n = int(data["n_iters"])
    iterations = sorted({max(1, round(n * (i / STEP4_SAMPLES) ** 2)) for i in range(STEP4_SAMPLES + 1)})
    curve = []
    for k in iterations:
        w, _, L = reference.affine_descent(X, Y, w0, b0, data["learning_rate"], k)
        curve.append((k, w, L))
    return tuple(curve)
