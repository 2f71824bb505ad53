"""Fixtures shared by the test suite: a fresh nbgrader course made from this repo, and the
sample class graded by the real `nbgrader autograde` (the slow part, done once per run)."""
from __future__ import annotations

import shutil
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


@pytest.fixture(scope="session")
def course_dir(tmp_path_factory) -> Path:
    return make_course(tmp_path_factory.mktemp("course"))


@pytest.fixture(scope="session")
def nbgrader_graded_class(tmp_path_factory):
    """(course root, {student: {(notebook, grade_id): (score, max)}}) after `nbgrader autograde`
    of the whole sample class."""
    root = make_course(tmp_path_factory.mktemp("nbgrader_class"))
    write_class(ROOT, root)
    nbgrader("autograde", "descente_gradient", "--force", "--create", root=root)
    return root, read_scores(f"sqlite:///{root / 'gradebook.db'}", ASSIGNMENT)


@pytest.fixture
def processes():
    """The processes a test starts (service_support.Process: serve, workers), stopped whatever happens."""
    started: list = []
    yield started
    for proc in started:
        proc.stop()
