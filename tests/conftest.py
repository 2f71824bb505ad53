"""Fixtures shared by the test suite: a fresh nbgrader course made from this repo, and the
sample class graded by the real `nbgrader autograde` (the slow part, done once per run, in two
halves at once)."""
from __future__ import annotations

import shutil
import sqlite3
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from autograder.nbgrader_cli import ROOT, nbgrader
from autograder.reports.table import read_scores
from autograder.courses.descente_gradient.course import ASSIGNMENT
from autograder.courses.descente_gradient.sample_class import write_class


def make_course(where: Path) -> Path:
    """A course root with this repo's source/ and nbgrader_config.py, assignment generated."""
    where.mkdir(parents=True, exist_ok=True)
    shutil.copytree(ROOT / "source", where / "source")
    shutil.copy(ROOT / "nbgrader_config.py", where / "nbgrader_config.py")
    nbgrader("generate_assignment", "descente_gradient", "--force", root=where)
    return where


def autograde_at_once(roots: list[Path]) -> None:
    """`nbgrader autograde` of each course at the same time, one process each. Each process's
    kernels listen on IPC sockets of its own: over TCP, jupyter_client picks a kernel's ports by
    binding and releasing them, and another process may take one of them before the kernel binds
    it (jupyter/jupyter_client#487), which kills that kernel and fails the whole command."""
    with tempfile.TemporaryDirectory(prefix="kernels-") as sockets, ThreadPoolExecutor(len(roots)) as threads:
        def grade(i: int, root: Path) -> None:
            nbgrader("autograde", ASSIGNMENT, "--force", "--create", "--KernelManager.transport=ipc",
                     f"--KernelManager.ip={sockets}/{i}", root=root)
        list(threads.map(grade, range(len(roots)), roots))


@pytest.fixture(scope="session")
def course_dir(tmp_path_factory) -> Path:
    return make_course(tmp_path_factory.mktemp("course"))


def merge_gradebook(other: Path, root: Path) -> None:
    """The rows of `other`'s gradebook that `root`'s lacks, added to it. The two courses are
    copies of one course made before grading: the rows they share (the assignment, its notebooks
    and cells) have the same ids, and the rows each grading added have UUIDs of their own."""
    with sqlite3.connect(root / "gradebook.db") as db:
        db.execute("attach database ? as other", (str(other / "gradebook.db"),))
        tables = [t for (t,) in db.execute("select name from other.sqlite_master where type = 'table'")]
        for table in tables:
            db.execute(f'insert or ignore into main."{table}" select * from other."{table}"')
            left, = db.execute(f'select count(*) from (select * from other."{table}" except '
                               f'select * from main."{table}")').fetchone()
            assert left == 0, f"{left} row(s) of {table} clash with the first half's (same id, other values)"
    with sqlite3.connect(root / "gradebook.db") as db:
        assert db.execute("pragma integrity_check").fetchone() == ("ok",), "the merged gradebook is damaged"


@pytest.fixture(scope="session")
def nbgrader_graded_class(tmp_path_factory):
    """(course root, {student: {(notebook, grade_id): (score, max)}}) after `nbgrader autograde`
    of the whole sample class: in two halves at once (one per core), each in its own copy of the
    course, then put together in the first (its folders and gradebook rows)."""
    root = make_course(tmp_path_factory.mktemp("nbgrader_class"))
    other = tmp_path_factory.mktemp("nbgrader_class_half") / "course"
    shutil.copytree(root, other)
    students = write_class(ROOT, root)
    (other / "submitted").mkdir()
    for student in students[1::2]:
        shutil.move(root / "submitted" / student, other / "submitted" / student)
    autograde_at_once([root, other])
    merge_gradebook(other, root)
    for folder in ("submitted", "autograded"):
        for path in (other / folder).iterdir():
            shutil.move(path, root / folder / path.name)
    scores = read_scores(f"sqlite:///{root / 'gradebook.db'}", ASSIGNMENT)
    assert sorted(scores) == sorted(students), "a student is missing from the merged gradebook"
    return root, scores


# What an instructor does in formgrader on a copy of the graded sample class (the manual score
# and comment formgrader's API writes with nbgrader's Gradebook), before its Generate Feedback.
MANUAL_SCORES = {("chloe_gradient_somme", "etape1_numpy", "test_gradient"): 1.0,     # autograder: 0 / 2
                 ("alice_juste", "etape2_autograd", "test_entrainement"): 2.0}      # autograder: 3 / 3
EXTRA_CREDIT = {("bruno_variantes", "etape1_numpy", "test_avant"): 0.5}
LATE_PENALTIES = {("bruno_variantes", "etape2_autograd"): 1.0}    # what nbgrader's late policy would write
TEACHER_COMMENTS = {("chloe_gradient_somme", "etape1_numpy", "gradient"):
                    "Presque : <np.dot> additionne déjà. Regarde `np.mean` & relis l'énoncé. <script>alert(1)</script>"}
OLD_PAGE = "<p>page d'avant Generate Feedback</p>"


@pytest.fixture(scope="session")
def formgraded_class(nbgrader_graded_class, tmp_path_factory):
    """(course root, nbgrader's log) of a copy of the graded sample class after manual grading
    (MANUAL_SCORES, EXTRA_CREDIT, TEACHER_COMMENTS, LATE_PENALTIES) and the real `nbgrader generate_feedback
    --force`, formgrader's Generate Feedback; every resume.html was OLD_PAGE before it."""
    from nbgrader.api import Gradebook

    from autograder.nbgrader_settings import gradebook_url

    root = tmp_path_factory.mktemp("formgraded") / "course"
    shutil.copytree(nbgrader_graded_class[0], root)
    with Gradebook(gradebook_url(root)) as gb:
        for (student, notebook, cell), score in MANUAL_SCORES.items():
            gb.find_grade(cell, notebook, ASSIGNMENT, student).manual_score = score
        for (student, notebook, cell), extra in EXTRA_CREDIT.items():
            gb.find_grade(cell, notebook, ASSIGNMENT, student).extra_credit = extra
        for (student, notebook, cell), comment in TEACHER_COMMENTS.items():
            gb.find_comment(cell, notebook, ASSIGNMENT, student).manual_comment = comment
        for (student, notebook), penalty in LATE_PENALTIES.items():
            gb.find_submission_notebook(notebook, ASSIGNMENT, student).late_submission_penalty = penalty
        gb.db.commit()
    for student in nbgrader_graded_class[1]:
        folder = root / "feedback" / student / ASSIGNMENT
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "resume.html").write_text(OLD_PAGE, encoding="utf-8")
    log = nbgrader("generate_feedback", ASSIGNMENT, "--force", root=root)
    return root, log


@pytest.fixture
def processes():
    """The processes a test starts (service_support.Process: serve, workers), stopped whatever happens."""
    started: list = []
    yield started
    for proc in started:
        proc.stop()
