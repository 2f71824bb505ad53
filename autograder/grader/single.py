"""`python -m autograder grade NOTEBOOK.ipynb --results results.json`: one notebook, graded by the
kit (sandboxed observation, decisions here), written in Gradescope's format.

Locked and test cells are put back from the source notebook, as nbgrader's OverwriteCells does,
and the points of each test cell are the source's. Exit 0 whenever grading ran, whatever the
score; 2 when the grader itself could not run (no source notebook, no sandbox).
"""
from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

from ..course import Course, available, load
from ..observe.replay import HIDDEN_MARK
from ..reports.gradescope import write_results
from ..sandbox import SandboxPool
from .autograde import decide_answer, sandbox_cells
from .decide import failure_decisions


def _nbgrader(cell: dict) -> dict:
    meta = cell.get("metadata") if isinstance(cell, dict) else None
    return (meta or {}).get("nbgrader") or {} if isinstance(meta, dict) else {}


def restore_locked_cells(student_nb: dict, source_nb: dict) -> dict:
    """The student's notebook with every locked cell (data, tests) as the source writes it, and
    any deleted test cell put back after its predecessor."""
    locked = {_nbgrader(c).get("grade_id"): c for c in source_nb["cells"] if _nbgrader(c).get("locked")}
    cells = []
    for cell in student_nb.get("cells", []):
        if not isinstance(cell, dict):
            continue
        gid = _nbgrader(cell).get("grade_id")
        cells.append(json.loads(json.dumps(locked[gid])) if gid in locked else cell)
    present = {_nbgrader(c).get("grade_id") for c in cells}
    for gid, cell in locked.items():
        if gid not in present and _nbgrader(cell).get("grade"):
            cells.append(json.loads(json.dumps(cell)))
    return {**student_nb, "cells": cells}


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


def grade_checks(notebook: Path, course_dir: Path, pool: SandboxPool | None = None,
                 assignment: str | None = None) -> list[dict]:
    """The graded checks of one notebook (Gradescope's tests, in the source's order)."""
    nb = {"cells": []}
    if stat.S_ISREG(os.lstat(notebook).st_mode):   # not a symbolic link (to source/?) nor a named pipe
        try:
            nb = json.loads(notebook.read_text(encoding="utf-8", errors="replace"))
            if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
                raise ValueError("not a notebook")
        except (ValueError, RecursionError):
            nb = {"cells": []}
    course, step = _step_of(notebook, nb, assignment)
    source_nb = json.loads((course_dir / "source" / course.name / course.steps[step].filename).read_text(encoding="utf-8"))
    points = test_points(source_nb)
    if not nb["cells"]:
        decisions = failure_decisions(step, list(points), f"le fichier rendu {notebook.name} n'est pas un "
                                      "notebook lisible (un fichier .ipynb enregistré par Jupyter)",
                                      "unreadable notebook")
    else:
        cells, grade_ids = sandbox_cells(restore_locked_cells(nb, source_nb))
        assert all(HIDDEN_MARK not in c.source for c in cells)
        tirage = course.draw(step)
        own = pool is None
        pool = pool or SandboxPool(jobs=1)
        try:
            answer = pool.run(step, cells, tirage)
        finally:
            if own:
                pool.close()
        decisions, _ = decide_answer(step, [g for g in grade_ids if g in points], tirage, answer)
    by_id = {d.grade_id: d for d in decisions}
    checks = []
    for gid, pts in points.items():
        d = by_id.get(gid)
        passed = d is not None and d.passed
        checks.append({"name": f"{course.steps[step].notebook} / {gid}", "score": pts if passed else 0.0, "max_score": pts,
                       "output": "Réussi." if passed else (d.message if d else "Cellule de test absente.")})
    return checks


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
