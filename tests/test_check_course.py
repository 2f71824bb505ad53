"""`python -m autograder check-course`: the notebooks of source/ are the course's one definition;
what an instructor's edit in JupyterLab breaks is named, cell by cell, with what to do."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.check_course import check_course
from autograder.course import available
from autograder.nbgrader_cli import ROOT

NOTEBOOK = "source/descente_gradient/etape1_numpy.ipynb"


def test_every_course_of_the_repository_is_consistent():
    assert available(), "no course found"
    for assignment in available():
        assert [str(p) for p in check_course(assignment, ROOT)] == [], assignment


def test_the_command_says_consistent_and_exits_0():
    run = subprocess.run([sys.executable, "-m", "autograder", "check-course"], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert all(f"{a}: consistent" in run.stdout for a in available()), run.stdout


@pytest.fixture
def course(tmp_path) -> Path:
    shutil.copytree(ROOT / "source", tmp_path / "source")
    shutil.copytree(ROOT / "release", tmp_path / "release")
    return tmp_path


def _edit(root: Path, grade_id: str, change) -> None:
    path = root / NOTEBOOK
    nb = json.loads(path.read_text(encoding="utf-8"))
    cell = next(c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == grade_id)
    change(cell)
    path.write_text(json.dumps(nb, ensure_ascii=False, indent=1), encoding="utf-8")


def _problems(root: Path) -> list[str]:
    return [str(p) for p in check_course("descente_gradient", root)]


def _set_source(text: str):
    def change(cell):
        cell["source"] = text
    return change


def test_a_data_cell_rewritten_in_another_shape_is_named(course):
    _edit(course, "donnees", _set_source("X = np.arange(1, 5).astype(np.float32)\nY = 2 * X"))
    problems = _problems(course)
    assert any("'donnees'" in p and "shape the grader writes drawn data into" in p for p in problems), problems


def test_new_data_values_are_read_from_the_notebook_not_refused(course):
    _edit(course, "donnees", _set_source("X = np.array([1, 2, 3, 5], dtype=np.float32)\n"
                                         "Y = np.array([2, 4, 6, 10], dtype=np.float32)"))
    problems = _problems(course)
    assert not any("etape1_numpy.ipynb" in p and "'donnees'" in p and "shape" in p for p in problems), problems
    assert any("'donnees'" in p and "release/ has another text" in p for p in problems), \
        "release/ is stale until nbgrader generate_assignment runs again"


def test_an_unlocked_data_cell_is_named(course):
    _edit(course, "poids_initial", lambda c: c["metadata"]["nbgrader"].update(locked=False))
    assert any("'poids_initial'" in p and "Read-only" in p for p in _problems(course))


def test_a_hidden_part_that_does_not_call_its_check_is_named(course):
    def change(cell):
        cell["source"] = "".join(cell["source"]).replace("verifier('etape1', 'test_gradient')",
                                                         "verifier('etape1', 'test_regret')")
    _edit(course, "test_gradient", change)
    problems = _problems(course)
    assert any("'test_gradient'" in p and "verifier('etape1', 'test_gradient')" in p for p in problems), problems


def test_points_changed_in_source_only_are_named(course):
    _edit(course, "test_avant", lambda c: c["metadata"]["nbgrader"].update(points=7))
    problems = _problems(course)
    assert any("'test_avant'" in p and "other points" in p and "generate_assignment" in p for p in problems), problems


def test_a_visible_test_in_english_is_named(course):
    def change(cell):
        cell["source"] = "".join(cell["source"]).replace(
            '"avant(x) doit renvoyer w * x, avec le w global."', '"wrong: check your forward function"')
    _edit(course, "test_avant", change)
    problems = _problems(course)
    assert any("'test_avant'" in p and "does not read as French" in p for p in problems), problems


def test_a_test_cell_without_a_check_is_named(course):
    _edit(course, "test_avant", lambda c: c["metadata"]["nbgrader"].update(grade_id="test_avant_bis"))
    problems = _problems(course)
    assert any("'test_avant'" in p and "missing" in p for p in problems), problems
    assert any("'test_avant_bis'" in p and "does not grade" in p for p in problems), problems


def test_the_command_exits_1_and_names_the_cell(course):
    _edit(course, "poids_initial", lambda c: c["metadata"]["nbgrader"].update(locked=False))
    run = subprocess.run([sys.executable, "-m", "autograder", "--course-dir", str(course), "check-course",
                          "descente_gradient"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "etape1_numpy.ipynb, cell 'poids_initial'" in run.stdout, run.stdout


def test_an_assignment_without_a_course_package_is_named(course):
    problems = _problems_of("pas_de_cours", course)
    assert problems and "autograder/courses/pas_de_cours/course.py" in problems[0], problems


def _problems_of(assignment: str, root: Path) -> list[str]:
    return [str(p) for p in check_course(assignment, root)]


def test_a_check_without_a_french_title_is_named(course, monkeypatch):
    from autograder.courses.descente_gradient import pages

    titles = {check: title for check, title in pages.CHECK_TITLES["etape1"].items() if check != "test_regret"}
    monkeypatch.setitem(pages.CHECK_TITLES, "etape1", titles)
    monkeypatch.setitem(pages.STEP_TITLES, "etape2", "")
    problems = _problems(course)
    assert any("'test_regret'" in p and "French title" in p and "CHECK_TITLES['etape1']" in p for p in problems), \
        problems
    assert any("etape2_autograd.ipynb" in p and "STEP_TITLES" in p for p in problems), problems
    assert not any("'test_avant'" in p and "French title" in p for p in problems), problems
