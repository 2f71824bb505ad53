"""A second assignment, `moyenne_variance` (autograder/courses/moyenne_variance/), graded by the
machinery without the machinery naming it anywhere.

(a) Its reference, draws and checks, on hand-made observations (fast), and its notebooks'
    contract (metadata, templates, hidden parts, visible messages equal to the hidden ones).
(b) End to end in a temporary course: `nbgrader generate_assignment`, a sample class graded by the
    real `nbgrader autograde` and by the kit's grader, the same scores in both gradebooks, the
    causes named in both graders' records, then the reports.
"""
from __future__ import annotations

import io
import json
import math
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder import records
from autograder.course import load
from autograder.courses.moyenne_variance import checks, draws, reference
from autograder.courses.moyenne_variance.checks import CHECKS, MESSAGES
from autograder.courses.moyenne_variance.course import ASSIGNMENT
from autograder.courses.moyenne_variance.sample_class import STUDENTS, expected_scores, write_class
from autograder.feedback import Feedback, run_check
from autograder.nbgrader_cli import ROOT, nbgrader

SOURCE = ROOT / "source" / ASSIGNMENT
STEPS = tuple(load(ASSIGNMENT).steps.values())   # as the machinery sees them (their data read from source/)
SEEDS = range(60)


def _notebook(step) -> dict:
    return json.loads((SOURCE / step.filename).read_text(encoding="utf-8"))


def _source(cell) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def _meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def points() -> dict[tuple[str, str], float]:
    """{(step, test grade_id): points}, read from the instructor notebooks."""
    return {(step.name, _meta(c)["grade_id"]): float(_meta(c)["points"])
            for step in STEPS for c in _notebook(step)["cells"] if _meta(c).get("grade")}


# --- (a) the notebooks' contract ---------------------------------------------------------

@pytest.mark.parametrize("step", STEPS, ids=lambda s: s.name)
def test_notebook_metadata_matches_the_course_package(step):
    import nbformat

    nb = nbformat.read(SOURCE / step.filename, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    cells = nb.cells
    ids = [_meta(c)["grade_id"] for c in cells]
    assert len(ids) == len(set(ids)), "grade_ids are unique within a notebook"
    for c in cells:
        m = _meta(c)
        assert m["schema_version"] == 3 and m["task"] is False
        if c.cell_type == "code":
            assert c.outputs == [] and c.execution_count is None, "committed without outputs"
    tests = [c for c in cells if _meta(c).get("grade")]
    assert tuple(_meta(c)["grade_id"] for c in tests) == step.checks
    for c in tests:
        m = _meta(c)
        assert m["locked"] and not m["solution"] and m["points"] in (1, 2)
        hidden = (f"### BEGIN HIDDEN TESTS\nfrom autograder.nbgrader_cell import verifier\n"
                  f"verifier('{step.name}', '{m['grade_id']}')\n### END HIDDEN TESTS\n")
        assert c.source.startswith(hidden)
        assert "assert" in c.source[len(hidden):], "a visible French assert follows the hidden part"
    solutions = [c for c in cells if _meta(c).get("solution")]
    assert tuple(_meta(c)["grade_id"] for c in solutions) == step.solution_cells
    for c in solutions:
        assert not _meta(c)["locked"] and not _meta(c)["grade"]
        assert "### BEGIN SOLUTION" in c.source and "### END SOLUTION" in c.source
    for grade_id in step.data_cells:
        (cell,) = [c for c in cells if _meta(c)["grade_id"] == grade_id]
        assert _meta(cell)["locked"] and not _meta(cell)["solution"]
        assert cell.source == step.data_source(grade_id, step.canonical), "the template renders the cell back"
    # each test cell stands right after the solution cell whose snapshot it reads
    for test in step.checks:
        assert test.removeprefix("test_") in step.solution_cells


def test_the_course_is_loaded_with_the_notebooks_own_data():
    course = load(ASSIGNMENT)
    assert list(course.steps) == ["etape1", "etape2"]
    assert course.steps["etape1"].canonical == {"x": [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]}
    assert course.steps["etape2"].canonical == {"x": [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]}
    assert course.checks is CHECKS
    assert {s: set(c) for s, c in CHECKS.items()} == {s.name: set(s.checks) for s in STEPS}
    assert "import numpy as np" in course.warm_up and "import torch" in course.warm_up


# The visible asserts say what the hidden checks say, word for word.
VISIBLE_MESSAGES = {
    "etape1": ("moyenne_somme", "variance_n_moins_1", "variance_ecart_type"),
    "etape2": ("ecart_type_corrige", "centre_seulement"),
}


@pytest.mark.parametrize("step", STEPS, ids=lambda s: s.name)
def test_visible_messages_are_the_hidden_checks_messages(step):
    text = "\n".join(_source(c) for c in _notebook(step)["cells"])
    for code in VISIBLE_MESSAGES[step.name]:
        assert json.dumps(MESSAGES[code][0], ensure_ascii=False)[1:-1] in text, code


def test_sandbox_side_modules_import_only_what_they_may():
    folder = ROOT / "autograder" / "courses" / ASSIGNMENT
    assert (folder / "__init__.py").read_text() == ""
    allowed = {"course.py": {"__future__", "autograder.course"},
               "observe.py": {"__future__", "autograder.observe.plain", "autograder.observe.replay", "numpy", "torch"}}
    for name, ok in allowed.items():
        imported = set(re.findall(r"^\s*(?:from|import) ([\w.]+)", (folder / name).read_text(), re.M))
        assert imported <= ok, (name, imported - ok)


# --- (a) the reference -------------------------------------------------------------------

def test_reference_on_the_notebook_data():
    x = [2, 4, 4, 4, 5, 5, 7, 9]
    assert reference.moyenne(x) == 5.0 and reference.variance(x) == 4.0 and reference.ecart_type(x) == 2.0
    assert reference.normaliser(x) == [-1.5, -0.5, -0.5, -0.5, 0.0, 0.0, 1.0, 2.0]
    v = reference.variance_variants(x)
    assert v["variance_n_moins_1"] == 32 / 7 and v["variance_ecart_type"] == 2.0 and v["variance_somme"] == 32.0
    assert v["variance_non_centree"] == 29.0 and v["variance_ecarts_absolus"] == 1.5
    assert reference.moyenne_variants(x) == {"moyenne_somme": 40.0, "moyenne_n_moins_1": 40 / 7}
    z = reference.normaliser_variants(x)
    assert all(math.isclose(a, b) for a, b in zip(z["ecart_type_corrige"],
                                                  [v * math.sqrt(7 / 8) for v in reference.normaliser(x)]))


def test_reference_agrees_with_numpy_and_torch():
    import numpy as np
    import torch

    x = [3.1, -2.0, 7.5, 0.4, 11.2]
    assert math.isclose(reference.moyenne(x), np.mean(x)) and math.isclose(reference.variance(x), np.var(x))
    assert math.isclose(reference.variance_variants(x)["variance_n_moins_1"], np.var(x, ddof=1))
    t = torch.tensor(x, dtype=torch.float64)
    assert np.allclose(reference.normaliser(x), ((t - t.mean()) / t.std(correction=0)).tolist())
    assert np.allclose(reference.normaliser_variants(x)["ecart_type_corrige"], ((t - t.mean()) / t.std()).tolist())


# --- (a) the draws -----------------------------------------------------------------------

@pytest.mark.parametrize("step", STEPS, ids=lambda s: s.name)
def test_draw_starts_with_the_notebook_data_and_is_reproducible(step):
    tirage = draws.draw(step.name, seed=7)
    assert tirage["scenarios"][0] == step.canonical and len(tirage["scenarios"]) == 3
    assert tirage == draws.draw(step.name, seed=7)
    assert tirage != draws.draw(step.name, seed=8)
    json.dumps(tirage, allow_nan=False)
    for scenario in tirage["scenarios"][1:]:
        assert set(scenario) == {"x"} and 4 <= len(scenario["x"]) <= 7


def _pairwise_apart(values) -> bool:
    return draws._all_apart(values)


@pytest.mark.parametrize("seed", SEEDS)
def test_every_draw_tells_each_mistake_apart(seed):
    """Whatever the draw, the right answer, each known mistake and the notebook's own results give
    clearly different numbers: one cause only, and typed-in results never pass."""
    t1, t2 = draws.draw("etape1", seed), draws.draw("etape2", seed)
    x0 = t1["scenarios"][0]["x"]
    for p in t1["probes"]["moyenne"]:
        assert _pairwise_apart([reference.moyenne(p["x"]), *reference.moyenne_variants(p["x"]).values()])
    for p in t1["probes"]["variance"]:
        assert _pairwise_apart([reference.variance(p["x"]), *reference.variance_variants(p["x"]).values()])
    for s in t1["scenarios"][1:]:
        assert draws._apart([reference.moyenne(s["x"]), reference.variance(s["x"])],
                            [reference.moyenne(x0), reference.variance(x0)])
    for p in t2["probes"]["normaliser"] + t2["scenarios"][1:]:
        assert _pairwise_apart([reference.normaliser(p["x"]), *reference.normaliser_variants(p["x"]).values()])
    for s in t2["scenarios"][1:]:
        assert len(s["x"]) != len(x0) or draws._apart(reference.normaliser(s["x"]), reference.normaliser(x0))


# --- (a) the checks on hand-made observations --------------------------------------------

def _number(v) -> dict:
    return {"kind": "number", "type": "float64", "value": float(v)}


def _tensor(values, dtype="torch.float32") -> dict:
    values = [float(v) for v in values]
    return {"kind": "tensor", "type": "Tensor", "dtype": dtype, "shape": [len(values)],
            "requires_grad": False, "is_leaf": True, "value": values}


def _call(fn, x, wrap) -> dict:
    try:
        return {"value": wrap(fn(x))}
    except NotImplementedError:
        return {"error": {"type": "NotImplementedError", "message": ""}}


def _run(snapshot: dict, errors=()) -> dict:
    return {"errors": list(errors), "warnings": [], "snapshots": snapshot, "visible_tests": {}}


def observe1(tirage, moyenne, variance, resultats=None) -> dict:
    """What the observer reports for a student whose functions are `moyenne` and `variance` (on
    lists of floats) and whose results cell gives `resultats(x, k) -> (m, v)`."""
    resultats = resultats or (lambda x, k: (moyenne(x), variance(x)))
    runs = []
    for k, scenario in enumerate(tirage["scenarios"]):
        m, v = resultats(scenario["x"], k)
        runs.append(_run({"resultats": {"m": _number(m), "v": _number(v)}}))
    return {"runs": runs,
            "moyenne": [_call(moyenne, p["x"], _number) for p in tirage["probes"]["moyenne"]],
            "variance": [_call(variance, p["x"], _number) for p in tirage["probes"]["variance"]],
            "moyenne_de_variance": [_call(moyenne, p["x"], _number) for p in tirage["probes"]["variance"]]}


def observe2(tirage, normaliser, resultat=None, wrap=_tensor) -> dict:
    resultat = resultat or (lambda x, k: normaliser(x))
    runs = [_run({"resultat": {"z": wrap(resultat(s["x"], k)), "x": _tensor(s["x"])}})
            for k, s in enumerate(tirage["scenarios"])]
    return {"runs": runs, "normaliser": [_call(normaliser, p["x"], wrap) for p in tirage["probes"]["normaliser"]]}


def _mean(x):
    return sum(x) / len(x)


def _var_with(mean):
    return lambda x: sum((v - mean(x)) ** 2 for v in x) / len(x)


RIGHT1 = dict(moyenne=_mean, variance=_var_with(_mean))
MISTAKES1 = {
    # name: (student functions, {check: cause})
    "moyenne_somme": (dict(moyenne=sum, variance=_var_with(_mean)),
                      {"test_moyenne": "moyenne_somme", "test_resultats": "moyenne_somme"}),
    "moyenne_n_moins_1": (dict(moyenne=lambda x: sum(x) / (len(x) - 1), variance=_var_with(_mean)),
                          {"test_moyenne": "moyenne_n_moins_1", "test_resultats": "moyenne_n_moins_1"}),
    "variance_n_moins_1": (dict(moyenne=_mean, variance=lambda x: sum((v - _mean(x)) ** 2 for v in x) / (len(x) - 1)),
                           {"test_variance": "variance_n_moins_1", "test_resultats": "variance_n_moins_1"}),
    "variance_ecart_type": (dict(moyenne=_mean, variance=lambda x: math.sqrt(_var_with(_mean)(x))),
                            {"test_variance": "variance_ecart_type", "test_resultats": "variance_ecart_type"}),
    "variance_somme": (dict(moyenne=_mean, variance=lambda x: sum((v - _mean(x)) ** 2 for v in x)),
                       {"test_variance": "variance_somme", "test_resultats": "variance_somme"}),
    "variance_non_centree": (dict(moyenne=_mean, variance=lambda x: sum(v * v for v in x) / len(x)),
                             {"test_variance": "variance_non_centree", "test_resultats": "variance_non_centree"}),
    "variance_ecarts_absolus": (dict(moyenne=_mean, variance=lambda x: sum(abs(v - _mean(x)) for v in x) / len(x)),
                                {"test_variance": "variance_ecarts_absolus",
                                 "test_resultats": "variance_ecarts_absolus"}),
    # a right variance written with a wrong `moyenne`: the variance's message points at `moyenne`
    "variance_moyenne_fausse": (dict(moyenne=sum, variance=_var_with(sum)),
                                {"test_moyenne": "moyenne_somme", "test_variance": "variance_moyenne_fausse",
                                 "test_resultats": "moyenne_somme"}),
}


def _outcomes(step: str, tirage: dict, observation: dict) -> dict[str, str | None]:
    """{check: None when it passes, else its cause code}; every message is a French Feedback."""
    out = {}
    for check in CHECKS[step]:
        message = run_check(load(ASSIGNMENT), step, check, tirage, observation)
        if message is not None:
            assert isinstance(message, Feedback) and message.en and message.code in checks.CAUSES, message
            assert not re.search(r"\{\w+\}", message), message
        out[check] = None if message is None else message.code
    return out


@pytest.mark.parametrize("seed", range(10))
def test_right_answers_pass_every_check(seed):
    t1, t2 = draws.draw("etape1", seed), draws.draw("etape2", seed)
    assert _outcomes("etape1", t1, observe1(t1, **RIGHT1)) == dict.fromkeys(CHECKS["etape1"])
    assert _outcomes("etape2", t2, observe2(t2, reference.normaliser)) == dict.fromkeys(CHECKS["etape2"])


@pytest.mark.parametrize("seed", range(10))
@pytest.mark.parametrize("name", MISTAKES1)
def test_each_step1_mistake_fails_its_checks_naming_its_cause(name, seed):
    functions, causes = MISTAKES1[name]
    tirage = draws.draw("etape1", seed)
    assert _outcomes("etape1", tirage, observe1(tirage, **functions)) == {c: causes.get(c) for c in CHECKS["etape1"]}


def _unbiased(x):
    m = _mean(x)
    return math.sqrt(sum((v - m) ** 2 for v in x) / (len(x) - 1))


MISTAKES2 = {
    "ecart_type_corrige": lambda x: [(v - _mean(x)) / _unbiased(x) for v in x],
    "centre_seulement": lambda x: [v - _mean(x) for v in x],
    "divise_par_variance": lambda x: [(v - _mean(x)) / _var_with(_mean)(x) for v in x],
    "sans_centrer": lambda x: [v / math.sqrt(_var_with(_mean)(x)) for v in x],
}


@pytest.mark.parametrize("seed", range(10))
@pytest.mark.parametrize("name", MISTAKES2)
def test_each_step2_mistake_fails_its_checks_naming_its_cause(name, seed):
    tirage = draws.draw("etape2", seed)
    assert _outcomes("etape2", tirage, observe2(tirage, MISTAKES2[name])) == dict.fromkeys(CHECKS["etape2"], name)


def test_results_typed_in_by_hand_fail_on_the_drawn_data():
    t1, t2 = draws.draw("etape1", 3), draws.draw("etape2", 3)
    typed1 = observe1(t1, **RIGHT1, resultats=lambda x, k: (5.0, 4.0))
    assert _outcomes("etape1", t1, typed1) == {"test_moyenne": None, "test_variance": None,
                                               "test_resultats": "hand_typed"}
    typed2 = observe2(t2, reference.normaliser, resultat=lambda x, k: [-1.5, -0.5, -0.5, -0.5, 0, 0, 1, 2])
    assert _outcomes("etape2", t2, typed2) == {"test_normaliser": None, "test_resultat": "hand_typed"}
    message = run_check(load(ASSIGNMENT), "etape1", "test_resultats", t1, typed1)
    assert "écrits à la main" in message and str(t1["scenarios"][1]["x"]) in message


def test_untouched_release_is_not_done_and_missing_names_are_named():
    def stub(x):
        raise NotImplementedError()

    tirage = draws.draw("etape1", 1)
    observation = observe1(tirage, moyenne=stub, variance=stub, resultats=lambda x, k: (0, 0))
    error = {"cell": "resultats", "section": "resultats", "type": "NotImplementedError", "message": ""}
    observation["runs"] = [_run({"resultats": {}}, [error]) for _ in tirage["scenarios"]]
    assert _outcomes("etape1", tirage, observation) == dict.fromkeys(CHECKS["etape1"], "not_done")
    observation["moyenne"] = [{"error": {"type": "NameError", "message": "name 'moyenne' is not defined"}}] * 2
    observation["runs"] = [_run({"resultats": {"m": _number(1)}}) for _ in tirage["scenarios"]]
    out = _outcomes("etape1", tirage, observation)
    assert out["test_moyenne"] == "missing" and out["test_resultats"] == "missing"
    assert "`v` n'est pas défini" in run_check(load(ASSIGNMENT), "etape1", "test_resultats", tirage, observation)


def test_normaliser_must_return_a_float_tensor_of_the_shape_of_x():
    tirage = draws.draw("etape2", 2)
    as_array = lambda values: {**_tensor(values), "kind": "ndarray", "type": "ndarray", "dtype": "float64"}  # noqa: E731
    assert set(_outcomes("etape2", tirage, observe2(tirage, reference.normaliser, wrap=as_array)).values()) \
        == {"pas_un_tenseur"}
    scalar = observe2(tirage, reference.normaliser)
    scalar["normaliser"] = [{"value": {**_tensor([0.0]), "shape": []}}] * 2
    assert _outcomes("etape2", tirage, scalar)["test_normaliser"] == "mauvaise_forme"
    message = run_check(load(ASSIGNMENT), "etape2", "test_normaliser", tirage, observe2(tirage, MISTAKES2[
        "ecart_type_corrige"]))
    assert "torch.std(x)" in message and "n - 1" in message and "correction=0" in message


def test_a_garbled_observation_fails_without_crashing():
    tirage = draws.draw("etape1", 0)
    for garbled in ({}, {"runs": []}, {"runs": [None] * 3, "moyenne": [None] * 2, "variance": [5] * 2}):
        for check in CHECKS["etape1"]:
            assert run_check(load(ASSIGNMENT), "etape1", check, tirage, garbled) is not None


# --- (b) end to end, in a temporary course -----------------------------------------------

def _course(where: Path) -> Path:
    """A course root with this repo's nbgrader_config.py and source/moyenne_variance only, the
    assignment generated (release/ and the gradebook), the sample class under submitted/."""
    where.mkdir(parents=True, exist_ok=True)
    shutil.copytree(SOURCE, where / "source" / ASSIGNMENT)
    shutil.copy(ROOT / "nbgrader_config.py", where / "nbgrader_config.py")
    nbgrader("generate_assignment", ASSIGNMENT, "--force", root=where)
    write_class(ROOT, where)
    return where


def _scores(root: Path) -> dict[str, dict[tuple[str, str], float]]:
    from autograder.reports.table import read_scores

    by_notebook = {s.notebook: s.name for s in STEPS}
    return {student: {(by_notebook[nb], check): score for (nb, check), (score, _) in cells.items()}
            for student, cells in read_scores(f"sqlite:///{root / 'gradebook.db'}", ASSIGNMENT).items()}


def _record_codes(root: Path, student: str) -> dict[tuple[str, str], str | None]:
    out = {}
    for step in STEPS:
        record = records.read(records.path_for(root / "autograded" / student / ASSIGNMENT / step.filename))
        assert record is not None, (student, step.name)
        for check, entry in record["checks"].items():
            out[(step.name, check)] = None if entry["passed"] else entry["code"]
    return out


@pytest.fixture(scope="module")
def graded_by_nbgrader(tmp_path_factory) -> Path:
    root = _course(tmp_path_factory.mktemp("mv_nbgrader"))
    nbgrader("autograde", ASSIGNMENT, "--force", "--create", root=root)
    return root


@pytest.fixture(scope="module")
def graded_by_the_kit(tmp_path_factory) -> Path:
    from autograder.grader.autograde import autograde_class

    root = _course(tmp_path_factory.mktemp("mv_kit"))
    autograde_class(root, ASSIGNMENT, jobs=2, stream=io.StringIO())
    return root


def test_release_has_no_solution_and_no_hidden_test(graded_by_nbgrader):
    for step in STEPS:
        text = (graded_by_nbgrader / "release" / ASSIGNMENT / step.filename).read_text(encoding="utf-8")
        assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text and "verifier" not in text
        assert 'raise NotImplementedError(\\"Cellule à compléter' in text   # nbgrader_config.py's stub, in JSON


@pytest.mark.parametrize("grader", ["graded_by_nbgrader", "graded_by_the_kit"])
def test_each_student_gets_exactly_their_points(grader, request):
    root = request.getfixturevalue(grader)
    assert _scores(root) == expected_scores(points())
    total = sum(points().values())
    assert sum(_scores(root)["anna_juste"].values()) == total == 7


def test_both_graders_write_the_same_gradebook(graded_by_nbgrader, graded_by_the_kit):
    assert _scores(graded_by_nbgrader) == _scores(graded_by_the_kit)


@pytest.mark.parametrize("grader", ["graded_by_nbgrader", "graded_by_the_kit"])
def test_each_failed_check_names_its_cause_in_the_record(grader, request):
    root = request.getfixturevalue(grader)
    for student in STUDENTS:
        codes = _record_codes(root, student.id)
        failed = {key for key, code in codes.items() if code is not None}
        assert failed == {(step, check) for step, fails in student.fails.items() for check in fails}, student.id
        for key, cause in student.causes.items():
            assert codes[key] == cause, (student.id, key, codes[key])


def test_the_autograded_notebooks_show_the_french_cause(graded_by_nbgrader, graded_by_the_kit):
    import nbformat

    for root in (graded_by_nbgrader, graded_by_the_kit):
        nb = nbformat.read(root / "autograded" / "camille_n_moins_1" / ASSIGNMENT / "etape1_moyenne.ipynb", 4)
        (cell,) = [c for c in nb.cells if _meta(c).get("grade_id") == "test_variance"]
        text = json.dumps(cell.outputs, ensure_ascii=False)
        assert "Ta variance divise par n - 1" in text, root


@pytest.mark.parametrize("grader", ["graded_by_nbgrader", "graded_by_the_kit"])
def test_reports_are_written_from_the_gradebook_and_the_records(grader, request):
    root = request.getfixturevalue(grader)
    env = dict(os.environ, PYTHONPATH=str(ROOT))

    def cli(*args):
        proc = subprocess.run([sys.executable, "-m", "autograder", "--course-dir", str(root), "--assignment",
                               ASSIGNMENT, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return proc.stdout

    cli("report")
    for student in STUDENTS:
        assert (root / "feedback" / student.id / ASSIGNMENT / "resume.html").exists(), student.id
    page = (root / "feedback" / "camille_n_moins_1" / ASSIGNMENT / "resume.html").read_text(encoding="utf-8")
    assert "Ta variance divise par n - 1" in page and "torch.std(x)" in page
    assert "descente" not in page.lower() and "historique" not in page
    assert "Étape 1 — La moyenne et la variance" in page, "the step's heading is the course's French title"
    assert "test_variance" not in re.sub(r"<[^>]+>", "", page), "a check shown by its id, not its title"
    summary = (root / "reports" / ASSIGNMENT / "summary.html").read_text(encoding="utf-8")
    for cause in ("variance_n_moins_1", "ecart_type_corrige", "hand_typed", "not_done"):
        assert cause in summary, cause
    assert len(list((root / "reports" / "gradescope").glob("*/*/results.json"))) == 2 * len(STUDENTS)
    table = cli("table")
    assert re.search(r"anna_juste\s+4/4\s+3/3\s+7/7\s+-", table), table
    assert re.search(r"camille_n_moins_1\s+1/4\s+0/3\s+1/7\s+etape1:test_resultats etape1:test_variance "
                     r"etape2:test_normaliser etape2:test_resultat", table), table
