"""The hidden checks of `moyenne_variance`, with their French messages.

Grader side only. A check is `fn(tirage, observation)`: `tirage` is the draw (`.draws.draw`),
`observation` what `.observe.observe` read from the student's notebook (plain data). It passes,
or raises AssertionError with a French message; when the student's numbers follow a known
mistake, the message names it (the draw is made so that at most one mistake fits).
"""
from __future__ import annotations

import math

from autograder.feedback import COMMON_MESSAGES, Feedback

from . import reference

RTOL_NUMPY, ATOL_NUMPY = 1e-5, 1e-8     # step 1: float64 data
RTOL_TORCH, ATOL_TORCH = 1e-3, 1e-4     # step 2: float32 tensors

MESSAGES = {
    **COMMON_MESSAGES,
    # code: (French for the student, English for the instructor)
    "error": (
        "{what} lève une erreur : {type}: {message}",
        "{what} raises {type}: {message}"),
    "moyenne_somme": (
        "Ta moyenne est une somme : divise la somme des valeurs par leur nombre, n = len(x).",
        "mean returns the sum (not divided by n)"),
    "moyenne_n_moins_1": (
        "Ta moyenne divise par n - 1 au lieu de n : la moyenne est la somme des valeurs divisée par leur "
        "nombre, n = len(x).",
        "mean divided by n - 1"),
    "variance_n_moins_1": (
        "Ta variance divise par n - 1 : c'est la variance corrigée d'un échantillon (celle de "
        "`np.var(x, ddof=1)`). La variance de la population divise par n = len(x) : c'est la moyenne des "
        "carrés des écarts à la moyenne.",
        "variance divided by n - 1 (sample variance, ddof=1) instead of n"),
    "variance_ecart_type": (
        "Ta fonction renvoie l'écart-type (la racine carrée de la variance) : la variance est la moyenne des "
        "carrés des écarts, sans racine.",
        "variance returns the standard deviation (square root taken)"),
    "variance_somme": (
        "Ta variance est la somme des carrés des écarts : divise-la par n = len(x), la variance est leur "
        "moyenne.",
        "variance is the sum of squared deviations (not divided by n)"),
    "variance_non_centree": (
        "Ta variance est la moyenne des carrés des valeurs elles-mêmes : retire d'abord la moyenne, la "
        "variance est la moyenne des carrés des écarts (x - moyenne)².",
        "variance is the mean of x² (the mean not subtracted)"),
    "variance_ecarts_absolus": (
        "Ta variance est la moyenne des écarts en valeur absolue : la variance est la moyenne des carrés des "
        "écarts (x - moyenne)².",
        "variance is the mean absolute deviation"),
    "variance_moyenne_fausse": (
        "Ta variance se sert de ta fonction `moyenne`, qui est fausse (voir le test de `moyenne`) : corrige "
        "d'abord `moyenne`.",
        "variance is right but uses the student's wrong mean"),
    "ecart_type_corrige": (
        "Tu divises par l'écart-type corrigé, qui divise par n - 1 : c'est ce que calculent `torch.std(x)` et "
        "`x.std()` par défaut. Utilise l'écart-type de la population : `x.std(correction=0)` (ou la racine "
        "carrée de la variance de l'étape 1).",
        "divided by the sample std (torch.std default, n - 1) instead of the population std"),
    "centre_seulement": (
        "Tu as centré les données (x - moyenne) sans les réduire : divise aussi par l'écart-type.",
        "centred only (not divided by the std)"),
    "divise_par_variance": (
        "Tu divises par la variance au lieu de l'écart-type : l'écart-type est la racine carrée de la "
        "variance.",
        "divided by the variance instead of the std"),
    "sans_centrer": (
        "Tu divises par l'écart-type sans avoir retiré la moyenne : normaliser, c'est "
        "(x - moyenne) / écart-type.",
        "divided by the std without subtracting the mean"),
    "pas_un_tenseur": (
        "{what} doit être un tenseur torch de flottants ; c'est {got}.",
        "{what} is {got}, not a float tensor"),
    "mauvaise_forme": (
        "{what} doit avoir la forme de x, {expected} ; sa forme est {got}.",
        "{what} has shape {got} instead of {expected}"),
    "pas_normalise": (
        "z doit avoir une moyenne de 0 et un écart-type de 1 ; avec x = {x}, la moyenne de ton z est {mean} "
        "et son écart-type {std}.",
        "z is not normalised (mean {mean}, std {std})"),
    "hand_typed": (
        "Tes résultats ne changent pas quand les données changent : ils semblent écrits à la main au lieu "
        "d'être calculés sur `x` avec tes fonctions (avec x = {x}, on attend {expected}, ton code donne "
        "encore {got}).",
        "results typed in by hand (they do not depend on the data)"),
    "no_output": (
        "Le notebook n'a pas pu être exécuté jusqu'au bout par le correcteur ({detail}).",
        "the notebook could not be run to the end ({detail})"),
}

# The instructor's short English line for each cause code (the reports' table of causes).
CAUSES = {code: en for code, (_, en) in MESSAGES.items() if "{" not in en}
CAUSES.update({
    "not_done": "not attempted (the stub still raises NotImplementedError)",
    "missing": "a name the checks need is not defined after the run",
    "error": "a cell or a student function raises an error",
    "not_a_number": "a function returns something that is not a number",
    "wrong_value": "wrong value (no known mistake recognised)",
    "pas_un_tenseur": "not a float tensor",
    "mauvaise_forme": "a tensor of the wrong shape",
    "pas_normalise": "z does not have mean 0 and std 1",
    "no_output": "the notebook could not be run to the end",
})

# The known mistakes the checks name, by step.
MISTAKES = {
    "etape1": ("moyenne_somme", "moyenne_n_moins_1", "variance_n_moins_1", "variance_ecart_type",
               "variance_somme", "variance_non_centree", "variance_ecarts_absolus", "variance_moyenne_fausse"),
    "etape2": ("ecart_type_corrige", "centre_seulement", "divise_par_variance", "sans_centrer"),
}


def message(code: str, **details) -> Feedback:
    """The French message of `code` (what nbgrader and pytest show), which also carries the code
    and an English line for the instructor's reports."""
    fr, en = MESSAGES[code]
    return Feedback(code, fr.format(**details), en.format(**details))


def fail(code: str, **details) -> AssertionError:
    return AssertionError(message(code, **details))


# --- Reading plain values ----------------------------------------------------------------

def _flat(value) -> list:
    if isinstance(value, list):
        return [x for v in value for x in _flat(v)]
    return [value]


def close(got, expected, rtol: float, atol: float) -> bool:
    """Element-wise |got - expected| <= atol + rtol·|expected| on equal lengths; NaN never is."""
    got, expected = _flat(got), _flat(expected)
    return len(got) == len(expected) and all(
        isinstance(g, (int, float)) and math.isfinite(g) and abs(g - e) <= atol + rtol * abs(e)
        for g, e in zip(got, expected))


def show(value) -> str:
    values = _flat(value)
    text = ", ".join("nan" if v is None else f"{v:.6g}" for v in values)
    return text if len(values) == 1 else f"[{text}]"


def explain_error(error: dict, what: str, cell: str) -> Feedback:
    if error.get("type") == "NotImplementedError":
        return message("not_done", cell=error.get("cell") or cell)
    if error.get("type") == "NameError" and f"'{cell}'" in str(error.get("message", "")):
        return message("missing", name=cell, cell=cell)
    return message("error", what=what, type=str(error.get("type"))[:100], message=str(error.get("message", ""))[:300])


def _kind(value) -> str:
    if value is None:
        return "None"
    if value.get("kind") == "ndarray":
        return f"un tableau NumPy ({value.get('dtype')})"
    if value.get("kind") == "tensor":
        return f"un tenseur de type {value.get('dtype')}"
    return f"un objet de type `{value.get('type')}`"


def scalar(value, what: str) -> float:
    """The one number in a plain value (a Python number, a NumPy scalar or 0-d/1-element array,
    a one-element tensor), or an AssertionError that says what it is instead."""
    if isinstance(value, dict) and value.get("kind") in ("number", "ndarray", "tensor") and "value" in value:
        numbers = _flat(value["value"])
        if len(numbers) == 1:
            return math.nan if numbers[0] is None else float(numbers[0])
    if isinstance(value, dict) and value.get("kind") == "bool":
        raise fail("not_a_number", what=what, expected="un nombre", got="un booléen")
    got = _kind(value) if isinstance(value, dict) else "None"
    if isinstance(value, dict) and value.get("kind") in ("ndarray", "tensor"):
        got += f" de forme {tuple(value.get('shape', ()))}"
    raise fail("not_a_number", what=what, expected="un nombre", got=got)


def returned(result, what: str, function: str):
    """The plain value a call of the student's function returned, or the error explained."""
    if not isinstance(result, dict):
        raise fail("no_output", detail="observation illisible")
    if "error" in result and "value" not in result:
        raise AssertionError(explain_error(dict(result["error"]), what, function))
    return result.get("value")


def _first_error(run: dict, section: str, cells: tuple[str, ...] = ()) -> dict | None:
    for error in run.get("errors", []):
        if error.get("section") == section or error.get("cell") in cells:
            return error
    return None


def _snapshot(run: dict, solution: str, name: str) -> dict:
    """The plain value of `name` just before the test cell `test_<solution>`, or why there is none."""
    snap = run.get("snapshots", {}).get(solution)
    if not isinstance(snap, dict) or ("error" in snap and name not in snap):
        raise fail("no_output", detail="les valeurs du notebook n'ont pas pu être lues")
    if name not in snap:
        error = _first_error(run, solution, (solution,))
        if error is not None:
            raise AssertionError(explain_error(error, f"La cellule `{error.get('cell')}`", solution))
        raise fail("missing", name=name, cell=solution)
    return snap[name]


def _which(got, variants: dict, rtol: float, atol: float) -> str | None:
    for code, value in variants.items():
        if close(got, value, rtol, atol):
            return code
    return None


# --- Step 1 ----------------------------------------------------------------------------

def test_moyenne(tirage, observation):
    for probe, result in zip(tirage["probes"]["moyenne"], observation["moyenne"], strict=True):
        what = f"`moyenne(x)` avec x = {probe['x']}"
        got = scalar(returned(result, what, "moyenne"), what)
        expected = reference.moyenne(probe["x"])
        if not close(got, expected, RTOL_NUMPY, ATOL_NUMPY):
            cause = _which(got, reference.moyenne_variants(probe["x"]), RTOL_NUMPY, ATOL_NUMPY)
            raise fail(cause) if cause else fail("wrong_value", what=what, expected=show(expected), got=show(got))


def test_variance(tirage, observation):
    probes = tirage["probes"]["variance"]
    means = observation.get("moyenne_de_variance") or [None] * len(probes)
    for probe, result, mean in zip(probes, observation["variance"], means, strict=True):
        what = f"`variance(x)` avec x = {probe['x']}"
        got = scalar(returned(result, what, "variance"), what)
        expected = reference.variance(probe["x"])
        if close(got, expected, RTOL_NUMPY, ATOL_NUMPY):
            continue
        variants = reference.variance_variants(probe["x"])
        try:
            student_mean = scalar(returned(mean, "moyenne", "moyenne"), "moyenne")
        except AssertionError:
            student_mean = None
        if student_mean is not None and not close(student_mean, reference.moyenne(probe["x"]), RTOL_NUMPY, ATOL_NUMPY):
            variants["variance_moyenne_fausse"] = reference.variance_with_mean(probe["x"], student_mean)
        cause = _which(got, variants, RTOL_NUMPY, ATOL_NUMPY)
        raise fail(cause) if cause else fail("wrong_value", what=what, expected=show(expected), got=show(got))


def test_resultats(tirage, observation):
    scenarios, runs = tirage["scenarios"], observation["runs"]
    if len(runs) != len(scenarios):
        raise fail("no_output", detail="toutes les exécutions n'ont pas eu lieu")
    values = []
    for k, (scenario, run) in enumerate(zip(scenarios, runs)):
        m = scalar(_snapshot(run, "resultats", "m"), "`m`")
        v = scalar(_snapshot(run, "resultats", "v"), "`v`")
        expected = (reference.moyenne(scenario["x"]), reference.variance(scenario["x"]))
        values.append((m, v))
        if close([m, v], list(expected), RTOL_NUMPY, ATOL_NUMPY):
            continue
        if k > 0 and close([m, v], list(values[0]), RTOL_NUMPY, ATOL_NUMPY):
            raise fail("hand_typed", x=scenario["x"], expected=f"m = {show(expected[0])}, v = {show(expected[1])}",
                       got=f"m = {show(m)}, v = {show(v)}")
        if not close(m, expected[0], RTOL_NUMPY, ATOL_NUMPY):
            cause = _which(m, reference.moyenne_variants(scenario["x"]), RTOL_NUMPY, ATOL_NUMPY)
            what = "`m`" + ("" if k == 0 else f" (avec d'autres données, x = {scenario['x']})")
            raise fail(cause) if cause else fail("wrong_value", what=what, expected=show(expected[0]), got=show(m))
        variants = reference.variance_variants(scenario["x"])
        variants["variance_moyenne_fausse"] = reference.variance_with_mean(scenario["x"], m)
        cause = _which(v, variants, RTOL_NUMPY, ATOL_NUMPY)
        what = "`v`" + ("" if k == 0 else f" (avec d'autres données, x = {scenario['x']})")
        raise fail(cause) if cause else fail("wrong_value", what=what, expected=show(expected[1]), got=show(v))


# --- Step 2 ----------------------------------------------------------------------------

def _tensor(value, what: str, n: int) -> list[float]:
    """The numbers of a float tensor of shape (n,), or why it is not one."""
    if not isinstance(value, dict) or value.get("kind") != "tensor":
        raise fail("pas_un_tenseur", what=what, got=_kind(value) if isinstance(value, dict) else "None")
    if not str(value.get("dtype", "")).startswith(("torch.float", "torch.double", "torch.half", "torch.bfloat")):
        raise fail("pas_un_tenseur", what=what, got=_kind(value))
    if value.get("shape") != [n]:
        raise fail("mauvaise_forme", what=what, expected=str((n,)), got=str(tuple(value.get("shape") or ())))
    if "value" not in value:
        raise fail("not_a_number", what=what, expected="un tenseur de nombres", got="un tenseur illisible")
    return [math.nan if v is None else float(v) for v in _flat(value["value"])]


def test_normaliser(tirage, observation):
    for probe, result in zip(tirage["probes"]["normaliser"], observation["normaliser"], strict=True):
        what = f"`normaliser(x)` avec x = torch.tensor({probe['x']})"
        got = _tensor(returned(result, what, "normaliser"), what, len(probe["x"]))
        expected = reference.normaliser(probe["x"])
        if not close(got, expected, RTOL_TORCH, ATOL_TORCH):
            cause = _which(got, reference.normaliser_variants(probe["x"]), RTOL_TORCH, ATOL_TORCH)
            raise fail(cause) if cause else fail("wrong_value", what=what, expected=show(expected), got=show(got))


def _mean_std(z: list[float]) -> tuple[float, float]:
    m = math.fsum(z) / len(z)
    return m, math.sqrt(math.fsum((v - m) ** 2 for v in z) / len(z))


def test_resultat(tirage, observation):
    scenarios, runs = tirage["scenarios"], observation["runs"]
    if len(runs) != len(scenarios):
        raise fail("no_output", detail="toutes les exécutions n'ont pas eu lieu")
    first = None
    for k, (scenario, run) in enumerate(zip(scenarios, runs)):
        value = _snapshot(run, "resultat", "z")
        expected = reference.normaliser(scenario["x"])
        if k > 0 and first is not None and isinstance(value, dict) and close(value.get("value"), first,
                                                                               RTOL_TORCH, ATOL_TORCH):
            raise fail("hand_typed", x=scenario["x"], expected=f"z = {show(expected)}",
                       got=f"z = {show(first)}")
        z = _tensor(value, "`z`", len(scenario["x"]))
        if close(z, expected, RTOL_TORCH, ATOL_TORCH):
            first = z if k == 0 else first
            continue
        cause = _which(z, reference.normaliser_variants(scenario["x"]), RTOL_TORCH, ATOL_TORCH)
        if cause:
            raise fail(cause)
        mean, std = _mean_std(z)
        if not (abs(mean) <= ATOL_TORCH * 10 and abs(std - 1) <= RTOL_TORCH * 10):
            raise fail("pas_normalise", x=scenario["x"], mean=show(mean), std=show(std))
        raise fail("wrong_value", what="`z`" + ("" if k == 0 else f" (avec d'autres données, x = {scenario['x']})"),
                   expected=show(expected), got=show(z))


CHECKS = {
    "etape1": {"test_moyenne": test_moyenne, "test_variance": test_variance, "test_resultats": test_resultats},
    "etape2": {"test_normaliser": test_normaliser, "test_resultat": test_resultat},
}
