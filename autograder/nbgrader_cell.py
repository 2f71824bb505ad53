"""What the hidden part of a test cell calls when nbgrader runs it, in the student's kernel.

    from autograder.nbgrader_cell import verifier
    verifier("etape1", "test_gradient")

It reads the notebook nbgrader is running (the copy in the kernel's working folder, where
nbgrader has already put the locked and test cells back), replays it once per kernel on the
notebook's data and on a fresh draw (through a kernel-like IPython shell of its own, beside the
kernel's), and runs the check. A failed check raises AssertionError with the French message,
which nbgrader shows in the feedback. Under `nbgrader autograde` (in autograded/<student>/...),
each outcome is also added to the notebook's record (`autograder.records`), which the reports read.
"""
from __future__ import annotations

import contextlib
import json
from pathlib import Path

from . import records
from .course import Course, course_of_folder
from .feedback import Feedback, run_check, wrapped
from .observe import cells_from_notebook, observe

_cache: dict[str, tuple[dict, dict]] = {}


def _course() -> Course:
    """The course of the notebook nbgrader is running: its folder is named after the assignment."""
    return course_of_folder(Path.cwd())


def _notebook_path(step_name: str) -> Path:
    path = Path.cwd() / _course().steps[step_name].filename
    if not path.exists():
        raise AssertionError(
            f"Le correcteur ne trouve pas {path.name} dans {Path.cwd()} : le notebook doit garder son nom.")
    return path


def verifier(step_name: str, check: str) -> None:
    if step_name not in _cache:
        nb = json.loads(_notebook_path(step_name).read_text(encoding="utf-8"))
        tirage = _course().draw(step_name)
        _cache[step_name] = None  # stays None if the replay never ends (nbgrader's timeout interrupts it)
        with _random_state_kept():   # the student's next cells draw the numbers they would have drawn
            _cache[step_name] = (tirage, observe(step_name, cells_from_notebook(nb), tirage))
    if _cache[step_name] is None:
        raise AssertionError("Le correcteur n'a pas pu rejouer ton notebook jusqu'au bout dans le temps "
                             "imparti (une boucle qui ne se termine pas ?).") from None
    tirage, observation = _cache[step_name]
    message = run_check(_course(), step_name, check, tirage, observation)
    _keep(step_name, check, observation, message)
    if message is not None:
        raise AssertionError(wrapped(message)) from None
    print(f"Vérification cachée « {check} » réussie.")


@contextlib.contextmanager
def _random_state_kept():
    """The kernel's random generators (torch, NumPy, Python) as they were before the replay."""
    import random
    import sys

    torch, numpy = sys.modules.get("torch"), sys.modules.get("numpy")
    saved = (random.getstate(), numpy.random.get_state() if numpy else None,
             torch.random.get_rng_state() if torch else None)
    try:
        yield
    finally:
        random.setstate(saved[0])
        if numpy:
            numpy.random.set_state(saved[1])
        if torch:
            torch.random.set_rng_state(saved[2])


def _keep(step_name: str, check: str, observation: dict, message) -> None:
    """Add this check's outcome to the notebook's record, when nbgrader autograde runs it."""
    if Path.cwd().parent.parent.name != "autograded":
        return
    path = records.path_for(_notebook_path(step_name))
    record = records.read(path) or records.new_record(step_name, "nbgrader")
    code = message.code if isinstance(message, Feedback) else ("" if message is None else "error")
    record["checks"][check] = records.check_entry(message is None, code, str(message or ""),
                                                  getattr(message, "en", str(message or "")))
    record["curve"] = records.curve_of_observation(observation, _course())
    records.write(path, record)
