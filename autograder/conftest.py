"""`pytest autograder --notebook PATH`: the hidden checks, run against handed-in notebooks.

PATH is a notebook or a folder of notebooks (the option may be repeated). Each notebook is
replayed once, in a process of its own (autograder.sandbox), on its own data and on a draw
made now; the checks of its step then run here, on the plain data it reported.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from autograder.course import Course, available, load
from autograder.observe import cells_from_notebook
from autograder.sandbox import ObserverFailed, observe_in_subprocess

COURSES_DIR = Path(__file__).parent / "courses"
_observations: dict[Path, tuple[dict, dict | str]] = {}


def pytest_addoption(parser):
    group = parser.getgroup("autograder")
    group.addoption("--notebook", action="append", default=[], metavar="PATH",
                    help="a handed-in notebook, or a folder of them, to grade with the hidden checks")
    group.addoption("--seed", type=int, default=None, help="seed of the draw (default: a fresh random one)")


def _course_and_step(notebook: Path) -> tuple[Course, str]:
    """The course and step of a notebook, from its folder's name or else its file name."""
    names = available()
    for name in ([notebook.parent.name] if notebook.parent.name in names else []) + names:
        try:
            return load(name), load(name).step_of(notebook.name).name
        except KeyError:
            continue
    raise KeyError(f"{notebook.name!r} is not a notebook of any course ({', '.join(names)})")


def _notebooks(config) -> dict[tuple[str, str], list[Path]]:
    by_step: dict[tuple[str, str], list[Path]] = {}
    for given in config.getoption("--notebook"):
        path = Path(given)
        if not path.exists():
            raise pytest.UsageError(f"--notebook {given}: no such file or folder")
        for nb in sorted(path.glob("*.ipynb")) if path.is_dir() else [path]:
            try:
                course, step = _course_and_step(nb)
                by_step.setdefault((course.name, step), []).append(nb)
            except KeyError as exc:
                raise pytest.UsageError(str(exc)) from None
    return by_step


def pytest_configure(config):
    if not config.getoption("--notebook") and any(Path(a).resolve() == Path(__file__).parent
                                                  for a in config.args):
        raise pytest.UsageError("pytest autograder needs --notebook PATH (a handed-in notebook or a folder)")
    config._autograder_notebooks = _notebooks(config) if config.getoption("--notebook") else {}
    if config._autograder_notebooks and config.option.tbstyle == "auto":
        config.option.tbstyle = "line"  # the French message is what a student needs, not our traceback


def pytest_collect_file(file_path, parent):
    """A course's checks/<step>.py, when notebooks of that step are to be graded."""
    if file_path.parent.name == "checks" and file_path.parent.parent.parent == COURSES_DIR:
        key = (file_path.parent.parent.name, file_path.stem)
        if key in parent.config._autograder_notebooks:
            return pytest.Module.from_parent(parent, path=file_path)
    return None


def pytest_generate_tests(metafunc):
    if "observation" in metafunc.fixturenames:
        parts = metafunc.module.__name__.split(".")
        paths = metafunc.config._autograder_notebooks[(parts[-3], parts[-1])]
        metafunc.parametrize("notebook", paths, ids=[f"{p.parent.name}/{p.name}" for p in paths], scope="module")


def _observe(path: Path, seed) -> tuple[dict, dict | str]:
    course, step = _course_and_step(path)
    tirage = course.draw(step, seed)
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(nb, dict) or nb.get("nbformat") != 4:
            raise ValueError("not an nbformat 4 notebook")
        cells = cells_from_notebook(nb)
    except (OSError, ValueError) as exc:
        return tirage, f"Le notebook {path.name} est illisible ({exc}) : rends le fichier tel que Jupyter l'enregistre."
    try:
        return tirage, observe_in_subprocess(step, cells, tirage)
    except ObserverFailed as exc:
        return tirage, f"Le notebook {path.name} n'a pas pu être exécuté jusqu'au bout par le correcteur ({exc})."


def _cached(request, notebook: Path):
    if notebook not in _observations:
        _observations[notebook] = _observe(notebook, request.config.getoption("--seed"))
    return _observations[notebook]


@pytest.fixture
def tirage(request, notebook):
    return _cached(request, notebook)[0]


@pytest.fixture
def observation(request, notebook):
    seen = _cached(request, notebook)[1]
    if isinstance(seen, str):
        pytest.fail(seen, pytrace=False)
    return seen
