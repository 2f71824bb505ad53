"""`python -m autograder autograde ASSIGNMENT`: the class, graded in three phases.

1. sanitize every submitted notebook with nbgrader's own preprocessors (grader's process);
2. observe them all in the sandbox pool, `jobs` at a time (student code runs only there);
3. decide each test cell here (`run_check` + the visible outcome) and save through nbgrader's
   save preprocessors, so that autograded/ and gradebook.db are what `nbgrader autograde` writes.
"""
from __future__ import annotations

import json
import os
import sys
import time
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from ..course import step_of
from ..draws import draw
from ..observe import Cell, cells_from_notebook
from ..observe.replay import visible_part
from ..sandbox import Limits, SandboxPool
from .decide import Decision, decide, failure_decisions
from .nbgrader_pass import Skipped, Submitted, make_converter
from .progress import Progress


@dataclass
class Graded:
    student: str
    notebook: str
    decisions: list[Decision]
    problem: str | None = None     # English: why the notebook could not be observed
    seconds: float = 0.0           # time of the sandboxed child


@dataclass
class ClassReport:
    graded: list[Graded] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    seconds: dict = field(default_factory=dict)      # per phase
    isolated: bool = True


def sandbox_cells(nb: dict) -> tuple[list[Cell], list[str]]:
    """The cells sent into the sandbox (test cells cut to their visible part: the hidden part
    is the grader's business) and the grade_ids of the notebook's test cells."""
    cells, grade_ids = [], []
    for cell in cells_from_notebook(nb):
        if cell.role == "test":
            grade_ids.append(cell.grade_id)
            cell = Cell(visible_part(cell.source), cell.grade_id, cell.role)
        cells.append(cell)
    return cells, grade_ids


def decide_answer(step: str, grade_ids: list[str], tirage: dict, answer: dict) -> tuple[list[Decision], str | None]:
    """The sandbox's answer for one notebook, decided here. Not thread-safe: the reference
    computations seed torch's global generator, so decisions are taken one at a time."""
    if not answer.get("ok"):
        problem = str(answer.get("error", "unknown failure"))
        return failure_decisions(step, grade_ids, _french(problem), problem), problem
    return decide(step, grade_ids, tirage, answer["observation"]), None


def _french(problem: str) -> str:
    if problem.startswith("no result within"):
        return "le notebook n'a pas fini dans le temps imparti ; une boucle infinie ?"
    if "killed by" in problem or "ended without" in problem:
        return "le processus du notebook s'est arrêté avant la fin (mémoire, temps de calcul ou sortie forcée)"
    return "le résultat de l'exécution n'est pas exploitable"


def _observe_all(pool: SandboxPool, items: list[Submitted], jobs: int, progress: Progress) -> dict:
    """Threads only wait on the sandbox; every decision is taken in this (main) thread."""
    results: dict[int, Graded] = {}
    jobs_of: dict[int, tuple[str, list[str], dict]] = {}
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as ex:
        futures = {}
        for i, item in enumerate(items):
            try:
                nb = json.loads(Path(item.path).read_text(encoding="utf-8"))
                step = step_of(item.notebook).name
            except (OSError, ValueError, KeyError) as exc:
                results[i] = Graded(item.student, item.notebook, [], f"cannot read the sanitized notebook: {exc}")
                progress.step(f"{item.student}/{item.notebook}")
                continue
            cells, grade_ids = sandbox_cells(nb)
            tirage = draw(step)
            jobs_of[i] = (step, grade_ids, tirage)
            futures[ex.submit(pool.run, step, cells, tirage)] = i
        for future in as_completed(futures):
            i, item = futures[future], items[futures[future]]
            step, grade_ids, tirage = jobs_of[i]
            answer = future.result()
            decisions, problem = decide_answer(step, grade_ids, tirage, answer)
            results[i] = Graded(item.student, item.notebook, decisions, problem, answer.get("seconds", 0.0))
            progress.step(f"{item.student}/{item.notebook}")
    return results


def autograde_class(course_dir, assignment: str, student: str | None = None, jobs: int = 2,
                    limits: Limits | None = None, stream=None) -> ClassReport:
    """Grade `submitted/` of `course_dir` for `assignment` (one student, or all)."""
    stream = stream if stream is not None else sys.stderr
    course_dir = Path(course_dir).resolve()
    report = ClassReport()
    here = os.getcwd()
    os.chdir(course_dir)
    starter = ThreadPoolExecutor(max_workers=1)
    pool_future: Future = starter.submit(SandboxPool, jobs, limits)   # warms up while phase 1 runs
    pool = None
    try:
        t0 = time.monotonic()
        converter = make_converter(str(course_dir), assignment, student)
        ready, report.skipped = converter.sanitize_all()
        t1 = time.monotonic()
        pool = pool_future.result()
        report.isolated = pool.isolated
        t2 = time.monotonic()
        results = _observe_all(pool, ready, jobs, Progress(len(ready), "grading", stream))
        t3 = time.monotonic()
        for i, item in enumerate(ready):
            graded = results[i]
            report.graded.append(graded)
            if graded.problem and not graded.decisions:
                converter._zero(item.assignment, item.student, item.notebook)
                continue
            converter.save(item, [d.to_dict() for d in graded.decisions])
        for student_id, assignment_id in sorted({(i.student, i.assignment) for i in ready}):
            converter.finish(assignment_id, student_id)
        report.seconds = {"sanitize": t1 - t0, "sandbox start (after sanitize)": t2 - t1,
                          "observe": t3 - t2, "save": time.monotonic() - t3}
    finally:
        os.chdir(here)
        starter.shutdown(wait=True)
        if pool is None and pool_future.exception() is None:
            pool = pool_future.result()
        if pool is not None:
            pool.close()
    return report
