"""The reference descent against the lesson's own printed tables (tests/data/seed_lesson.txt,
a verbatim copy of the seed)."""
import re
from pathlib import Path

import pytest

from autograder.courses.descente_gradient.reference import affine_descent, initial_linear, line_descent

SEED = (Path(__file__).parent / "data" / "seed_lesson.txt").read_text(encoding="utf-8")


def seed_traces() -> list[list[tuple[int, float, float]]]:
    """Each printed training table of the seed, as (iteration, w, loss) rows."""
    tables, current = [], []
    for line in SEED.splitlines():
        m = re.fullmatch(r"(\d+): w = (-?[\d.]+), regret = ([\d.]+)", line.strip())
        if m:
            current.append((int(m[1]), float(m[2]), float(m[3])))
        elif current:
            tables.append(current)
            current = []
    return tables


def test_seed_has_its_four_tables():
    tables = seed_traces()
    assert [len(t) for t in tables] == [20, 11, 11, 11]
    assert tables[1] == tables[2], "the seed's steps 2 and 3 print the same trace"


def test_reference_descent_follows_the_seed_trace_of_steps_2_and_3():
    _, _, trace = line_descent([1, 2, 3, 4], [2, 4, 6, 8], 0.0, 0.01, 71)
    for iteration, w, loss in seed_traces()[1]:
        ref_w, ref_loss = trace[iteration - 1]
        assert round(ref_w, 3) == pytest.approx(w), f"w at iteration {iteration}"
        # the seed ran in float32, the reference in float64: they agree to float32 precision
        assert ref_loss == pytest.approx(loss, rel=1e-5, abs=1e-8), f"loss at iteration {iteration}"


def test_the_seed_gradient_is_a_sum_which_is_why_its_step_1_needed_20_iterations():
    _, _, trace = line_descent([1, 2, 3, 4], [2, 4, 6, 8], 0.0, 0.01, 20, variant="gradient_sum")
    for iteration, w, loss in seed_traces()[0]:
        assert round(trace[iteration - 1][0], 3) == pytest.approx(w)
        assert trace[iteration - 1][1] == pytest.approx(loss, rel=1e-5, abs=1e-7)
    w20, _, _ = line_descent([1, 2, 3, 4], [2, 4, 6, 8], 0.0, 0.01, 20)
    assert f"{5 * w20:.3f}" == "9.612", "COURSE.md: after 20 true-gradient iterations f(5) = 9.612"


def test_broadcast_loss_fits_the_mean_of_y():
    (w0,), (b0,) = initial_linear(0)
    w, b, _ = affine_descent([1, 2, 3, 4], [2, 4, 6, 8], w0, b0, 0.01, 5000, variant="broadcast")
    assert abs(w) < 0.05 and abs(b - 5) < 0.1 and abs(5 * w + b - 5) < 0.2


def test_initial_linear_is_what_nn_linear_draws_and_leaves_the_global_rng_alone():
    import torch

    torch.manual_seed(123)
    before = torch.rand(1).item()
    torch.manual_seed(123)
    initial_linear(7)
    assert torch.rand(1).item() == before
    torch.manual_seed(7)
    layer = torch.nn.Linear(1, 1)
    assert initial_linear(7) == ([layer.weight.item()], [layer.bias.item()])
