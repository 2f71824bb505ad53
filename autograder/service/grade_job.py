"""A notebook's grading as plain data, for the job queue.

A job is what the sandbox is given for one sanitized notebook (`autograde.sandbox_cells`: its
cells, hidden test regions cut) and the draw made for it by serve: `{"step", "cells",
"tirage"}`. Its result is the notebook's `Graded` fields (each test cell's decision, the
student's outputs and curve, the problem if any), plain data that serve saves as the kit's
grader does. Nothing here touches nbgrader or the gradebook.
"""
from __future__ import annotations

import dataclasses

from ..course import load
from ..grader.autograde import graded_from_answer
from ..observe import Cell

_POOL = None          # the worker's warm sandbox (see worker.py)
_PREPARED: set = set()  # the courses whose grading run has been prepared in this process


def job_of(step: str, cells: list, tirage: dict) -> dict:
    return {"step": step, "cells": [c.to_dict() for c in cells], "tirage": tirage}


def grade_with(pool, job: dict) -> dict:
    """Observe the job's notebook in `pool`, decide each test cell: the `Graded` fields."""
    cells = [Cell.from_dict(c) for c in job["cells"]]
    grade_ids = [c.grade_id for c in cells if c.role == "test"]
    answer = pool.run(job["step"], cells, job["tirage"])
    graded = graded_from_answer("", "", job["step"], grade_ids, job["tirage"], answer)
    fields = dataclasses.asdict(graded)
    del fields["student"], fields["notebook"]
    return fields


def grade(job: dict) -> dict:
    """What a queue worker runs (by name: `autograder.service.grade_job.grade`)."""
    if _POOL is None:
        raise RuntimeError("no warm sandbox in this process: start it with `python -m autograder worker`")
    assignment = job["tirage"].get("assignment")
    if assignment and assignment not in _PREPARED:
        load(assignment).prepare()
        _PREPARED.add(assignment)
    return grade_with(_POOL, job)


def set_pool(pool) -> None:
    global _POOL
    _POOL = pool
