"""Run every variant of the corpus in a real Jupyter kernel and check that it behaves as declared.

    .venv/bin/python tests/corpus/check_variants.py [-j 2] [--only SUBSTR ...] [--kit] [--json OUT]

A script, not a pytest test. Each variant's notebook (`variants.notebook`) runs twice in a
`python3` kernel through nbclient: on the notebook's own data, and on other data and
hyper-parameters written into its locked data cells (as the hidden checks do, so that typed-in
numbers show). Before every test cell, and at the end, a probe cell prints a JSON line with
what the check of that cell looks at (`w`, `L`, f(5) = `avant(5)` or `model(X_test)`, the
optimizer, the hyper-parameters, the student's functions on fixed inputs, the class).

The expectation is computed here, independently of the kit's checks, with `autograder.reference`
(`line_descent` for steps 1-3, `affine_descent` from `initial_linear(seed)` for step 4): a check
declared passing must land on the reference (rtol 1e-3, atol 1e-5) on both data sets, its visible
test must pass, and a correct variant must raise in no cell but test cells; a check declared
failing must miss the reference, and its declared cause must be among the causes its numbers or
its error fit (a known wrong descent, hyper-parameters changed, values that ignore the data, the
error it raises...). `--kit` also grades each notebook with the kit's in-process checks as they
are now, for information; `--disputed` also runs `variants.DISPUTED` (submissions whose right
outcome is open), for information.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from autograder.courses.descente_gradient import reference  # noqa: E402
from autograder.courses.descente_gradient.course import STEPS  # noqa: E402
from tests.corpus.variants import BY_ID, DISPUTED, STUBS, VARIANTS, Variant, notebook  # noqa: E402

# The other data each notebook is also run on (what a grading draw looks like).
ALT_LINE = dict(X=[-1.2, 0.7, 2.5, 3.1, -0.4], Y=[-3.0, 1.6, 5.2, 6.6, -0.9], w=0.4, learning_rate=0.05, n_iters=6)
ALT_AFFINE = dict(X_train=[[-1.0], [0.5], [2.0], [2.5]], Y_train=[[-2.3], [0.4], [2.9], [3.7]], X_test=[3.0],
                  seed=1234, learning_rate=0.02, n_iters=40)
OTHER_ITERS = (71, 100, 1001, 2000)   # iteration counts students type in

CONTRACT = {
    "etape1": ("w", "L", "avant", "regret", "gradient"),
    "etape2": ("w", "L", "avant", "regret"),
    "etape3": ("w", "L", "avant", "regret", "optimizer"),
    "etape4": ("L", "regret", "optimizer", "model", "LinearRegression"),
}

RTOL, ATOL = 1e-3, 1e-5          # landing on the reference
LOOSE = dict(rtol=1e-2, atol=1e-4)  # following a known wrong descent
F5_ATOL = {"etape1": 1e-2, "etape2": 1e-2, "etape3": 1e-2, "etape4": 0.1}

# --------------------------------------------------------------------------------------------
# The probe: one cell before each test cell and one at the end, printing `CORPUS_PROBE {json}`.

PROBE = r'''
def _corpus_probe(_step, _check):
    import json, sys
    g = globals()
    torch, np = sys.modules.get("torch"), sys.modules.get("numpy")

    def plain(v):
        try:
            if torch is not None and isinstance(v, torch.Tensor):
                t = v.detach()
                return {"kind": "tensor", "dtype": str(t.dtype), "shape": list(t.shape), "leaf": v.is_leaf,
                        "requires_grad": v.requires_grad, "value": t.double().reshape(-1).tolist()}
            if np is not None and isinstance(v, (np.ndarray, np.generic)):
                a = np.asarray(v)
                return {"kind": "ndarray", "dtype": str(a.dtype), "shape": list(a.shape),
                        "value": a.astype(float).reshape(-1).tolist()}
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                return {"kind": "number", "type": type(v).__name__, "value": [float(v)]}
            return {"kind": "other", "type": type(v).__name__}
        except BaseException as e:
            return {"kind": "unreadable", "error": f"{type(e).__name__}: {e}"[:300]}

    def call(f, *args):
        if not callable(f):
            return {"kind": "missing"}
        try:
            return plain(f(*args))
        except BaseException as e:
            return {"kind": "raised", "type": type(e).__name__, "message": str(e)[:300]}

    out = {"check": _check}
    if _check == "test_avant":
        had, saved = "w" in g, g.get("w")
        g["w"] = 1.5 if _step == "etape1" else torch.tensor(1.5, requires_grad=True)
        x = np.array([1.0, -2.0, 0.5]) if _step == "etape1" else torch.tensor([1.0, -2.0, 0.5])
        try:
            out["avant"] = call(g.get("avant"), x)
        finally:
            if had:
                g["w"] = saved
            else:
                del g["w"]
    elif _check == "test_regret":
        arr = np.array if _step == "etape1" else (lambda v: torch.tensor(v, dtype=torch.float32))
        out["regret"] = call(g.get("regret"), arr([1.0, 2.0, 3.0]), arr([1.5, 2.0, 5.0]))
    elif _check == "test_gradient":
        out["gradient"] = call(g.get("gradient"), np.array([1.0, 2.0, -1.0]), np.array([2.0, 3.0, 1.0]),
                               np.array([0.5, 2.5, 2.0]))
    elif _check == "test_entrainement":
        for name in ("w", "L", "learning_rate", "n_iters"):
            out[name] = plain(g.get(name))
        params = [g.get("w")]
        if _step == "etape4":
            m = g.get("model")
            params = list(m.parameters()) if torch is not None and isinstance(m, torch.nn.Module) else []
            out["params"] = [plain(p) for p in params]
            out["f5"] = call(m, g.get("X_test"))
        else:
            out["f5"] = call(g.get("avant"), 5.0)
        opt = g.get("optimizer")
        if opt is not None:
            groups = getattr(opt, "param_groups", None) or [{}]
            ids = {id(p) for grp in groups for p in grp.get("params", [])}
            out["optimizer"] = {"type": f"{type(opt).__module__}.{type(opt).__qualname__}",
                                "is_sgd": torch is not None and isinstance(opt, torch.optim.SGD),
                                "lr": groups[0].get("lr"),
                                "on_params": bool(params) and all(id(p) in ids for p in params)}
    elif _check == "test_modele":
        m = g.get("model")
        out["modele"] = {"type": type(m).__name__,
                         "is_linear": torch is not None and isinstance(m, torch.nn.Linear),
                         "features": [getattr(m, "in_features", None), getattr(m, "out_features", None)]}
    elif _check == "test_regression_lineaire":
        cls = g.get("LinearRegression")
        info = {"exists": isinstance(cls, type)}
        if info["exists"]:
            info["is_module"] = issubclass(cls, torch.nn.Module)
            info["forward"] = getattr(cls, "forward", None) is not torch.nn.Module.forward
            info["avant"] = callable(getattr(cls, "avant", None))
            state = torch.random.get_rng_state()
            try:
                torch.manual_seed(7)
                info["outputs"] = call(lambda: cls(1, 1)(torch.tensor([[0.0], [1.0], [2.5]])))
            finally:
                torch.random.set_rng_state(state)
        out["classe"] = info
    else:
        out["names"] = sorted(n for n in ("w", "L", "avant", "regret", "gradient", "optimizer", "model",
                                         "LinearRegression") if n in g)
    print("CORPUS_PROBE " + json.dumps(out))

_corpus_probe(%r, %r)
del _corpus_probe
'''


def _nbgrader(cell: dict) -> dict:
    return (cell.get("metadata") or {}).get("nbgrader") or {}


def build(variant: Variant, scenario_name: str) -> dict:
    """The variant's notebook, on the notebook's data or the other data, with the probe cells."""
    step = STEPS[variant.step]
    nb = notebook(ROOT, variant)
    if scenario_name == "alt":
        scenario = ALT_AFFINE if variant.step == "etape4" else ALT_LINE
        for cell in nb["cells"]:
            gid = _nbgrader(cell).get("grade_id")
            if _nbgrader(cell).get("locked") and gid in step.data_cells:
                cell["source"] = step.data_source(gid, scenario)
    cells = []
    for cell in nb["cells"]:
        meta = _nbgrader(cell)
        if cell["cell_type"] == "code" and meta.get("grade"):
            cells.append(_probe_cell(variant.step, meta["grade_id"], len(cells)))
        cells.append(cell)
    cells.append(_probe_cell(variant.step, "final", len(cells)))
    nb["cells"] = cells
    return nb


def _probe_cell(step: str, check: str, k: int) -> dict:
    return {"cell_type": "code", "execution_count": None, "id": f"corpus-probe-{k}",
            "metadata": {"corpus_probe": check}, "outputs": [], "source": PROBE % (step, check)}


# --------------------------------------------------------------------------------------------
# Running (in worker processes).

def _quiet_worker() -> None:
    """Kernels inherit the worker's stderr: keep their log lines out of the summary."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)


def run_notebook(variant_id: str, scenario_name: str) -> dict:
    import nbformat
    from nbclient import NotebookClient

    variant = BY_ID[variant_id]
    nb = nbformat.reads(json.dumps(build(variant, scenario_name)), as_version=4)
    nbformat.validate(nb)
    started = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        client = NotebookClient(nb, timeout=60, kernel_name="python3", allow_errors=True,
                                resources={"metadata": {"path": tmp}})
        try:
            client.execute()
            crashed = None
        except Exception as exc:  # a timeout or a dead kernel
            crashed = f"{type(exc).__name__}: {str(exc)[:300]}"
    cells, probes, student_k = [], {}, 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        meta = _nbgrader(cell)
        probe = cell.get("metadata", {}).get("corpus_probe")
        if probe:
            role, name = "probe", probe
        elif meta.get("solution"):
            role, name = "solution", meta["grade_id"]
        elif meta.get("grade"):
            role, name = "test", meta["grade_id"]
        elif meta.get("grade_id"):
            role, name = "locked", meta["grade_id"]
        else:
            student_k += 1
            role, name = "student", f"cellule ajoutée {student_k}"
        errors, stderr = [], ""
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                errors.append({"type": out.get("ename"), "message": str(out.get("evalue"))[:400]})
            elif out.get("output_type") == "stream":
                text = out.get("text", "")
                if out.get("name") == "stderr":
                    stderr += text
                if probe:
                    for line in text.splitlines():
                        if line.startswith("CORPUS_PROBE "):
                            probes[probe] = json.loads(line[len("CORPUS_PROBE "):])
        cells.append({"role": role, "name": name, "errors": errors, "stderr": stderr[-2000:]})
    return {"variant": variant_id, "scenario": scenario_name, "cells": cells, "probes": probes,
            "crashed": crashed, "seconds": round(time.time() - started, 1)}


def kit_grade(variant_id: str) -> dict:
    """The kit's in-process checks as they are now (observer + checks, one draw), for information."""
    try:
        from autograder.courses.descente_gradient.checks import run_check
        from autograder.courses.descente_gradient.draws import draw
        from autograder.observe import cells_from_notebook, observe

        variant = BY_ID[variant_id]
        tirage = draw(variant.step, 12345)
        observation = observe(variant.step, cells_from_notebook(notebook(ROOT, variant)), tirage)
        out = {}
        for check in STEPS[variant.step].checks:
            message = run_check(variant.step, check, tirage, observation)
            out[check] = None if message is None else getattr(message, "code", "?")
        return {"variant": variant_id, "kit": out}
    except Exception as exc:
        return {"variant": variant_id, "kit": {"?": f"{type(exc).__name__}: {exc}"[:200]}}


# --------------------------------------------------------------------------------------------
# Judging (in the main process), from the reference and the probes only.

def flat(v) -> list[float]:
    if isinstance(v, (list, tuple)):
        return [x for e in v for x in flat(e)]
    return [math.nan if v is None else float(v)]


def close(got, expected, rtol=RTOL, atol=ATOL) -> bool:
    got, expected = flat(got), flat(expected)
    return len(got) == len(expected) and all(
        math.isfinite(g) and abs(g - e) <= atol + rtol * abs(e) for g, e in zip(got, expected))


def values(p: dict | None) -> list[float] | None:
    """The numbers of a probed value, or None when it is not a (float) number."""
    if not isinstance(p, dict) or p.get("kind") not in ("tensor", "ndarray", "number"):
        return None
    return p["value"]


def cause_of_error(error: dict) -> str:
    m = error.get("message", "")
    if error.get("type") == "NotImplementedError" and "forward" not in m:
        return "not_done"
    if re.search(r'missing the required "forward"', m):
        return "avant_instead_of_forward"
    if re.search(r"leaf Variable that requires grad is being used in an in-place operation", m):
        return "update_outside_no_grad"
    if re.search(r"'NoneType' object has no attribute 'zero_'|does not require grad and does not have a grad_fn"
                 r"|unsupported operand type.*NoneType", m):
        return "w_rebound"
    if re.search(r"same dtype|Long|expected scalar type|Only Tensors of floating point", m):
        return "integer_tensor"
    return "error"


def scenarios_of(step: str) -> dict:
    return {"nb": dict(STEPS[step].canonical), "alt": ALT_AFFINE if step == "etape4" else ALT_LINE}


def simulate(step: str, s: dict, variant: str = "correct") -> tuple:
    if step == "etape4":
        (w0,), (b0,) = reference.initial_linear(s["seed"])
        xs, ys = [r[0] for r in s["X_train"]], [r[0] for r in s["Y_train"]]
        return reference.affine_descent(xs, ys, w0, b0, s["learning_rate"], s["n_iters"], variant)
    w, L, _ = reference.line_descent(s["X"], s["Y"], s["w"], s["learning_rate"], s["n_iters"], variant)
    return (w, L)


def trained(step: str, probe: dict) -> list[float] | None:
    """(w, L) or (weight, bias, L) read from the probe before test_entrainement."""
    L = values(probe.get("L"))
    if step == "etape4":
        params = [values(p) for p in probe.get("params") or []]
        if len(params) != 2 or any(p is None for p in params) or L is None:
            return None
        return [*params[0], *params[1], *L]
    w = values(probe.get("w"))
    return None if w is None or L is None else [*w, *L]


def first_error(run: dict, upto: str) -> dict | None:
    """The error that explains a failure of the training cell: its own, or the earlier one that
    left a name undefined."""
    earlier = None
    for cell in run["cells"]:
        if cell["role"] in ("solution", "student", "locked") and cell["errors"]:
            if cell["name"] == upto:
                own = cell["errors"][0]
                return earlier if own["type"] == "NameError" and earlier else own
            if earlier is None and cell["role"] == "solution":
                earlier = cell["errors"][0]
        if cell["role"] == "test" and cell["name"] == f"test_{upto}":
            break
    return None


def cell_stderr(run: dict, name: str) -> str:
    return "".join(c["stderr"] for c in run["cells"] if c["name"] == name)


def judge_training(step: str, runs: dict) -> set[str]:
    """'pass', or the causes that the numbers/errors of the training fit."""
    nb_run = runs["nb"]
    error = first_error(nb_run, "entrainement")
    if step == "etape4" and error is None:
        error = first_error(nb_run, "modele")
    if error:
        causes = {cause_of_error(error)}
        if "target size" in cell_stderr(nb_run, "entrainement"):
            causes.add("broadcast")
        return causes
    scen = scenarios_of(step)
    got = {k: trained(step, runs[k]["probes"].get("test_entrainement", {})) for k in ("nb", "alt")}
    if any(g is None for g in got.values()):
        return {"error"}
    causes = set()
    # the optimizer and the hyper-parameters as the probe sees them
    for k in ("nb", "alt"):
        probe = runs[k]["probes"]["test_entrainement"]
        for name in ("learning_rate", "n_iters"):
            v = values(probe.get(name))
            if v is None or abs(v[0] - scen[k][name]) > 1e-12:
                causes.add("hyper_changed")
        if step in ("etape3", "etape4"):
            opt = probe.get("optimizer")
            if not opt or not opt["is_sgd"] or not opt["on_params"] or opt["lr"] is None \
                    or abs(opt["lr"] - scen[k]["learning_rate"]) > 1e-12:
                causes.add("optimizer")
    if "target size" in cell_stderr(nb_run, "entrainement"):
        causes.add("broadcast")
    ok = all(close(got[k], simulate(step, scen[k])) for k in ("nb", "alt"))
    f5 = values(runs["nb"]["probes"]["test_entrainement"].get("f5"))
    f5_ok = f5 is not None and len(f5) == 1 and abs(f5[0] - 10.0) <= F5_ATOL[step]
    if ok and f5_ok and not causes:
        return {"pass"}
    if not f5_ok and f5 is None:
        f5_probe = runs["nb"]["probes"]["test_entrainement"].get("f5") or {}
        if f5_probe.get("kind") == "raised":
            causes.add(cause_of_error(f5_probe))
    # a known wrong descent, on both data sets
    known = ("broadcast", "grad_not_zeroed") if step == "etape4" else (
        "gradient_sum", "gradient_sign", "gradient_no_factor_2", "loss_sum", "loss_sum_reported", "grad_not_zeroed")
    for variant in known:
        if all(close(got[k], simulate(step, scen[k], variant), **LOOSE) for k in got):
            causes.add({"loss_sum_reported": "loss_sum"}.get(variant, variant))
    # the right descent with the notebook's learning rate / a typed-in number of iterations
    alt, nb = scen["alt"], scen["nb"]
    for lr in (alt["learning_rate"], nb["learning_rate"]):
        for n in {alt["n_iters"], nb["n_iters"], *OTHER_ITERS}:
            if (lr, n) != (alt["learning_rate"], alt["n_iters"]) and \
                    close(got["alt"], simulate(step, {**alt, "learning_rate": lr, "n_iters": n}), **LOOSE):
                causes.add("hyper_changed")
    # values that do not depend on the data
    if close(got["alt"][0], got["nb"][0], rtol=1e-9, atol=1e-12) and not close(got["alt"], simulate(step, alt)):
        causes.add("hand_typed")
    return causes or {"wrong_value"}


def judge_function(step: str, check: str, probe: dict, runs: dict) -> set[str]:
    if check == "test_avant":
        got, expected = probe.get("avant"), [1.5, -3.0, 0.75]
        factors = {}
    elif check == "test_regret":
        got, n = probe.get("regret"), 3
        e = reference.mse([1.0, 2.0, 3.0], [1.5, 2.0, 5.0])
        expected, factors = [e], {"loss_sum": [e * n]}
    else:
        got = probe.get("gradient")
        e = reference.mse_gradient([1.0, 2.0, -1.0], [2.0, 3.0, 1.0], [0.5, 2.5, 2.0])
        expected = [e]
        factors = {"gradient_sum": [3 * e], "gradient_sign": [-e], "gradient_no_factor_2": [e / 2]}
    if isinstance(got, dict) and got.get("kind") == "raised":
        return {cause_of_error(got)}
    v = values(got)
    if v is None:
        return {"error"}
    if close(v, expected):
        return {"pass"}
    return {c for c, f in factors.items() if close(v, f)} or {"wrong_value"}


def judge(variant: Variant, runs: dict) -> dict:
    step = variant.step
    nb_run = runs["nb"]
    judged = {}
    for check in STEPS[step].checks:
        probe = nb_run["probes"].get(check, {})
        if check == "test_entrainement":
            judged[check] = judge_training(step, runs)
        elif check == "test_modele":
            error = first_error(nb_run, "modele")
            m = probe.get("modele") or {}
            judged[check] = ({cause_of_error(error)} if error else
                             {"pass"} if m.get("is_linear") and m.get("features") == [1, 1] else {"not_linear_model"})
        elif check == "test_regression_lineaire":
            error = first_error(nb_run, "regression_lineaire")
            info = probe.get("classe") or {}
            out = values(info.get("outputs"))
            if error:
                judged[check] = {cause_of_error(error)}
            elif not info.get("exists"):
                judged[check] = {"not_done"}
            elif not info.get("forward") and info.get("avant"):
                judged[check] = {"avant_instead_of_forward"}
            elif out and len(out) == 3 and close(out[2] - out[0], 2.5 * (out[1] - out[0]), rtol=1e-4):
                judged[check] = {"pass"}
            else:
                judged[check] = {cause_of_error(info["outputs"])} if (info.get("outputs") or {}).get("kind") == "raised" \
                    else {"wrong_value"}
        else:
            judged[check] = judge_function(step, check, probe, runs)
    return judged


def visible_failures(run: dict) -> dict[str, str]:
    return {c["name"]: f'{c["errors"][0]["type"]}: {c["errors"][0]["message"][:80]}'
            for c in run["cells"] if c["role"] == "test" and c["errors"]}


def assess(variant: Variant, runs: dict) -> tuple[bool, list[str], dict]:
    """(as declared?, problems, judged causes)."""
    problems = []
    for k, run in runs.items():
        if run["crashed"]:
            problems.append(f"{k}: kernel {run['crashed']}")
        if "final" not in run["probes"]:
            problems.append(f"{k}: the final probe did not print")
    if problems:
        return False, problems, {}
    judged = judge(variant, runs)
    visible = visible_failures(runs["nb"])
    for check in STEPS[variant.step].checks:
        declared = variant.fails.get(check, "pass")
        got = judged[check]
        if declared == "pass":
            if got != {"pass"}:
                problems.append(f"{check}: declared passing, judged {sorted(got)}")
            failed = visible.get(check)
            if failed and "historique" not in failed:
                problems.append(f"{check}: declared passing, its visible test fails ({failed})")
        elif declared not in got:
            problems.append(f"{check}: declared {declared}, judged {sorted(got)}")
    if variant.correct:
        for k, run in runs.items():
            for c in run["cells"]:
                if c["errors"] and c["role"] not in ("test",):
                    problems.append(f"{k}: error in {c['role']} cell {c['name']}: {c['errors'][0]['type']}: "
                                    f"{c['errors'][0]['message'][:100]}")
            missing = set(CONTRACT[variant.step]) - set(run["probes"]["final"]["names"])
            if missing:
                problems.append(f"{k}: names missing at the end: {sorted(missing)}")
    return not problems, problems, judged


# --------------------------------------------------------------------------------------------

def check_stubs() -> list[str]:
    """The stubs the corpus writes are the release's own text."""
    from autograder.courses.descente_gradient.course import ASSIGNMENT

    out = []
    for (step, gid), text in STUBS.items():
        nb = json.loads((ROOT / "release" / ASSIGNMENT / STEPS[step].filename).read_text(encoding="utf-8"))
        cells = [c for c in nb["cells"] if _nbgrader(c).get("grade_id") == gid]
        src = "".join(cells[0]["source"]) if cells and isinstance(cells[0]["source"], list) else (
            cells[0]["source"] if cells else None)
        if src != text:
            out.append(f"stub {step}/{gid} differs from the release")
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-j", "--jobs", type=int, default=2)
    parser.add_argument("--only", nargs="*", default=[], help="substrings of variant ids")
    parser.add_argument("--kit", action="store_true", help="also grade with the kit's checks as they are now")
    parser.add_argument("--disputed", action="store_true", help="also run the DISPUTED variants (for information)")
    parser.add_argument("--json", type=Path, help="write the raw runs and verdicts there")
    args = parser.parse_args(argv)

    os.environ["PATH"] = str(ROOT / ".venv" / "bin") + os.pathsep + os.environ.get("PATH", "")
    os.environ["MPLBACKEND"] = "Agg"
    pool_of = VARIANTS + (DISPUTED if args.disputed else [])
    variants = [v for v in pool_of if not args.only or any(s in v.id for s in args.only)]
    for line in check_stubs():
        print("WARNING:", line)

    runs: dict[str, dict] = {v.id: {} for v in variants}
    kit: dict[str, dict] = {}
    started = time.time()
    with ProcessPoolExecutor(max_workers=args.jobs, mp_context=get_context("spawn"),
                             initializer=_quiet_worker) as pool:
        futures = [pool.submit(run_notebook, v.id, s) for v in variants for s in ("nb", "alt")]
        if args.kit:
            futures += [pool.submit(kit_grade, v.id) for v in variants]
        for i, fut in enumerate(as_completed(futures), 1):
            res = fut.result()
            if "kit" in res:
                kit[res["variant"]] = res["kit"]
            else:
                runs[res["variant"]][res["scenario"]] = res
            print(f"\r{i}/{len(futures)} done ({time.time() - started:.0f} s)", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)

    rows, bad, dump = [], 0, {}
    for v in variants:
        ok, problems, judged = assess(v, runs[v.id])
        disputed = v in DISPUTED
        bad += not ok and not disputed
        declared = ", ".join(f"{c.removeprefix('test_')}:{k}" for c, k in v.fails.items()) or "all pass"
        extra = {c: sorted(j - {v.fails.get(c, "pass")}) for c, j in judged.items() if j - {v.fails.get(c, "pass")}}
        visible = ", ".join(c.removeprefix("test_") for c in visible_failures(runs[v.id]["nb"])) or "-"
        kit_col = ""
        if args.kit:
            k = kit.get(v.id, {})
            kit_col = ", ".join(f"{c.removeprefix('test_')}:{m}" for c, m in k.items() if m) or "all pass"
            kit_same = {c: m for c, m in k.items() if m} == v.fails
            kit_col = ("= " if kit_same else "≠ ") + kit_col
        rows.append((v.id, v.step, ("open:" if disputed else "") + ("OK" if ok else "MISMATCH"), declared, visible, kit_col, problems, extra))
        dump[v.id] = {"ok": ok, "problems": problems, "judged": {c: sorted(j) for c, j in judged.items()},
                      "runs": runs[v.id], "kit": kit.get(v.id)}

    w = max(len(r[0]) for r in rows)
    print(f"{'variant':<{w}}  {'step':<6}  {'verdict':<8}  {'declared failures':<44}  {'visible tests failing':<24}"
          + ("  kit now" if args.kit else ""))
    for vid, step, verdict, declared, visible, kit_col, problems, extra in rows:
        print(f"{vid:<{w}}  {step:<6}  {verdict:<8}  {declared:<44}  {visible:<24}" + (f"  {kit_col}" if args.kit else ""))
        for p in problems:
            print(f"{'':<{w}}    ! {p}")
        for c, causes in extra.items():
            if causes and verdict.endswith("OK"):
                print(f"{'':<{w}}    (also fits {c.removeprefix('test_')}: {', '.join(causes)})")
    n_correct = sum(v.correct for v in variants)
    n_disputed = sum(v in DISPUTED for v in variants)
    if n_disputed:
        print(f"\n{n_disputed} DISPUTED variants shown for information (open: ...), not counted below")
        variants = [v for v in variants if v not in DISPUTED]
        n_correct = sum(v.correct for v in variants)
    print(f"\n{len(variants)} variants ({n_correct} correct, {len(variants) - n_correct} mistakes): "
          f"{len(variants) - bad} as declared, {bad} not; {time.time() - started:.0f} s")
    if args.json:
        args.json.write_text(json.dumps(dump, indent=1, ensure_ascii=False))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
