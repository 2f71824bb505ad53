"""serve's side of grading: the kit's pipeline (autograde.py) fed one submission at a time.

Each submission is sanitized by nbgrader's preprocessors here, its notebooks go to the pool
(the sandbox pool of this process, or the job queue's `RemotePool`), and, as their results
come back, decisions and saves happen in serve's main thread through nbgrader's save
preprocessors: serve is the gradebook's one writer. Several submissions are in flight at once,
so that the sandbox observes one student's notebooks while serve saves another's.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..nbgrader_settings import gradebook_url


@dataclass
class InFlight:
    student: str
    record: dict                 # the inbound record collected (nbgrader's: username, filename, timestamp)
    graded: list = field(default_factory=list)     # the notebooks' `Graded`
    skipped: list = field(default_factory=list)    # the notebooks nbgrader could not read (`Skipped`)


class Grading:
    """Call from the course root as working folder (nbgrader's converter reads paths from it)."""

    def __init__(self, course_dir: Path, assignment: str, pool, jobs: int, wake: Callable[[], None]):
        from ..course import load

        load(assignment).prepare()
        self.course_dir, self.assignment, self.pool, self.jobs, self.wake = course_dir, assignment, pool, jobs, wake
        self.converter = self.pipeline = None
        self.in_flight: dict[str, InFlight] = {}
        self.saved: list = []                     # the notebooks (`Graded`) saved into autograded/ since last asked
        self._hooked: set = set()
        self.notebooks = self._assignment_notebooks()
        if any((course_dir / "submitted").glob(f"*/{assignment}")):
            self._open()

    def _open(self) -> None:
        """nbgrader's converter (it cannot be made before a first submission folder exists).
        serve has the run's gradebook open (grader/gradebook.py's run_gradebooks) around every lane."""
        from ..grader.autograde import ClassReport, grading_pipeline
        from ..grader.converter import make_converter

        self.converter = make_converter(str(self.course_dir), self.assignment)
        self.report = ClassReport()
        self.pipeline = grading_pipeline(self.pool, self.converter, self.jobs, self.report)

    @property
    def pending(self) -> dict:
        return self.pipeline.pending if self.pipeline is not None else {}

    def _gradebook(self):
        """nbgrader's Gradebook as the kit's converter opens it: the run's own while serve runs."""
        from ..grader import converter

        return converter.Gradebook(gradebook_url(self.course_dir), self._course_id())

    def _course_id(self) -> str:
        if self.converter is not None:
            return self.converter.coursedir.course_id
        from nbgrader.apps import NbGrader

        app = NbGrader()
        app.initialize([f"--CourseDirectory.root={self.course_dir}"])
        return app.coursedir.course_id

    def _assignment_notebooks(self) -> set[str]:
        with self._gradebook() as gb:
            return {nb.name for nb in gb.find_assignment(self.assignment).notebooks}

    def start(self, student: str, record: dict) -> None:
        """Sanitize the collected submission and send its notebooks to the pool."""
        if self.converter is None:
            self._open()
        self.in_flight[student] = InFlight(student, record)
        self.converter.coursedir.student_id = student
        self.converter.init_notebooks()
        for item in self.converter.sanitize_each(self.report.skipped):
            self.pipeline.submit(item)
        for future in self.pipeline.pending:
            if future not in self._hooked:
                self._hooked.add(future)
                future.add_done_callback(lambda _f: self.wake())
        self._sort_out()

    def advance(self) -> list[InFlight]:
        """Decide and save what the pool has sent back; the submissions now complete, after
        nbgrader's end of autograde for them."""
        if self.pipeline is None:
            return []
        self.pipeline.drain(block=False)
        self._hooked &= set(self.pipeline.pending)
        self._sort_out()
        busy = {item.student for item, *_ in self.pipeline.pending.values()}
        done = [s for s in self.in_flight if s not in busy]
        out = []
        for student in done:
            self.converter.finish(self.assignment, student)
            out.append(self.in_flight.pop(student))
        return out

    def take_saved(self) -> list:
        """The notebooks (`Graded`: student, notebook, decisions) saved into autograded/ since the
        last call."""
        saved, self.saved = self.saved, []
        return saved

    def _sort_out(self) -> None:
        for graded in self.report.graded:
            if graded.student in self.in_flight:
                self.in_flight[graded.student].graded.append(graded)
                self.saved.append(graded)
        for skipped in self.report.skipped:
            if skipped.student in self.in_flight:
                self.in_flight[skipped.student].skipped.append(skipped)
        self.report.graded.clear()
        self.report.skipped.clear()

    def duedate(self) -> float | None:
        """The assignment's due date in the gradebook now (seconds since the epoch), None without
        one: `nbgrader db assignment add --duedate` while serve runs counts from the next page."""
        from datetime import timezone

        with self._gradebook() as gb:
            due = gb.find_assignment(self.assignment).duedate
        return None if due is None else (due if due.tzinfo else due.replace(tzinfo=timezone.utc)).timestamp()

    def score(self, student: str) -> tuple[float, float]:
        """(score, max score) of the student's submission, from the gradebook serve writes: nbgrader's
        score less its late penalty, as `nbgrader export` and the LMS exports count it."""
        with self._gradebook() as gb:
            submission = gb.find_submission(self.assignment, student)
            penalty = float(submission.late_submission_penalty or 0)
            return max(0.0, float(submission.score) - penalty), float(submission.max_score)

    def close(self, drain: bool) -> None:
        """With `drain`, wait for the notebooks in flight; without, leave them (not saved: they
        are graded again at the next start)."""
        if self.pipeline is None:
            return
        if drain:
            self.pipeline.drain(block=True)
            self.pipeline.close()
        else:
            self.pipeline.executor.shutdown(wait=False, cancel_futures=True)
