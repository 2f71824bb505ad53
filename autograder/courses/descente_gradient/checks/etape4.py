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


def trace(scenario, n_iters):
    (w0,), (b0,) = reference.initial_linear(scenario["seed"])
    return reference.affine_trace(_flat(scenario, "X_train"), _flat(scenario, "Y_train"), w0, b0,
                                  scenario["learning_rate"], n_iters)


def read(snapshot):
    params = snapshot.get("params")
    assert params, feedback("missing", name="model", cell="modele")
    values = [numbers(p, "les paramètres de `model`", "des tenseurs") for p in params]
    L = numbers(snapshot.get("L"), "`L` (regret de la dernière itération)", "un nombre")
    return (*[v for vs in values for v in vs], *L)


def test_modele(tirage, observation):
    run = observation["runs"][0]
    snap = run["snapshots"].get("modele") or {}
    if snap.get("is_linear") and snap.get("in_features") == 1 and snap.get("out_features") == 1:
        return
    error = first_error(run, ("modele",))
    assert error is None, explain_error(error or {})
    raise AssertionError(feedback("not_linear_model", got=snap.get("type", "absent")))


def test_entrainement(tirage, observation):
    check_optimizer(tirage, observation, "`model.parameters()`")
    check_training(tirage, observation, simulate=simulate, read=read,
                   variants=STEPS["etape4"].mistakes, trace=trace, canonical={"f5_atol": F5_ATOL},
                   label="(w, b, L)")


def _class_problem(probe: dict, seen: dict) -> str | None:
    """Why the student's LinearRegression is not right on this probe (French), or None."""
    if "error" in seen:
        return explain_error({**seen["error"], "cell": "regression_lineaire"})
    if not seen.get("is_module"):
        return feedback("error", cell="regression_lineaire", type="TypeError",
                        message="LinearRegression doit hériter de nn.Module")
    if not seen.get("defines_forward") and seen.get("defines_avant"):
        return feedback("avant_instead_of_forward")
    if "build_error" in seen:
        return explain_error({**seen["build_error"], "cell": "regression_lineaire"})
    try:
        outputs = numbers(seen.get("outputs"), "`LinearRegression(1, 1)(x)`", "un tenseur")
        b0, w0 = outputs[0], outputs[1] - outputs[0]
        x = [row[0] for row in probe["x"]]
        if not close(outputs, [w0 * xi + b0 for xi in x], rtol=1e-4, atol=1e-5):
            return feedback("wrong_value", what=f"`LinearRegression(1, 1)(x)` pour x = {x} (une fonction affine de x)",
                            expected="w·x + b", got=show(outputs))
        trained = numbers(seen.get("trained_outputs"), "le modèle après apprentissage", "un tenseur")
    except AssertionError as exc:
        return exc.args[0]
    w, b, _ = reference.affine_descent(_flat(probe, "X_train"), _flat(probe, "Y_train"), w0, b0,
                                       probe["learning_rate"], probe["n_iters"])
    expected = [w * xi + b for xi in x]
    if not close(trained, expected, rtol=1e-3, atol=1e-4):
        return feedback("wrong_value", what="les prédictions de `LinearRegression` entraînée par SGD",
                        expected=show(expected), got=show(trained))
    return None


def test_regression_lineaire(tirage, observation):
    for probe, seen in zip(tirage["probes"]["regression_lineaire"], observation["regression_lineaire"], strict=True):
        problem = _class_problem(probe, seen if isinstance(seen, dict) else {})
        if problem is not None:
            error = first_error(observation["runs"][0], ("regression_lineaire",))
            if error is not None and "error" in seen:   # the class is missing because its cell failed
                raise AssertionError(explain_error(error))
            raise AssertionError(problem)
