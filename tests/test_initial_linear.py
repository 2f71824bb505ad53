"""`initial_linear` reproduces torch's nn.Linear initialisation bit for bit, without torch."""
import inspect
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.courses.descente_gradient.reference import initial_linear

ROOT = Path(__file__).resolve().parents[1]
SEEDS = [0, 1, 2, 10_000, 2**31, 2**32 - 1] + random.Random(20240601).sample(range(2**32), 300)
# in_features a power of 4, so that torch's float32 bounds are powers of two (see _torch_uniform).
SHAPES = [(1, 1), (1, 3), (4, 1), (4, 5), (16, 2), (64, 20)]


def torch_linear(seed, in_features=1, out_features=1):
    import torch

    torch.manual_seed(seed)
    layer = torch.nn.Linear(in_features, out_features)
    return layer.weight.detach().double().flatten().tolist(), layer.bias.detach().double().tolist()


@pytest.mark.parametrize("shape", SHAPES)
def test_matches_torch_bit_for_bit(shape):
    for seed in SEEDS:
        assert initial_linear(seed, *shape) == torch_linear(seed, *shape), \
            f"seed {seed}, nn.Linear{shape}: pure Python differs from torch"


def test_matches_torch_without_fused_multiply_add():
    """torch picks its kernel by CPU; the default one (no FMA) must give the same numbers."""
    seeds = SEEDS[:40]
    script = inspect.getsource(torch_linear) + (
        "import json, sys, torch\n"
        "print(torch.backends.cpu.get_cpu_capability())\n"
        "print(json.dumps([torch_linear(s, *shape) for s in json.loads(sys.argv[1]) for shape in json.loads(sys.argv[2])]))")
    run = subprocess.run([sys.executable, "-c", script, json.dumps(seeds), json.dumps(SHAPES)],
                         env={**os.environ, "ATEN_CPU_CAPABILITY": "default"},
                         capture_output=True, text=True, check=True)
    capability, results = run.stdout.splitlines()
    assert capability == "DEFAULT", f"torch ignored ATEN_CPU_CAPABILITY=default and ran {capability}"
    expected = [tuple(pair) for pair in json.loads(results)]
    assert [initial_linear(s, *shape) for s in seeds for shape in SHAPES] == expected, \
        "torch's non-vectorised CPU kernel disagrees with the pure-Python initialisation"


@pytest.mark.parametrize("seed", [2**32, 2**32 + 5, 2**63, 2**64 - 1, -1, -5, -2**63, True])
def test_seeds_outside_32_bits_are_reduced_as_torch_reduces_them(seed):
    assert initial_linear(seed) == torch_linear(seed), f"torch.manual_seed({seed}) is not reproduced"


@pytest.mark.parametrize("seed", [2**64, -2**63 - 1])
def test_seeds_torch_refuses_are_refused(seed):
    with pytest.raises(ValueError):
        initial_linear(seed)


@pytest.mark.parametrize("shape", [(2, 1), (3, 4), (5, 1), (0, 1), (1, 0)])
def test_shapes_that_are_empty_or_cpu_dependent_in_torch_are_refused(shape):
    with pytest.raises(ValueError):
        initial_linear(5, *shape)


def test_does_not_import_torch():
    code = "import sys; from autograder.courses.descente_gradient.reference import initial_linear; initial_linear(5); " \
           "assert 'torch' not in sys.modules, 'torch was imported'"
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, f"importing and calling initial_linear imported torch:\n{run.stderr}"


def test_ignores_and_leaves_alone_torch_global_rng():
    import torch

    expected = initial_linear(7)
    torch.manual_seed(123)
    before = torch.rand(3).tolist()
    torch.manual_seed(123)
    assert initial_linear(7) == expected, "the result depends on torch's global RNG state"
    assert torch.rand(3).tolist() == before, "initial_linear consumed torch's global RNG"
