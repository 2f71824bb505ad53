"""The check of a training loop, shared by the four steps: replayed on the notebook's data
and on drawn data, compared with the reference descent, and, when it differs, compared with
each known mistake so that the message can name it."""
from __future__ import annotations

from typing import Callable

from .compare import close, explain_error, first_error, numbers, show, warned_broadcast
from .feedback import feedback

Simulate = Callable[[dict, str], tuple]
Trace = Callable[[dict, int], list]     # the right descent's values after each of its first n iterations
Read = Callable[[dict], tuple]

MAX_ITERATIONS = 3000   # a loop's own number of iterations (`range(100)`) is recognised up to this

MESSAGE_OF_VARIANT = {"loss_sum_reported": "loss_sum"}

OFF_BY_ONE = ((-1, "moins", "`range(1, n_iters)` ne fait que n_iters − 1 tours"),
              (1, "plus", "`range(n_iters + 1)` ou `while i <= n_iters` font un tour de trop"))


def _describe(scenario: dict) -> str:
    keys = [k for k in ("X", "Y", "X_train", "Y_train", "w", "seed", "learning_rate", "n_iters") if k in scenario]
    return ", ".join(f"{k} = {scenario[k]}" for k in keys)


def hyper_changed(scenario: dict, snap: dict) -> str | None:
    for name in ("learning_rate", "n_iters"):
        got = snap.get(name)
        value = got.get("value") if isinstance(got, dict) else None
        if value is None or abs(value - scenario[name]) > 1e-12:
            return f"`{name}` vaut {show(value)} au lieu de {scenario[name]}"
    return None


def _cell_error(run: dict) -> dict | None:
    error = next((e for e in run.get("errors", []) if e.get("cell") == "entrainement"), None) \
        or first_error(run, ("entrainement",))
    if error and error["type"] == "NameError" and run["errors"][0] is not error:
        return run["errors"][0]  # the cause is an earlier cell that failed to define the name
    return error


def _explain_missing_values(runs: list[dict]) -> None:
    """Raise why the training's values could not be read: the error of a cell, else the values."""
    for run in runs:
        error = _cell_error(run)
        if error:
            detail = warned_broadcast(run)
            assert not detail, feedback("broadcast", detail=detail)
            raise AssertionError(explain_error(error))


def _iterations_written_in_hard(got: list, scenarios: list[dict], trace: Trace) -> int | None:
    """The number of iterations N (the same on every drawn scenario) after which the right descent
    gives what the student's loop gave, if there is one: a loop that ignores `n_iters`."""
    traces = [trace(s, MAX_ITERATIONS) for s in scenarios]
    for n in range(min(map(len, traces), default=0)):
        if all(close(g, t[n], rtol=1e-2, atol=1e-4) for g, t in zip(got, traces)):
            return n + 1
        if n > 0 and all(close(t[n], t[n - 1], rtol=1e-12, atol=1e-15) for t in traces):
            return None   # every descent has converged: later iterations give nothing new
    return None


def check_training(tirage: dict, observation: dict, *, simulate: Simulate, read: Read,
                   variants: tuple[str, ...], canonical: dict, label: str, trace: Trace | None = None) -> None:
    """Assert that the student's loop follows the reference descent on every scenario. A cell's
    error explains wrong or missing values; it never fails a loop whose values are right."""
    runs = observation["runs"]
    got, expected = [], []
    for scenario, run in zip(tirage["scenarios"], runs, strict=True):
        snap = run["snapshots"].get("entrainement")
        if not snap or "error" in snap:
            _explain_missing_values(runs)
            raise AssertionError(feedback("no_output", detail="la cellule `entrainement` n'a pas été atteinte"))
        try:
            got.append(read(snap))
        except AssertionError:
            _explain_missing_values(runs)
            raise
        expected.append(simulate(scenario, "correct"))

    if all(close(g, e) for g, e in zip(got, expected)):
        f5 = numbers(runs[0]["snapshots"]["entrainement"].get("f5"), "f(5) après l'apprentissage", "un nombre")
        assert close(f5, [10.0], rtol=0, atol=canonical["f5_atol"]), feedback(
            "wrong_value", what="f(5) après l'apprentissage", expected="10", got=show(f5))
        return

    _explain_missing_values(runs)
    for run in runs:
        detail = warned_broadcast(run)
        assert not detail, feedback("broadcast", detail=detail)
    for scenario, run in zip(tirage["scenarios"], observation["runs"], strict=True):
        changed = hyper_changed(scenario, run["snapshots"]["entrainement"])
        assert not changed, feedback("hyper_changed", detail=changed)
    for variant in variants:
        assert not all(close(g, simulate(s, variant), rtol=1e-2, atol=1e-4)
                       for g, s in zip(got, tirage["scenarios"])), feedback(
            MESSAGE_OF_VARIANT.get(variant, variant), detail="(n,) contre (n, 1)",
            n=len(tirage["scenarios"][0].get("X", [])))
    notebook = tirage["scenarios"][0]
    for offset, sens, exemple in OFF_BY_ONE:
        assert not all(close(g, simulate({**s, "n_iters": s["n_iters"] + offset}, "correct"), rtol=1e-2,
                             atol=1e-4) for g, s in zip(got, tirage["scenarios"])), feedback(
            "loop_off_by_one", sens=sens, exemple=exemple, fait=notebook["n_iters"] + offset,
            n_iters=notebook["n_iters"])
    for names in (("learning_rate",), ("n_iters",), ("learning_rate", "n_iters")):
        assert not all(close(g, simulate({**s, **{k: notebook[k] for k in names}}, "correct"), rtol=1e-2, atol=1e-4)
                       for g, s in zip(got[1:], tirage["scenarios"][1:])), feedback(
            "hyper_changed", detail=" et ".join(f"`{k}`" for k in names) + " écrit en dur dans la boucle")
    assert not (len(got) > 2 and all(close(g[0], got[0][0], rtol=1e-9, atol=1e-12) for g in got[1:])), \
        feedback("hand_typed")
    if trace is not None:
        n = _iterations_written_in_hard(got[1:], tirage["scenarios"][1:], trace)
        assert n is None, feedback("hyper_changed", detail=f"la boucle fait {n} itérations au lieu de `n_iters`")
    for g, e, scenario in zip(got, expected, tirage["scenarios"]):
        if not all(map(lambda v: v == v and abs(v) < 1e30, g)):
            raise AssertionError(feedback("diverged"))
        assert close(g, e), feedback(
            "wrong_value", what=f"{label} après l'apprentissage ({_describe(scenario)})",
            expected=show(list(e)), got=show(list(g)))
