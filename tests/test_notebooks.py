"""The instructor notebooks, run in a real Jupyter kernel, teach what the seed printed
(steps 1-3 digit for digit) and what COURSE.md fixes (step 4); the release is nbgrader's."""
from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from autograder.courses.descente_gradient.course import ASSIGNMENT, STEPS
from autograder.feedback import WIDTH, wrapped
from autograder.nbgrader_cli import ROOT, nbgrader
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


def test_hidden_messages_are_shown_wrapped_with_their_words_unchanged():
    message = ("Ton gradient est N = len(x) fois trop grand (N = 4 avec les données X du notebook) : c'est une "
               "somme, pas une moyenne.\nDeuxième paragraphe court.")
    shown = wrapped(message)
    assert all(len(line) <= WIDTH for line in shown.splitlines()), shown
    assert shown.split() == message.split() and "\nDeuxième paragraphe court." in shown
