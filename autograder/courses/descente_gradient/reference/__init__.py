"""Reference computations: what a correct (or a known-wrong) solution computes, in float64.

These run in the grader's own process, on data the grader drew, never in a student's.
"""
from .training import (  # noqa: F401
    affine_descent,
    affine_trace,
    initial_linear,
    line_descent,
)
from .functions import forward, mse, mse_gradient  # noqa: F401
