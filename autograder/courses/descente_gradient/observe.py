"""What to read from each step's notebook once it has run: one observer per step. Runs in the
sandbox, next to student code."""
from __future__ import annotations

import sys

from autograder.observe.cells import Cell
from autograder.observe.plain import plain
from autograder.observe.replay import call, call_named, missing, replay

MAX_HISTORY = 5000


def _torch_originals() -> dict | None:
    torch = sys.modules.get("torch")
    if torch is None:
        return None
    return {"SGD": torch.optim.SGD, "Linear": torch.nn.Linear, "Module": torch.nn.Module,
            "forward": torch.nn.Module.forward, "MSELoss": torch.nn.MSELoss}


# The torch classes the checks ask for, as they were when the observer was imported: in the
# sandbox that is before any student code ran, so a notebook that replaces `torch.optim.SGD` or
# `torch.nn.Linear` by a look-alike (and forges its name) is not taken for the real one.
_ORIGINALS = _torch_originals()


def _original(name: str):
    global _ORIGINALS
    if _ORIGINALS is None:
        import torch  # noqa: F401  (outside the sandbox the observer may be imported before torch)

        _ORIGINALS = _torch_originals()
    return _ORIGINALS[name]


def _hyper(ns: dict) -> dict:
    return {"learning_rate": plain(ns.get("learning_rate")), "n_iters": plain(ns.get("n_iters"))}


def _optimizer(ns: dict, params) -> dict | None:
    opt = ns.get("optimizer")
    if opt is None:
        return None
    groups = getattr(opt, "param_groups", None) or []
    ids = {id(p) for p in params}
    name = f"{type(opt).__module__}.{type(opt).__qualname__}"
    return {"type": name if isinstance(opt, _original("SGD")) else f"une imitation ({name})",
            "lr": plain(groups[0].get("lr")) if groups else None,
            "on_params": bool(ids) and ids <= {id(p) for g in groups for p in g.get("params", [])}}


def _line_snapshot(ns: dict) -> dict:
    w = ns.get("w")
    snap = {"w": plain(w), "L": plain(ns.get("L")), "historique": _history(ns), **_hyper(ns)}
    if callable(ns.get("avant")):
        snap["f5"] = call(ns["avant"], 5.0)
    if hasattr(w, "grad"):
        snap["w_grad"] = plain(w.grad) if w.is_leaf else "non-leaf"
    if "optimizer" in ns:
        snap["optimizer"] = _optimizer(ns, [w])
        snap["regret_type"] = type(ns.get("regret")).__qualname__
    return snap


def _model_snapshot(ns: dict) -> dict:
    model = ns.get("model")
    snap = {"type": f"{type(model).__module__}.{type(model).__qualname__}",
            "is_linear": isinstance(model, _original("Linear"))}
    if isinstance(model, _original("Module")):
        params = list(model.parameters())
        snap["params"] = [plain(p) for p in params]
        snap["in_features"] = getattr(model, "in_features", None)
        snap["out_features"] = getattr(model, "out_features", None)
    return snap


def _trained_model_snapshot(ns: dict) -> dict:
    snap = {"L": plain(ns.get("L")), "historique": _history(ns), **_hyper(ns)}
    model = ns.get("model")
    if isinstance(model, _original("Module")):
        params = list(model.parameters())
        snap["params"] = [plain(p) for p in params]
        snap["optimizer"] = _optimizer(ns, params)
        if "X_test" in ns:
            snap["f5"] = call(model, ns["X_test"])
    return snap


def _history(ns: dict) -> list | None:
    """The skeleton's `historique` list of (w, L) per iteration, for the feedback's plots."""
    history = ns.get("historique")
    if not isinstance(history, list):
        return None
    out = []
    for item in history[:MAX_HISTORY]:
        try:
            out.append([float.__float__(float(v)) for v in item][:2])
        except BaseException:
            return None
    return out


def _run_scenarios(step, cells, tirage, snapshot):
    """Replay the notebook on each scenario; the first is the notebook's own data, the run that
    is recorded (outputs, visible tests), as nbgrader would run it."""
    runs = [replay(step, cells, scenario, snapshot, record=(i == 0))
            for i, scenario in enumerate(tirage["scenarios"])]
    return runs, {"runs": [r.data() for r in runs]}


def _probe_with_w(ns: dict, w_value, fn_name: str, *args) -> dict:
    """Call ns[fn_name] with the global `w` set to `w_value` for the time of the call."""
    if not callable(ns.get(fn_name)):
        return missing(fn_name)
    saved = ns.get("w")
    ns["w"] = w_value
    try:
        return call(ns[fn_name], *args)
    finally:
        ns["w"] = saved




def observe_etape1(step, cells, tirage):
    import numpy as np

    runs, out = _run_scenarios(step, cells, tirage, {"entrainement": _line_snapshot})
    ns, probes = runs[0].namespace, tirage["probes"]
    arr = lambda v: np.array(v, dtype=np.float64)  # noqa: E731
    out["avant"] = [_probe_with_w(ns, p["w"], "avant", arr(p["x"])) for p in probes["avant"]]
    out["regret"] = [call_named(ns, "regret", arr(p["y"]), arr(p["y_pred"])) for p in probes["regret"]]
    # the global `w` set to the probe's own value: a gradient that reads it instead of `y_predit` shows
    out["gradient"] = [_probe_with_w(ns, float(p.get("w", 0.0)), "gradient", arr(p["x"]), arr(p["y"]),
                                     arr(p["y_pred"])) for p in probes["gradient"]]
    return out


def _torch_function_probes(ns, probes, names):
    import torch

    t = lambda v: torch.tensor(v, dtype=torch.float32)  # noqa: E731
    out = {}
    if "avant" in names:
        out["avant"] = [_probe_with_w(ns, torch.tensor(float(p["w"]), requires_grad=True), "avant", t(p["x"]))
                        for p in probes["avant"]]
    if "regret" in names:
        out["regret"] = [call_named(ns, "regret", t(p["y"]), t(p["y_pred"])) for p in probes["regret"]]
    return out


def observe_etape2(step, cells, tirage):
    runs, out = _run_scenarios(step, cells, tirage, {"entrainement": _line_snapshot})
    out.update(_torch_function_probes(runs[0].namespace, tirage["probes"], ("avant", "regret")))
    return out


def observe_etape3(step, cells, tirage):
    runs, out = _run_scenarios(step, cells, tirage, {"entrainement": _line_snapshot})
    out.update(_torch_function_probes(runs[0].namespace, tirage["probes"], ("avant",)))
    return out


def _probe_class(ns: dict, probe: dict) -> dict:
    """Build the student's LinearRegression, read it on new inputs, train it with the lesson's loop."""
    import torch

    cls = ns.get("LinearRegression")
    if not isinstance(cls, type):
        return missing("LinearRegression")
    out: dict = {"is_module": issubclass(cls, _original("Module")),
                 "defines_forward": getattr(cls, "forward", None) is not _original("forward"),
                 "defines_avant": callable(getattr(cls, "avant", None))}
    torch.manual_seed(int(probe["seed"]))
    try:
        model = cls(1, 1)
    except BaseException as exc:
        return {**out, "build_error": {"type": type(exc).__name__, "message": str(exc)[:300]}}
    x = torch.tensor(probe["x"], dtype=torch.float32)
    out["outputs"] = call(model, x)
    if "error" in out["outputs"]:
        return out

    def train():
        X = torch.tensor(probe["X_train"], dtype=torch.float32)
        Y = torch.tensor(probe["Y_train"], dtype=torch.float32)
        optimizer = _original("SGD")(model.parameters(), lr=float(probe["learning_rate"]))
        loss = _original("MSELoss")()
        for _ in range(int(probe["n_iters"])):
            L = loss(model(X), Y)
            L.backward()
            optimizer.step()
            optimizer.zero_grad()
        return model(x)

    out["trained_outputs"] = call(train)
    return out


def observe_etape4(step, cells, tirage):
    runs, out = _run_scenarios(step, cells, tirage,
                               {"modele": _model_snapshot, "entrainement": _trained_model_snapshot})
    out["regression_lineaire"] = [_probe_class(runs[0].namespace, probe)
                                  for probe in tirage["probes"]["regression_lineaire"]]
    return out


OBSERVERS = {"etape1": observe_etape1, "etape2": observe_etape2,
             "etape3": observe_etape3, "etape4": observe_etape4}


def observe(step, cells: list[Cell], tirage: dict) -> dict:
    """Everything the checks of `step` need, as plain data."""
    return OBSERVERS[step.name](step, cells, tirage)
