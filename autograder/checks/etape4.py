"""Hidden checks of step 4 (nn.Linear, then a nn.Module subclass)."""
from .. import reference
from .compare import close, explain_error, first_error, numbers, show
from .etape3 import check_optimizer
from .feedback import feedback
from ..course import STEPS
from .training import check_training

F5_ATOL = 0.1  # the initial weights are random: 1001 iterations get f(5) near 10, not onto it


def _flat(scenario, key):
    return [row[0] for row in scenario[key]]


def simulate(scenario, variant):
    (w0,), (b0,) = reference.initial_linear(scenario["seed"])
    w, b, L = reference.affine_descent(_flat(scenario, "X_train"), _flat(scenario, "Y_train"), w0, b0,
                                       scenario["learning_rate"], scenario["n_iters"], variant)
    return (w, b, L)


def read(snapshot):
    params = snapshot.get("params")
    assert params, feedback("missing", name="model", cell="modele")
    values = [numbers(p, "les paramètres de `model`", "des tenseurs") for p in params]
    L = numbers(snapshot.get("L"), "`L` (regret de la dernière itération)", "un nombre")
    return (*[v for vs in values for v in vs], *L)


def test_modele(tirage, observation):
    run = observation["runs"][0]
    error = first_error(run, ("modele",))
    assert error is None, explain_error(error or {})
    snap = run["snapshots"].get("modele") or {}
    got = snap.get("type", "absent")
    assert snap.get("is_linear") and snap.get("in_features") == 1 and snap.get("out_features") == 1, \
        feedback("not_linear_model", got=got)


def test_entrainement(tirage, observation):
    check_optimizer(tirage, observation, "`model.parameters()`")
    check_training(tirage, observation, simulate=simulate, read=read,
                   variants=STEPS["etape4"].mistakes, canonical={"f5_atol": F5_ATOL},
                   label="(w, b, L)")


def test_regression_lineaire(tirage, observation):
    probe, seen = tirage["probes"]["regression_lineaire"], observation["regression_lineaire"]
    error = first_error(observation["runs"][0], ("regression_lineaire",))
    assert error is None, explain_error(error or {})
    assert "error" not in seen, explain_error({**seen.get("error", {}), "cell": "regression_lineaire"})
    assert seen.get("is_module"), feedback("error", cell="regression_lineaire", type="TypeError",
                                           message="LinearRegression doit hériter de nn.Module")
    assert seen.get("defines_forward") or not seen.get("defines_avant"), feedback("avant_instead_of_forward")
    assert "build_error" not in seen, explain_error({**seen.get("build_error", {}), "cell": "regression_lineaire"})
    outputs = numbers(seen.get("outputs"), "`LinearRegression(1, 1)(x)`", "un tenseur")
    b0, w0 = outputs[0], outputs[1] - outputs[0]
    x = [row[0] for row in probe["x"]]
    assert close(outputs, [w0 * xi + b0 for xi in x], rtol=1e-4, atol=1e-5), feedback(
        "wrong_value", what=f"`LinearRegression(1, 1)(x)` pour x = {x} (une fonction affine de x)",
        expected="w·x + b", got=show(outputs))
    trained = numbers(seen.get("trained_outputs"), "le modèle après apprentissage", "un tenseur")
    w, b, _ = reference.affine_descent(_flat(probe, "X_train"), _flat(probe, "Y_train"), w0, b0,
                                       probe["learning_rate"], probe["n_iters"])
    expected = [w * xi + b for xi in x]
    assert close(trained, expected, rtol=1e-3, atol=1e-4), feedback(
        "wrong_value", what="les prédictions de `LinearRegression` entraînée par SGD",
        expected=show(expected), got=show(trained))
