"""`python -m autograder autograde ASSIGNMENT`: the class, graded in three overlapping phases.

1. sanitize every submitted notebook with nbgrader's own preprocessors (grader's process);
2. observe them all in the sandbox pool, `jobs` at a time (student code runs only there);
3. decide each test cell here (`run_check` + the visible outcome) and save through nbgrader's
   save preprocessors, so that autograded/ and gradebook.db are what `nbgrader autograde` writes.
"""
from __future__ import annotations

import io
import json
import os
import sys
import time
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from .. import records
from ..course import load
from ..observe import Cell, cells_from_notebook
from ..observe.replay import visible_part
from ..sandbox import Limits, SandboxPool
from .decide import Decision, decide, failure_decisions, sandbox_failure
from .items import Skipped, Submitted
from .outputs import recorded_cells
from .progress import Progress


@dataclass
class Graded:
    student: str
    notebook: str
    decisions: list[Decision]
    problem: str | None = None     # English: why the notebook could not be observed
    seconds: float = 0.0           # wall time of the sandboxed child
    cpu_seconds: float = 0.0       # its CPU time
    cells: list = field(default_factory=list)   # the notebook's own run: execution counts and outputs per code cell
    curve: list | None = None      # the student's (w, L) per iteration, from that run
    problem_code: str | None = None

    def record(self, step: str) -> dict:
        """What the reports will read: each check's outcome and cause, the curve, the problem."""
        record = records.new_record(step, "kit")
        for d in self.decisions:
            record["checks"][d.grade_id] = records.check_entry(d.passed, d.code, d.message, d.english)
        record["curve"] = self.curve
        if self.problem:
            record["problem"] = {"code": self.problem_code or "not_graded", "en": records.check_entry(False, en=self.problem)["en"]}
        return record


@dataclass
class ClassReport:
    graded: list[Graded] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    seconds: dict = field(default_factory=dict)      # per phase
    isolated: bool = True


def without_hidden_tests(source: str) -> str:
    """A test cell as the student's release shows it."""
    return visible_part(source)


def sandbox_cells(nb: dict) -> tuple[list[Cell], list[str]]:
    """The cells sent into the sandbox (hidden test regions removed from every cell: they are
    the grader's business) and the grade_ids of the notebook's test cells."""
    cells, grade_ids = [], []
    for cell in cells_from_notebook(nb):
        if cell.role == "test":
            grade_ids.append(cell.grade_id)
        cells.append(Cell(without_hidden_tests(cell.source), cell.grade_id, cell.role))
    return cells, grade_ids


def decide_answer(step: str, grade_ids: list[str], tirage: dict, answer: dict) -> tuple[list[Decision], str | None]:
    """The sandbox's answer for one notebook, decided here (in the main thread: the memoized
    reference computations are plain dicts, and SQLite wants one writer after it)."""
    if not answer.get("ok"):
        return sandbox_failure(step, grade_ids, answer)
    return decide(step, grade_ids, tirage, answer["observation"]), None


def graded_from_answer(student: str, notebook: str, step: str, grade_ids: list[str], tirage: dict,
                       answer: dict) -> Graded:
    """The sandbox's answer for one notebook, decided, with its outputs and curve: what is saved.
    An answer decided elsewhere (a grading service's worker, `autograder.service`) carries its
    `Graded` fields as plain data under "graded" and is taken as it is."""
    if "graded" in answer:
        fields = dict(answer["graded"], student=student, notebook=notebook)
        fields["decisions"] = [Decision(**d) for d in fields.get("decisions") or []]
        return Graded(**fields)
    decisions, problem = decide_answer(step, grade_ids, tirage, answer)
    observation = answer.get("observation") if answer.get("ok") else None
    return Graded(student, notebook, decisions, problem, answer.get("seconds") or 0.0,
                  answer.get("cpu_seconds") or 0.0, recorded_cells(observation), records.curve_of_observation(observation, load(tirage["assignment"])),
                  None if answer.get("ok") else str(answer.get("code") or "sandbox_failed"))


class _Pipeline:
    """Phase 2 overlapping phases 1 and 3: each sanitized notebook goes to the sandbox pool at
    once; threads only wait on the sandbox; every decision and save is taken in the main thread
    (the memoized reference computations are not locked; SQLite wants one writer)."""

    def __init__(self, pool: SandboxPool, converter, jobs: int, progress: Progress, report: ClassReport):
        self.pool, self.converter, self.progress, self.report = pool, converter, progress, report
        self.executor = ThreadPoolExecutor(max_workers=max(1, jobs))
        self.pending: dict[Future, tuple[Submitted, str, list[str], dict]] = {}
        self.first_observed: float | None = None

    def submit(self, item: Submitted) -> None:
        try:
            nb = item.sanitized or json.loads(Path(item.path).read_text(encoding="utf-8"))
            step = load(item.assignment).step_of(item.notebook).name
        except (OSError, ValueError, KeyError) as exc:
            self._record(item, Graded(item.student, item.notebook, [], f"cannot read the sanitized notebook: {exc}"),
                         readable=False)
            return
        cells, grade_ids = sandbox_cells(nb)
        if not grade_ids and not item.problem:   # test cells gone (metadata stripped): the release stands in
            stand_in = self.converter.stand_in_for(item, f"le notebook {item.notebook}.ipynb a perdu les "
                                                         "métadonnées nbgrader de ses cellules de test")
            if stand_in is not None:
                self.report.skipped.append(Skipped(item.student, item.notebook, "no test cell left in the notebook "
                                                   "(nbgrader metadata removed?): scored 0"))
                self.submit(stand_in)
                return
        if item.problem:   # nothing of the student's to run: the release stood in for an ungradable file
            self._record(item, Graded(item.student, item.notebook, failure_decisions(
                step, grade_ids, item.problem, "not graded"), "scored 0, the handed-in file was not read (reason below)",
                problem_code="not_read"), step=step)
            return
        tirage = load(item.assignment).draw(step)
        future = self.executor.submit(self.pool.run, step, cells, tirage)
        self.pending[future] = (item, step, grade_ids, tirage)

    def drain(self, block: bool, down_to: int = 0) -> None:
        """Decide and save every observed notebook; if `block`, wait until at most `down_to`
        are still pending."""
        done = as_completed(list(self.pending)) if block else [f for f in self.pending if f.done()]
        for future in done:
            item, step, grade_ids, tirage = self.pending.pop(future)
            answer = future.result()
            self.first_observed = self.first_observed or time.monotonic()
            self._record(item, graded_from_answer(item.student, item.notebook, step, grade_ids, tirage, answer),
                         step=step)
            if block and len(self.pending) <= down_to:
                break

    def _record(self, item: Submitted, graded: Graded, readable: bool = True, step: str | None = None) -> None:
        """Save one notebook's grades, outputs and record; if nbgrader cannot, say so and go on with
        the class (what is saved is committed notebook by notebook: nothing already graded is lost)."""
        self.report.graded.append(graded)
        try:
            if not readable:
                self.converter.zero_notebook(item.assignment, item.student, item.notebook)
            else:
                self.converter.save(item, [d.to_dict() for d in graded.decisions], graded.cells)
                if not graded.decisions and not graded.problem:   # nothing to grade: 0, even over an older grade
                    graded.problem = "no test cell left in the notebook (nbgrader metadata removed?): scored 0"
                    self.converter.zero_notebook(item.assignment, item.student, item.notebook, remove=False)
                records.write(records.path_for(item.path), graded.record(step or load(item.assignment).step_of(item.notebook).name))
        except Exception as exc:  # noqa: BLE001  (one notebook's failure must not stop the class)
            graded.problem = (f"{graded.problem}; " if graded.problem else "") + \
                f"nbgrader could not save its grades ({type(exc).__name__}: {str(exc)[:200]}): not in the gradebook"
        self.progress.step(f"{item.student}/{item.notebook}")

    def close(self) -> None:
        self.executor.shutdown(wait=True)


def grading_pipeline(pool, converter, jobs: int, report: ClassReport, stream=None) -> _Pipeline:
    """The pipeline of `autograde_class` on an already started `pool` (or anything with its
    `run(step, cells, tirage)`), for a caller that feeds it submission by submission, such as the
    grading service: `submit(item)` each item of `converter.sanitize_each(report.skipped)`,
    `drain(block=False)` as observations come back (decisions and saves happen in the calling
    thread), `pending` the notebooks in flight, `close()` at the end."""
    return _Pipeline(pool, converter, jobs, Progress(0, "grading", stream if stream is not None else io.StringIO()),
                     report)


def _count_notebooks(converter) -> int:
    return sum(len(v) for v in converter.assignments.values())


def autograde_class(course_dir, assignment: str, student: str | None = None, jobs: int = 2,
                    limits: Limits | None = None, stream=None, lookahead: int = 256) -> ClassReport:
    """Grade `submitted/` of `course_dir` for `assignment` (one student, or all). At most
    `lookahead` sanitized notebooks wait in memory for the sandbox (a class of any size runs in
    bounded memory; 256 lets the whole start-up be spent sanitizing)."""
    start = time.monotonic()
    stream = stream if stream is not None else sys.stderr
    course_dir = Path(course_dir).resolve()
    course = load(assignment)   # CourseError, before anything starts, when the assignment has no course
    pool = SandboxPool(jobs, limits, wait=False)   # the sandbox imports torch while nbgrader loads here
    from .gradebook import run_gradebooks
    from .converter import make_converter

    course.prepare()
    report = ClassReport()
    here = os.getcwd()
    os.chdir(course_dir)
    pipeline = None
    try:
        converter = make_converter(str(course_dir), assignment, student)
        with run_gradebooks(converter.coursedir.db_url):
            pipeline = _Pipeline(pool, converter, jobs, Progress(_count_notebooks(converter), "grading", stream),
                                 report)
            submissions = set()
            for item in converter.sanitize_each(report.skipped):
                submissions.add((item.assignment, item.student))
                pipeline.submit(item)
                pipeline.drain(block=len(pipeline.pending) > lookahead, down_to=lookahead)
            pipeline.drain(block=True)
            for assignment_id, student_id in sorted(submissions):
                converter.finish(assignment_id, student_id)
        report.isolated = pool.isolated
        report.seconds = {"total": time.monotonic() - start}
        if pipeline.first_observed:
            report.seconds["until the first notebook was graded"] = pipeline.first_observed - start
    finally:
        if pipeline is not None:
            pipeline.close()
        os.chdir(here)
        pool.close()
    return report
