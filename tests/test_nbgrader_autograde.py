"""Real `nbgrader autograde` of the sample class, and `pytest autograder --notebook`, against
what each sample student must get (autograder/sample_class.py)."""
from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from autograder.courses.descente_gradient.checks.feedback import MESSAGES
from autograder.courses.descente_gradient.course import ASSIGNMENT, STEPS
from autograder.nbgrader_cli import ROOT
from autograder.courses.descente_gradient.sample_class import EXPECTED_CAUSES, STUDENTS, submission


def points() -> dict[tuple[str, str], float]:
    """Points of each test cell, read from the instructor notebooks."""
    out = {}
    for step in STEPS.values():
        nb = json.loads((ROOT / "source" / ASSIGNMENT / step.filename).read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            meta = cell["metadata"].get("nbgrader", {})
            if meta.get("grade") and not meta.get("solution"):
                out[(step.notebook, meta["grade_id"])] = float(meta["points"])
    return out


def expected(student) -> dict[tuple[str, str], float]:
    return {(nb, check): 0.0 if check in student.fails.get(STEPS_BY_NB[nb], set()) else pts
            for (nb, check), pts in points().items()}


STEPS_BY_NB = {s.notebook: s.name for s in STEPS.values()}


def test_every_student_of_the_sample_class_is_in_the_gradebook(nbgrader_graded_class):
    _, scores = nbgrader_graded_class
    assert set(scores) == {s.id for s in STUDENTS}


@pytest.mark.parametrize("student", STUDENTS, ids=lambda s: s.id)
def test_nbgrader_autograde_gives_each_student_exactly_their_points(nbgrader_graded_class, student):
    _, scores = nbgrader_graded_class
    got = {key: score for key, (score, _) in scores[student.id].items()}
    assert got == expected(student)


def test_right_answer_gets_full_marks_and_untouched_release_gets_zero(nbgrader_graded_class):
    _, scores = nbgrader_graded_class
    total = sum(points().values())
    assert sum(s for s, _ in scores["alice_juste"].values()) == total == 22
    assert sum(s for s, _ in scores["nina_non_rendu"].values()) == 0


def _fixed_part(code: str) -> str:
    return MESSAGES[code][0].split("{")[0][:60]


@pytest.mark.parametrize("key", sorted(EXPECTED_CAUSES), ids=lambda k: "-".join(k))
def test_autograded_notebook_names_the_cause_in_french(nbgrader_graded_class, key):
    root, _ = nbgrader_graded_class
    student, step, check = key
    path = root / "autograded" / student / ASSIGNMENT / STEPS[step].filename
    nb = json.loads(path.read_text(encoding="utf-8"))
    cell = next(c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == check)
    errors = [o for o in cell["outputs"] if o["output_type"] == "error"]
    assert errors, f"{check} of {student} did not fail"
    # the hidden check stands first in the cell: its message, naming the cause, is the one shown
    text = errors[0]["evalue"]
    assert _fixed_part(EXPECTED_CAUSES[key]) in text, text


@pytest.fixture(scope="module")
def pytest_path_results(tmp_path_factory) -> dict[str, dict[str, str]]:
    """`pytest autograder --notebook` on three sample students: {student: {test id: outcome}}."""
    results = {}
    for student in [s for s in STUDENTS if s.id in ("alice_juste", "chloe_gradient_somme", "hugo_avant")]:
        folder = tmp_path_factory.mktemp(student.id)
        for name, step in STEPS.items():
            (folder / step.filename).write_text(json.dumps(submission(ROOT, student, name)), encoding="utf-8")
        report = folder / "report.xml"
        proc = subprocess.run([sys.executable, "-m", "pytest", "autograder", "--notebook", str(folder),
                               f"--junitxml={report}", "-q", "-p", "no:cacheprovider"],
                              cwd=ROOT, capture_output=True, text=True, timeout=600)
        assert proc.returncode in (0, 1), proc.stdout + proc.stderr
        outcomes = {}
        for case in ET.parse(report).getroot().iter("testcase"):
            failed = case.find("failure") is not None or case.find("error") is not None
            outcomes[case.get("name").split("[")[0] + "@" + case.get("classname").rsplit(".", 1)[-1]] = (
                "failed" if failed else "passed")
        results[student.id] = outcomes
    return results


def test_pytest_path_runs_every_check_once_per_notebook(pytest_path_results):
    expected_ids = {f"{check}@{step}" for step, s in STEPS.items() for check in s.checks}
    for student, outcomes in pytest_path_results.items():
        assert set(outcomes) == expected_ids, student


def test_pytest_path_agrees_with_the_expected_failures(pytest_path_results):
    for student in STUDENTS:
        if student.id in pytest_path_results:
            failed = {k for k, v in pytest_path_results[student.id].items() if v == "failed"}
            assert failed == {f"{c}@{step}" for step, checks in student.fails.items() for c in checks}, student.id


def test_pytest_autograder_without_a_notebook_is_a_usage_error():
    proc = subprocess.run([sys.executable, "-m", "pytest", "autograder", "-p", "no:cacheprovider"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 4 and "--notebook" in proc.stderr + proc.stdout
