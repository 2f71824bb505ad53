"""The instructor notebooks, run in a real Jupyter kernel, teach what the seed printed
(steps 1-3 digit for digit) and what COURSE.md fixes (step 4); the release is nbgrader's."""
from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from autograder.check_course import _assert_messages
from autograder.course import available, load
from autograder.courses.descente_gradient.checks.feedback import feedback
from autograder.courses.descente_gradient.course import ASSIGNMENT, STEPS
from autograder.feedback import WIDTH, wrapped
from autograder.nbgrader_cli import ROOT, nbgrader
from autograder.observe.cells import cells_from_notebook
from test_reference import seed_traces

SOURCE = ROOT / "source" / ASSIGNMENT
RELEASE = ROOT / "release" / ASSIGNMENT
TRACE_LINE = re.compile(r"^\d+: w = -?[\d.]+, regret = [\d.]+$")


def run_notebook(path: Path) -> nbformat.NotebookNode:
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    return nb


@pytest.fixture(scope="module")
def executed() -> dict[str, nbformat.NotebookNode]:
    return {name: run_notebook(SOURCE / step.filename) for name, step in STEPS.items()}


def printed(nb, grade_id: str) -> list[str]:
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
    assert not [o for o in cell.outputs if o.output_type == "error"], f"{grade_id} raised"
    return "".join(o.text for o in cell.outputs if o.output_type == "stream").splitlines()


def trace(nb) -> list[tuple[int, float, float]]:
    rows = [line for line in printed(nb, "entrainement") if TRACE_LINE.match(line)]
    return [(int(a), float(b), float(c)) for a, b, c in
            (re.match(r"(\d+): w = (-?[\d.]+), regret = ([\d.]+)", r).groups() for r in rows)]


@pytest.mark.parametrize("step", ["etape2", "etape3"])
def test_steps_2_and_3_print_the_seed_trace_digit_for_digit(executed, step):
    lines = [line for line in printed(executed[step], "entrainement") if TRACE_LINE.match(line)]
    seed_lines = [f"{i}: w = {w:.3f}, regret = {L:.8f}" for i, w, L in seed_traces()[1]]
    assert lines == seed_lines


def test_step_1_with_the_true_gradient_prints_step_2s_trace(executed):
    assert trace(executed["etape1"]) == trace(executed["etape2"]) == seed_traces()[1]


@pytest.mark.parametrize("step", ["etape1", "etape2", "etape3"])
def test_steps_1_to_3_end_at_f5_equal_10(executed, step):
    assert printed(executed[step], "entrainement")[-1] == "Prédiction après apprentissage : f(5) = 10.000"


def test_step_4_reaches_f5_within_a_tenth_of_10(executed):
    last = printed(executed["etape4"], "entrainement")[-1]
    f5 = float(re.search(r"f\(5\) = (-?[\d.]+)", last)[1])
    assert abs(f5 - 10) < 0.1, last


def test_no_cell_of_an_instructor_notebook_writes_to_stderr_or_fails(executed):
    for name, nb in executed.items():
        for cell in nb.cells:
            for out in cell.get("outputs", []):
                assert out.output_type != "error", f"{name}: {cell.metadata['nbgrader']['grade_id']} raised"
                assert getattr(out, "name", "") != "stderr", f"{name}: stderr in {cell.metadata['nbgrader']['grade_id']}"


def test_source_notebooks_are_committed_without_outputs():
    for step in STEPS.values():
        nb = json.loads((SOURCE / step.filename).read_text(encoding="utf-8"))
        assert all(not c.get("outputs") and c.get("execution_count") is None
                   for c in nb["cells"] if c["cell_type"] == "code"), step.filename


def _cells(path: Path) -> dict[str, dict]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    return {c["metadata"]["nbgrader"]["grade_id"]: c for c in nb["cells"]}


def test_locked_data_cells_are_the_contracts_data():
    for step in STEPS.values():
        cells = _cells(SOURCE / step.filename)
        for grade_id in step.data_cells:
            cell = cells[grade_id]
            assert cell["metadata"]["nbgrader"]["locked"] and not cell["metadata"]["nbgrader"]["solution"]
            assert "".join(cell["source"]) == step.data_source(grade_id, step.canonical)


def test_grade_ids_of_course_md_are_solution_cells_and_each_check_is_a_test_cell():
    for step in STEPS.values():
        cells = _cells(SOURCE / step.filename)
        for grade_id in step.solution_cells:
            assert cells[grade_id]["metadata"]["nbgrader"]["solution"], (step.name, grade_id)
            assert "### BEGIN SOLUTION" in "".join(cells[grade_id]["source"])
        for check in step.checks:
            meta = cells[check]["metadata"]["nbgrader"]
            assert meta["grade"] and meta["locked"] and meta["points"] > 0, (step.name, check)
            assert "### BEGIN HIDDEN TESTS" in "".join(cells[check]["source"])


def test_release_is_exactly_what_generate_assignment_makes_of_source(course_dir):
    for step in STEPS.values():
        made = json.loads((course_dir / "release" / ASSIGNMENT / step.filename).read_text(encoding="utf-8"))
        committed = json.loads((RELEASE / step.filename).read_text(encoding="utf-8"))
        assert committed == made, f"release/{ASSIGNMENT}/{step.filename} differs from nbgrader's output"
        text = json.dumps(committed)
        assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text and "autograder" not in text
        stubs = ["".join(c["source"]) for c in committed["cells"] if c["metadata"]["nbgrader"].get("solution")]
        assert all(re.search(r'# VOTRE CODE ICI\n\s*raise NotImplementedError\("Cellule à compléter : ', s)
                   for s in stubs), "an untouched cell must say in French what to do (nbgrader_config.py)"


def _validate(*args: str) -> list[str]:
    out = nbgrader("validate", *args)
    return [line for line in out.splitlines() if line.startswith(("Success!", "VALIDATION FAILED", "NOTEBOOK"))]


def test_nbgrader_validate_passes_on_source():
    verdicts = _validate(*[str(SOURCE / s.filename) for s in STEPS.values()])
    assert verdicts == ["Success! Your notebook passes all the tests."] * len(STEPS)


def test_nbgrader_validate_invert_on_release_every_test_fails():
    verdicts = _validate("--invert", *[str(RELEASE / s.filename) for s in STEPS.values()])
    assert verdicts == ["Success! The notebook does not pass any tests."] * len(STEPS)


def test_each_notebook_plots_its_curve_and_the_courses_with_matplotlib(executed):
    for name, nb in executed.items():
        cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "graphique_entrainement")
        images = [o for o in cell.outputs if o.output_type == "display_data" and "image/png" in o.data]
        assert len(images) == 1, f"{name}: the plot cell shows {len(images)} PNG images"
        assert "courbe_svg" not in json.dumps(nb), f"{name}: the hand-written SVG helper is back"


def _module_names(source: str) -> tuple[set[str], set[str]]:
    """(names a cell binds in the notebook's namespace, names it reads anywhere), IPython syntax
    turned into Python first. Names local to a function, class or comprehension are not bound."""
    from IPython.core.inputtransformer2 import TransformerManager

    tree = ast.parse(TransformerManager().transform_cell(source))
    bound, read = set(), {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    scopes = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda, ast.ListComp, ast.SetComp,
              ast.DictComp, ast.GeneratorExp)

    def visit(node):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                bound.add(child.name)
            elif isinstance(child, (ast.Import, ast.ImportFrom)):
                bound.update((a.asname or a.name).split(".")[0] for a in child.names)
            elif isinstance(child, ast.Name) and not isinstance(child.ctx, ast.Load):
                bound.add(child.id)
            if not isinstance(child, scopes):
                visit(child)

    visit(tree)
    return bound, read


def rebound_by_a_later_locked_cell(nb: dict) -> list[str]:
    """Each name that a test cell reads and that a locked cell after it binds again: after Run All,
    running that test cell again would see the later cell's value, not the exercise's."""
    cells, problems = cells_from_notebook(nb), []
    for i, test in enumerate(cells):
        if test.role != "test":
            continue
        _, read = _module_names(test.source)
        for later in cells[i + 1:]:
            if later.role == "locked":
                for name in sorted(read & _module_names(later.source)[0]):
                    problems.append(f"{later.grade_id} rebinds `{name}`, which {test.grade_id} checks")
    return problems


@pytest.mark.parametrize("assignment", available())
def test_no_locked_cell_rebinds_a_name_that_an_earlier_test_cell_checks(assignment):
    course = load(assignment)
    for step in course.steps.values():
        nb = json.loads((ROOT / "source" / assignment / step.filename).read_text(encoding="utf-8"))
        assert rebound_by_a_later_locked_cell(nb) == [], step.filename


def test_the_rebinding_check_finds_the_old_trap_of_step_4():
    """The seed's step 4 ended with a locked `model = LinearRegression(...)`, after the training test."""
    nb = json.loads((SOURCE / STEPS["etape4"].filename).read_text(encoding="utf-8"))
    trap = {"cell_type": "code", "metadata": {"nbgrader": {"grade_id": "utilisation_classe", "locked": True}},
            "source": "model = LinearRegression(input_size, output_size)", "outputs": [], "execution_count": None}
    nb["cells"].append(trap)
    problems = rebound_by_a_later_locked_cell(nb)
    assert "utilisation_classe rebinds `model`, which test_entrainement checks" in problems, problems


# The visible asserts name these mistakes with the hidden checks' own French words.
SAME_WORDS = {
    ("etape1", "test_regret"): ("loss_sum",),
    ("etape1", "test_gradient"): ("gradient_sign", "gradient_no_factor_2", "gradient_global_w"),
    ("etape1", "test_entrainement"): ("gradient_sign", "gradient_no_factor_2", "loss_sum", "diverged"),
    ("etape2", "test_regret"): ("loss_sum",),
    ("etape2", "test_entrainement"): ("grad_not_zeroed", "loss_sum", "gradient_sign", "w_rebound", "diverged"),
    ("etape3", "test_entrainement"): ("grad_not_zeroed", "loss_sum", "gradient_sign", "diverged"),
    ("etape4", "test_entrainement"): ("grad_not_zeroed", "loss_sum", "diverged", "broadcast"),
    ("etape4", "test_regression_lineaire"): ("avant_instead_of_forward",),
}


@pytest.mark.parametrize("step, check", sorted(SAME_WORDS))
def test_visible_messages_are_the_hidden_checks_words(step, check):
    cell = _cells(SOURCE / STEPS[step].filename)[check]
    visible = set(_assert_messages("".join(cell["source"])))
    for code in SAME_WORDS[step, check]:
        assert str(feedback(code, detail="(n,) contre (n, 1)")) in visible, (step, check, code)


CONTRACT = {"w", "L", "avant", "regret", "gradient", "optimizer", "model", "LinearRegression", "X", "Y",
            "X_train", "Y_train", "X_test", "learning_rate", "n_iters", "historique", "math", "np", "torch", "nn"}


def test_the_cells_skipped_on_drawn_data_import_nothing_and_bind_no_name_of_the_exercise():
    """The tools cell, the copy of the course's data and the plot only serve the visible tests and the
    plot: the kit skips them when it replays a notebook on drawn data, so nothing of the student's code
    may depend on them (no module imported at their top level, no name of the exercise bound)."""
    for step in STEPS.values():
        nb = json.loads((SOURCE / step.filename).read_text(encoding="utf-8"))
        cells = {c.grade_id: c for c in cells_from_notebook(nb)}
        for grade_id in step.display_cells:
            tree = ast.parse(cells[grade_id].source)
            imports = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
            assert not imports, f"{step.filename}, {grade_id}: an import at the top level of a skipped cell"
            assert not _module_names(cells[grade_id].source)[0] & CONTRACT, (step.filename, grade_id)


def test_hidden_messages_are_shown_wrapped_with_their_words_unchanged():
    message = ("Ton gradient est N = len(x) fois trop grand (N = 4 avec les données X du notebook) : c'est une "
               "somme, pas une moyenne.\nDeuxième paragraphe court.")
    shown = wrapped(message)
    assert all(len(line) <= WIDTH for line in shown.splitlines()), shown
    assert shown.split() == message.split() and "\nDeuxième paragraphe court." in shown
