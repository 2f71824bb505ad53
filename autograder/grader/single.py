"""`python -m autograder grade NOTEBOOK.ipynb --results results.json`: one notebook, graded by the
kit's class grader exactly as `python -m autograder autograde` grades a student (nbgrader's
sanitize pass, the sandbox, the hidden checks), in a throw-away copy of the course; written in
Gradescope's format. The Gradescope bundle grades a submission the same way (`grade_alone`).

Exit 0 whenever grading ran, whatever the score; 2 when the grader itself could not run (no
source notebook, no sandbox, a file that is no notebook of the course).
"""
from __future__ import annotations

import io
import json
import os
import shutil
import stat
import sys
import tempfile
from pathlib import Path

from ..course import Course, available, load
from ..reports.gradescope import write_results

STUDENT = "etudiant"                                        # the student's id in the throw-away course
COURSE_FILES = ("nbgrader_config.py", "gradebook.db")       # with source/<assignment>/ and release/<assignment>/


def _nbgrader(cell: dict) -> dict:
    meta = cell.get("metadata") if isinstance(cell, dict) else None
    return (meta or {}).get("nbgrader") or {} if isinstance(meta, dict) else {}


def test_points(source_nb: dict) -> dict[str, float]:
    return {_nbgrader(c)["grade_id"]: float(_nbgrader(c).get("points", 0)) for c in source_nb["cells"]
            if _nbgrader(c).get("grade") and not _nbgrader(c).get("solution")}


def _step_of(path: Path, nb: dict, assignment: str | None) -> tuple[Course, str]:
    """The course and step of a handed-in notebook: by its file name, else by its cells' grade_ids
    (a renamed file), within `assignment` or every course."""
    courses = [load(assignment)] if assignment else [load(name) for name in available()]
    for course in courses:
        try:
            return course, course.step_of(path.name).name
        except KeyError:
            pass
    ids = {_nbgrader(c).get("grade_id") for c in nb.get("cells", []) if isinstance(c, dict)}
    for course in courses:
        for step in course.steps.values():
            if set(step.checks) <= ids and set(step.solution_cells) <= ids:
                return course, step.name
    raise KeyError(f"{path.name} is not a notebook of " + (assignment or " or ".join(available())))


def private_course(course_dir: Path, assignment: str, notebooks: dict[str, bytes], student: str = STUDENT) -> Path:
    """A copy of the course (its nbgrader_config.py, gradebook, source/ and release/ of the
    assignment), readable by its owner only, with `notebooks` ({file name: bytes}) handed in by
    `student` under submitted/."""
    course = Path(tempfile.mkdtemp(prefix="kit-grade-"))       # 0700
    for name in COURSE_FILES:
        if (Path(course_dir) / name).is_file():
            shutil.copy(Path(course_dir) / name, course / name)
    for part in ("source", "release"):
        if (Path(course_dir) / part / assignment).is_dir():
            shutil.copytree(Path(course_dir) / part / assignment, course / part / assignment)
    if not (course / "gradebook.db").is_file() or not (course / "release" / assignment).is_dir():
        from ..nbgrader_cli import nbgrader   # a course not generated yet: nbgrader makes its gradebook

        nbgrader("generate_assignment", assignment, "--force", root=course)
    folder = course / "submitted" / student / assignment
    folder.mkdir(parents=True)
    for name, data in notebooks.items():
        (folder / name).write_bytes(data)
    return course


def grade_alone(course_dir: Path, assignment: str, notebooks: dict[str, bytes], student: str = STUDENT, limits=None):
    """({step: Gradescope's tests of that notebook}, the class grader's report) for one student's
    `notebooks`, graded by `autograde_class` in a private copy of the course, read back as
    `export-gradescope` reads a graded class."""
    from ..reports.gradescope_export import notebook_checks
    from ..reports.outcomes import class_outcomes
    from .autograde import autograde_class

    course = private_course(course_dir, assignment, notebooks, student)
    try:
        report = autograde_class(course, assignment, student=student, jobs=1, limits=limits, stream=io.StringIO())
        outcomes = class_outcomes(course, assignment, [student])[student]
        return {o.step.name: notebook_checks(o) for o in outcomes if o.checks}, report
    finally:
        shutil.rmtree(course, ignore_errors=True)


def grade_checks(notebook: Path, course_dir: Path, assignment: str | None = None) -> list[dict]:
    """The graded checks of one notebook (Gradescope's tests, in the source's order)."""
    data, nb = None, {"cells": []}
    if stat.S_ISREG(os.lstat(notebook).st_mode):   # not a symbolic link (to source/?) nor a named pipe
        data = notebook.read_bytes()
        try:
            nb = json.loads(data.decode("utf-8", errors="replace"))
            nb = nb if isinstance(nb, dict) and isinstance(nb.get("cells"), list) else {"cells": []}
        except (ValueError, RecursionError):
            pass
    course, step = _step_of(notebook, nb, assignment)
    filename = course.steps[step].filename
    if data is not None:   # else nothing is read: every test scores 0, and the student is told why
        checks, _ = grade_alone(course_dir, course.name, {filename: data})
        if step in checks:
            return checks[step]
    source_nb = json.loads((Path(course_dir) / "source" / course.name / filename).read_text(encoding="utf-8"))
    return [{"name": f"{step}: {gid}", "score": 0.0, "max_score": pts,
             "output": f"Le fichier rendu {notebook.name} n'a pas pu être lu (lien symbolique, tube…)."}
            for gid, pts in test_points(source_nb).items()]


def grade_notebook(notebook: Path, results: Path, course_dir: Path, assignment: str | None = None) -> int:
    try:
        checks = grade_checks(notebook, course_dir, assignment=assignment)
    except Exception as exc:  # the grader itself could not run (no source notebook, no sandbox...)
        print(f"error: cannot grade {notebook}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    written = write_results(results, checks)
    total = sum(c["max_score"] for c in checks)
    print(f"{notebook.name}: {written['score']:g}/{total:g} -> {results}")
    return 0
