"""Hidden checks of step 1 (NumPy by hand). Each takes the grader's draw and the plain
observation of the student's notebook, and asserts with a French message. `avant` and `regret`
are checked the same way in step 2 (on tensors): the observation holds plain numbers either way."""
from .. import reference
from .compare import close, numbers, show
from .feedback import feedback
from ..course import STEPS
from .training import check_training

F5_ATOL = 1e-2


def test_avant(tirage, observation):
    for probe, result in zip(tirage["probes"]["avant"], observation["avant"], strict=True):
        got = numbers(result, "`avant(x)`", "des nombres (un tableau ou un tenseur)")
        expected = reference.forward(probe["w"], probe["x"])
        assert close(got, expected), feedback(
            "wrong_value", what=f"`avant(x)` avec w = {probe['w']} et x = {probe['x']} (w·x attendu)",
            expected=show(expected), got=show(got))


def _regret_mistake(got, expected, probe):
    if close(got, [expected * len(probe["y"])]):
        return feedback("loss_sum")
    return feedback("wrong_value", what=f"`regret(y, y_predit)` avec y = {probe['y']} et y_predit = {probe['y_pred']}",
                    expected=show(expected), got=show(got))


def test_regret(tirage, observation):
    for probe, result in zip(tirage["probes"]["regret"], observation["regret"], strict=True):
        got = numbers(result, "`regret(y, y_predit)`", "un nombre")
        expected = reference.mse(probe["y"], probe["y_pred"])
        assert close(got, [expected]), _regret_mistake(got, expected, probe)


def _gradient_mistake(got, expected, probe, n_notebook):
    if close(got, [expected * len(probe["x"])]):
        return feedback("gradient_sum", n=n_notebook)
    if close(got, [-expected]):
        return feedback("gradient_sign")
    if close(got, [expected / 2]):
        return feedback("gradient_no_factor_2")
    if "w" in probe:   # the probe ran with the global w set to probe["w"]
        from_global_w = reference.mse_gradient(probe["x"], probe["y"], reference.forward(probe["w"], probe["x"]))
        if close(got, [from_global_w]):
            return feedback("gradient_global_w")
    return feedback("wrong_value", what=f"`gradient(x, y, y_predit)` avec x = {probe['x']}, y = {probe['y']}, "
                                        f"y_predit = {probe['y_pred']}", expected=show(expected), got=show(got))


def test_gradient(tirage, observation):
    for probe, result in zip(tirage["probes"]["gradient"], observation["gradient"], strict=True):
        got = numbers(result, "`gradient(x, y, y_predit)`", "un nombre")
        expected = reference.mse_gradient(probe["x"], probe["y"], probe["y_pred"])
        assert close(got, [expected]), _gradient_mistake(got, expected, probe, len(tirage["scenarios"][0]["X"]))


def simulate(scenario, variant):
    w, L, _ = reference.line_descent(scenario["X"], scenario["Y"], scenario["w"],
                                     scenario["learning_rate"], scenario["n_iters"], variant)
    return (w, L)


def trace(scenario, n_iters):
    _, _, steps = reference.line_descent(scenario["X"], scenario["Y"], scenario["w"], scenario["learning_rate"], n_iters)
    return steps


def read(snapshot):
    w = numbers(snapshot.get("w"), "`w` après l'apprentissage", "un nombre")
    L = numbers(snapshot.get("L"), "`L` (regret de la dernière itération)", "un nombre")
    return (*w, *L)


def test_entrainement(tirage, observation):
    check_training(tirage, observation, simulate=simulate, read=read,
                   variants=STEPS["etape1"].mistakes, trace=trace,
                   canonical={"f5_atol": F5_ATOL}, label="(w, L)")
