"""Hidden checks of step 2 (autograd, update by hand under torch.no_grad())."""
from .. import reference
from .compare import close, numbers, show
from .etape1 import F5_ATOL, read, simulate
from .feedback import feedback
from .training import check_training


def test_avant(tirage, observation):
    for probe, result in zip(tirage["probes"]["avant"], observation["avant"], strict=True):
        got = numbers(result, "`avant(x)`", "un tenseur")
        expected = reference.forward(probe["w"], probe["x"])
        assert close(got, expected), feedback(
            "wrong_value", what=f"`avant(x)` avec w = {probe['w']} et x = {probe['x']} (w·x attendu)",
            expected=show(expected), got=show(got))


def test_regret(tirage, observation):
    for probe, result in zip(tirage["probes"]["regret"], observation["regret"], strict=True):
        got = numbers(result, "`regret(y, y_predit)`", "un tenseur")
        expected = reference.mse(probe["y"], probe["y_pred"])
        assert close(got, [expected]), (
            feedback("loss_sum") if close(got, [expected * len(probe["y"])]) else
            feedback("wrong_value", what=f"`regret(y, y_predit)` avec y = {probe['y']} et y_predit = {probe['y_pred']}",
                     expected=show(expected), got=show(got)))


def test_entrainement(tirage, observation):
    check_training(tirage, observation, simulate=simulate, read=read,
                   variants=("grad_not_zeroed", "loss_sum", "gradient_sign"),
                   canonical={"f5_atol": F5_ATOL}, label="(w, L)")
