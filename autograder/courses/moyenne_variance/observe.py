"""What the checks of `moyenne_variance` read from a student's notebook, as plain JSON data.

Runs inside the sandbox (and in the student's kernel under `nbgrader autograde`): the stdlib,
numpy, torch, `autograder.observe` and `.course` only. Nothing here decides a grade.
"""
from __future__ import annotations

from autograder.observe.plain import plain
from autograder.observe.replay import call_named, replay

RESULTS = {"etape1": ("resultats", ("m", "v")), "etape2": ("resultat", ("z", "x"))}




def _results_snapshot(names):
    def snapshot(ns: dict) -> dict:
        # a name left undefined is absent from the snapshot (None would be a value)
        return {name: plain(ns[name]) for name in names if name in ns}
    return snapshot


def _runs(step, cells, tirage) -> tuple[list, dict]:
    """The notebook replayed on each scenario; the first is the notebook's own data, the
    recorded run (outputs, visible tests), as nbgrader runs it."""
    solution, names = RESULTS[step.name]
    runs = [replay(step, cells, scenario, {solution: _results_snapshot(names)}, record=(i == 0))
            for i, scenario in enumerate(tirage["scenarios"])]
    return runs, {"runs": [r.data() for r in runs]}


def observe_etape1(step, cells, tirage) -> dict:
    import numpy as np

    runs, out = _runs(step, cells, tirage)
    ns, probes = runs[0].namespace, tirage["probes"]
    arr = lambda v: np.array(v, dtype=np.float64)  # noqa: E731  (a fresh array per call)
    out["moyenne"] = [call_named(ns, "moyenne", arr(p["x"])) for p in probes["moyenne"]]
    out["variance"] = [call_named(ns, "variance", arr(p["x"])) for p in probes["variance"]]
    # the student's own mean of the same inputs: a variance wrong only through it says so
    out["moyenne_de_variance"] = [call_named(ns, "moyenne", arr(p["x"])) for p in probes["variance"]]
    return out


def observe_etape2(step, cells, tirage) -> dict:
    import torch

    runs, out = _runs(step, cells, tirage)
    ns, probes = runs[0].namespace, tirage["probes"]
    out["normaliser"] = [call_named(ns, "normaliser", torch.tensor(p["x"], dtype=torch.float32))
                         for p in probes["normaliser"]]
    return out


OBSERVERS = {"etape1": observe_etape1, "etape2": observe_etape2}


def observe(step, cells, tirage: dict) -> dict:
    """Everything the checks of `step` (a `Step`) need, as plain data."""
    return OBSERVERS[step.name](step, cells, tirage)
