"""`python -m autograder check-course [ASSIGNMENT]`: are the instructor's notebooks and the course's
package still consistent? Instructors edit source/ in JupyterLab (nbgrader's Create Assignment
tools); this says, cell by cell, what an edit broke and how to fix it.

Checked, for each step of the course:
- the notebook exists in source/<assignment>/ and nbformat reads it;
- each locked data cell exists, is read-only, and has the shape the grader writes drawn data into;
- each test cell exists, is an autograded test with points, its hidden part calls its own check
  (which the course defines), and its visible part asserts with a French message;
- each solution cell exists and is marked as a solution; no test cell lacks a check;
- the step and each of its checks have a French title for the students' summary page;
- release/<assignment>/, when it exists, has the same locked cells and points (run
  `nbgrader generate_assignment` after an edit).
"""
from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass
from pathlib import Path

from .course import Course, CourseError, Step, load, read_data_cells
from .observe.cells import source_text

HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS\n(?P<hidden>.*?)### END HIDDEN TESTS\n?", re.DOTALL)
FRENCH = re.compile(r"[éèêàùçôî]|\b(le|la|les|doit|est|ton|ta|tes|pas|une?|des|du|au|avec|après)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Problem:
    where: str     # notebook and cell
    what: str      # what is wrong, and what to do

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


def _cells(nb: dict) -> dict[str, dict]:
    return {c["metadata"]["nbgrader"]["grade_id"]: c for c in nb.get("cells", [])
            if c.get("metadata", {}).get("nbgrader", {}).get("grade_id")}


def hidden_call(step: Step, grade_id: str) -> str:
    return f"from autograder.nbgrader_cell import verifier\nverifier('{step.name}', '{grade_id}')\n"


def _assert_messages(code: str) -> list[str | None]:
    """The message of each `assert` of the visible part (None for an assert without one)."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assert):
            msg = node.msg
            if isinstance(msg, ast.Call) and msg.args:
                msg = msg.args[0]   # a message wrapped for display: lisible("..."), textwrap.fill("...", 66)
            if isinstance(msg, ast.Constant) and isinstance(msg.value, str):
                out.append(msg.value)
            elif isinstance(msg, ast.JoinedStr):
                out.append("".join(v.value for v in msg.values if isinstance(v, ast.Constant)))
            else:
                out.append(None)
    return out


def _check_test_cell(course: Course, step: Step, where: str, cell: dict, grade_id: str) -> list[Problem]:
    meta = cell["metadata"]["nbgrader"]
    problems = []
    if not meta.get("grade") or meta.get("solution"):
        problems.append(Problem(where, "is not an autograded test cell: in Create Assignment, make it "
                                       "'Autograder tests'"))
    if not float(meta.get("points") or 0) > 0:
        problems.append(Problem(where, "has no points: give it its points in Create Assignment"))
    source = source_text(cell)
    hidden = HIDDEN.search(source)
    if hidden is None or hidden["hidden"].strip() != hidden_call(step, grade_id).strip():
        problems.append(Problem(where, "its hidden part must be exactly:\n### BEGIN HIDDEN TESTS\n"
                                       f"{hidden_call(step, grade_id)}### END HIDDEN TESTS"))
    if grade_id not in course.checks.get(step.name, {}):
        problems.append(Problem(where, f"the course defines no check {grade_id!r} for {step.name}: add it to "
                                       f"CHECKS in {course.package}.checks"))
    if not course.check_title(step.name, grade_id):
        problems.append(Problem(where, "has no French title for the students' summary page: say what it checks "
                                       f"in CHECK_TITLES[{step.name!r}] of {course.package}.pages"))
    visible = HIDDEN.sub("", source)
    messages = _assert_messages(visible)
    if not messages:
        problems.append(Problem(where, "its visible part has no assert: students need a visible test "
                                       "(`assert ..., \"message en français\"`)"))
    for message in messages:
        if message is None:
            problems.append(Problem(where, "an assert of its visible part has no message: add one, in French"))
        elif not FRENCH.search(message):
            problems.append(Problem(where, f"the message {message[:60]!r} does not read as French: students "
                                           "read these messages"))
    return problems


def check_step(course: Course, step: Step, source_dir: Path, release_dir: Path | None) -> list[Problem]:
    path = source_dir / step.filename
    name = f"source/{course.name}/{step.filename}"
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return [Problem(name, f"cannot be read ({exc})")]
    cells = _cells(nb)
    problems = []
    if not course.step_title(step.name):
        problems.append(Problem(name, f"step {step.name} has no French heading for the students' summary page: add "
                                      f"it to STEP_TITLES in {course.package}.pages"))
    for grade_id in step.data_cells:
        where = f"{name}, cell {grade_id!r}"
        if grade_id not in cells:
            problems.append(Problem(where, "missing: this locked data cell is where the grader writes drawn data"))
        elif not cells[grade_id]["metadata"]["nbgrader"].get("locked"):
            problems.append(Problem(where, "is not read-only: make it 'Read-only' in Create Assignment"))
    try:
        read_data_cells(step, path)
    except CourseError as exc:
        where, what = str(exc).split(": ", 1)
        problems.append(Problem(f"source/{course.name}/{where}", what))
    for grade_id in step.checks:
        where = f"{name}, cell {grade_id!r}"
        if grade_id not in cells:
            problems.append(Problem(where, "missing: the course grades this test cell"))
        else:
            problems += _check_test_cell(course, step, where, cells[grade_id], grade_id)
    for grade_id in step.solution_cells:
        if grade_id not in cells:
            problems.append(Problem(f"{name}, cell {grade_id!r}", "missing: a solution cell the checks read"))
        elif not cells[grade_id]["metadata"]["nbgrader"].get("solution"):
            problems.append(Problem(f"{name}, cell {grade_id!r}", "is not a solution cell: make it "
                                                                   "'Autograded answer' in Create Assignment"))
    for grade_id in step.display_cells:
        if grade_id not in cells:
            problems.append(Problem(f"{name}, cell {grade_id!r}", "missing: a display cell of the course"))
    for grade_id, cell in cells.items():
        meta = cell["metadata"]["nbgrader"]
        if meta.get("grade") and not meta.get("solution") and grade_id not in step.checks:
            problems.append(Problem(f"{name}, cell {grade_id!r}", f"a test cell the course does not grade: add "
                                                                   f"{grade_id!r} to the checks of step {step.name}"))
    if release_dir is not None:
        problems += _check_release(name, cells, release_dir / step.filename)
    return problems


def _check_release(name: str, cells: dict[str, dict], release: Path) -> list[Problem]:
    regenerate = "run `nbgrader generate_assignment ASSIGNMENT --force` after editing source/"
    try:
        released = _cells(json.loads(release.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return [Problem(str(release.name), f"no readable release notebook: {regenerate}")]
    problems = []
    for grade_id, cell in cells.items():
        meta = cell["metadata"]["nbgrader"]
        other = released.get(grade_id)
        if other is None:
            problems.append(Problem(f"{name}, cell {grade_id!r}", f"not in release/: {regenerate}"))
        elif meta.get("points") != other["metadata"]["nbgrader"].get("points"):
            problems.append(Problem(f"{name}, cell {grade_id!r}", f"release/ has other points: {regenerate}"))
        elif meta.get("locked") and not meta.get("grade") and source_text(cell) != source_text(other):
            problems.append(Problem(f"{name}, cell {grade_id!r}", f"release/ has another text: {regenerate}"))
    return problems


def check_course(assignment: str, root: Path) -> list[Problem]:
    try:
        course = load(assignment)
    except CourseError as exc:
        return [Problem(assignment, str(exc))]
    release = root / "release" / assignment
    return [p for step in course.steps.values()
            for p in check_step(course, step, root / "source" / assignment, release if release.is_dir() else None)]
