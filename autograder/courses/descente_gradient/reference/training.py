"""Gradient descent as the lesson does it, and as the classic mistakes do it.

`line_descent` is steps 1-3 (f(x) = w·x), `affine_descent` is step 4 (f(x) = w·x + b).
A variant names a mistake of COURSE.md ("gradient_sum", "gradient_sign", "gradient_no_factor_2",
"loss_sum", "loss_sum_reported", "grad_not_zeroed", "broadcast"); the checks simulate each variant
and, when a student's numbers follow one, name that mistake.
"""
from __future__ import annotations

import math
import operator
import random
import struct

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


def affine_trace(X, Y, w0, b0, learning_rate, n_iters, variant="correct"):
    """Step 4 with one feature: X and Y are flat lists. Returns [(w, b, L)] per iteration: w and b
    after its update, L the loss before it."""
    w, b = float(w0), float(b0)
    acc_w = acc_b = 0.0
    pairs = [(x, y) for x in X for y in Y] if variant == "broadcast" else list(zip(X, Y))
    xs = [x for x, _ in pairs]
    n, fsum, trace = len(pairs), math.fsum, []
    for _ in range(int(n_iters)):
        residuals = [w * x + b - y for x, y in pairs]
        L = fsum([r * r for r in residuals]) / n
        gw = fsum([2 * r * x for x, r in zip(xs, residuals)]) / n
        gb = fsum([2 * r for r in residuals]) / n
        if variant == "loss_sum":
            L, gw, gb = L * n, gw * n, gb * n
        if variant == "grad_not_zeroed":
            acc_w, acc_b = acc_w + gw, acc_b + gb
            gw, gb = acc_w, acc_b
        w, b = w - learning_rate * gw, b - learning_rate * gb
        trace.append((w, b, L))
        if not (math.isfinite(w) and math.isfinite(b)):
            break
    return trace


def affine_descent(X, Y, w0, b0, learning_rate, n_iters, variant="correct"):
    """Step 4 with one feature: X and Y are flat lists. Returns (w, b, L) after n_iters."""
    trace = affine_trace(X, Y, w0, b0, learning_rate, n_iters, variant)
    return trace[-1] if trace else (float(w0), float(b0), math.nan)


def _float32(value: float) -> float:
    return struct.unpack("f", struct.pack("f", value))[0]


def _torch_mt19937(seed: int) -> random.Random:
    """A Mersenne Twister seeded as `torch.manual_seed(seed)` seeds torch's CPU generator: torch
    keeps the seed modulo 2**32 and uses the reference init_genrand, not Python's init_by_array."""
    if not -2**63 <= seed < 2**64:
        raise ValueError(f"torch.manual_seed accepts -2**63 <= seed < 2**64, not {seed}")
    state = [seed % 2**32]
    for i in range(1, 624):
        state.append((1812433253 * (state[-1] ^ (state[-1] >> 30)) + i) % 2**32)
    generator = random.Random()
    generator.setstate((3, (*state, 624), None))
    return generator


def _torch_uniform(generator: random.Random, count: int, bound: float) -> list[float]:
    """`tensor.uniform_(-bound, bound)` of a float32 CPU tensor: one 32-bit draw per element, in order."""
    high = _float32(bound)
    if math.frexp(high)[0] != 0.5:
        # Only a power-of-two bound makes torch's float32 x * (high - low) + low exact; otherwise its
        # result depends on the CPU it runs on (rounded once with fused multiply-add, twice without).
        raise ValueError(f"uniform bound {high} is not a power of two: torch's result is CPU-dependent")
    return [(generator.getrandbits(32) % 2**24) * 2**-24 * (2 * high) - high for _ in range(count)]


def initial_linear(seed: int, in_features: int = 1, out_features: int = 1):
    """The weight (flattened row by row) and bias that `torch.manual_seed(seed); nn.Linear(...)`
    starts from on CPU, computed without torch. in_features must be a power of 4 (1, 4, 16...)."""
    seed, in_features, out_features = operator.index(seed), operator.index(in_features), operator.index(out_features)
    if in_features < 1 or out_features < 1:
        raise ValueError("nn.Linear needs at least one input and one output feature")
    generator = _torch_mt19937(seed)
    # init.kaiming_uniform_(weight, a=math.sqrt(5)), term by term as torch.nn.init computes it.
    gain = math.sqrt(2.0 / (1 + math.sqrt(5) ** 2))
    weight = _torch_uniform(generator, out_features * in_features, math.sqrt(3.0) * (gain / math.sqrt(in_features)))
    bias = _torch_uniform(generator, out_features, 1 / math.sqrt(in_features))
    return weight, bias
