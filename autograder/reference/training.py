"""Gradient descent as the lesson does it, and as the classic mistakes do it.

`line_descent` is steps 1-3 (f(x) = w·x), `affine_descent` is step 4 (f(x) = w·x + b).
A variant names a mistake of COURSE.md; the checks simulate each variant and, when a
student's numbers follow one, name that mistake.
"""
from __future__ import annotations

import math

LINE_VARIANTS = {
    "correct": "the lesson's gradient descent",
    "gradient_sum": "gradient summed over samples instead of averaged",
    "gradient_sign": "gradient with the wrong sign",
    "gradient_no_factor_2": "gradient without the factor 2",
    "loss_sum": "loss summed instead of averaged (autograd then sums the gradient too)",
    "loss_sum_reported": "loss summed instead of averaged (the hand-written gradient is right)",
    "grad_not_zeroed": "gradients never zeroed (they accumulate)",
}

AFFINE_VARIANTS = {
    "correct": "the lesson's gradient descent",
    "broadcast": "target of shape (n,) against a prediction of shape (n, 1): the loss broadcasts to (n, n)",
    "grad_not_zeroed": "gradients never zeroed (they accumulate)",
}


def _mean(values) -> float:
    values = list(values)
    return math.fsum(values) / len(values)


def line_descent(X, Y, w0, learning_rate, n_iters, variant="correct"):
    """Returns (w, L, trace): w after n_iters updates, L the loss before the last update,
    trace the list of (w after update, L) for each iteration."""
    n = len(X)
    w, accumulated, L, trace = float(w0), 0.0, math.nan, []
    for _ in range(int(n_iters)):
        residuals = [w * x - y for x, y in zip(X, Y)]
        L = _mean(r * r for r in residuals)
        grad = _mean(2 * x * r for x, r in zip(X, residuals))
        if variant == "gradient_sum":
            grad *= n
        elif variant == "gradient_sign":
            grad = -grad
        elif variant == "gradient_no_factor_2":
            grad /= 2
        elif variant == "loss_sum":
            L, grad = L * n, grad * n
        elif variant == "loss_sum_reported":
            L = L * n
        elif variant == "grad_not_zeroed":
            accumulated += grad
            grad = accumulated
        w -= learning_rate * grad
        trace.append((w, L))
        if not math.isfinite(w):
            break
    return w, L, trace


def affine_descent(X, Y, w0, b0, learning_rate, n_iters, variant="correct"):
    """Step 4 with one feature: X and Y are flat lists. Returns (w, b, L)."""
    w, b, L = float(w0), float(b0), math.nan
    acc_w = acc_b = 0.0
    for _ in range(int(n_iters)):
        if variant == "broadcast":
            pairs = [(x, y) for x in X for y in Y]
        else:
            pairs = list(zip(X, Y))
        residuals = [(x, w * x + b - y) for x, y in pairs]
        L = _mean(r * r for _, r in residuals)
        gw = _mean(2 * r * x for x, r in residuals)
        gb = _mean(2 * r for _, r in residuals)
        if variant == "grad_not_zeroed":
            acc_w, acc_b = acc_w + gw, acc_b + gb
            gw, gb = acc_w, acc_b
        w, b = w - learning_rate * gw, b - learning_rate * gb
        if not (math.isfinite(w) and math.isfinite(b)):
            break
    return w, b, L


def initial_linear(seed: int, in_features: int = 1, out_features: int = 1):
    """The weight and bias that `torch.manual_seed(seed); nn.Linear(...)` starts from."""
    import torch

    state = torch.random.get_rng_state()
    try:
        torch.manual_seed(seed)
        layer = torch.nn.Linear(in_features, out_features)
        return layer.weight.detach().double().flatten().tolist(), layer.bias.detach().double().tolist()
    finally:
        torch.random.set_rng_state(state)
