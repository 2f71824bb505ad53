"""Hidden checks of step 3 (nn.MSELoss and torch.optim.SGD)."""
from .compare import first_error, show
from .etape1 import F5_ATOL, read, simulate, trace
from .etape1 import test_avant  # noqa: F401  (the same check: avant is written as in step 2)
from .feedback import feedback
from ..course import STEPS
from .training import check_training, hyper_changed


def _optimizer_problem(snapshot, scenario):
    opt = snapshot.get("optimizer")
    if not opt:
        return "`optimizer` n'est pas défini"
    if not opt["type"].startswith("torch.optim.sgd.SGD"):
        return f"c'est {opt['type']}"
    if not opt.get("on_params"):
        return "il n'optimise pas `w`"
    lr = (opt.get("lr") or {}).get("value")
    if lr is None or abs(lr - scenario["learning_rate"]) > 1e-12:
        return f"son lr vaut {show(lr)} au lieu de learning_rate = {scenario['learning_rate']}"
    return None


def check_optimizer(tirage, observation, params: str) -> None:
    """Where the training cell ran, `optimizer` is SGD over the right parameters at learning_rate."""
    for scenario, run in zip(tirage["scenarios"], observation["runs"], strict=True):
        if first_error(run, ("entrainement",)) is None:
            changed = hyper_changed(scenario, run["snapshots"]["entrainement"])
            assert not changed, feedback("hyper_changed", detail=changed)
            problem = _optimizer_problem(run["snapshots"]["entrainement"], scenario)
            assert problem is None, feedback("optimizer", params=params, detail=problem)


def test_entrainement(tirage, observation):
    check_optimizer(tirage, observation, "`[w]`")
    check_training(tirage, observation, simulate=simulate, read=read,
                   variants=STEPS["etape3"].mistakes, trace=trace,
                   canonical={"f5_atol": F5_ATOL}, label="(w, L)")
