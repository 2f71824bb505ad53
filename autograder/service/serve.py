"""`python -m autograder serve ASSIGNMENT [--queue redis://HOST:PORT/N] [--jobs N]`, from the
course root: grade each submission as `nbgrader submit` brings it, and release its feedback.

For each student whose latest submission has no feedback out yet: nbgrader's collect (latest
submission wins, into submitted/), the kit's grader (warm sandbox, or the job queue's workers),
nbgrader's save into autograded/ and the gradebook, nbgrader's generate_feedback and
release_feedback, then one line on the console. A submission is graded when its feedback has
been released (`exchange/<course>/feedback/<hash>.html`, what `fetch_feedback` looks for): on
start, serve grades every latest submission without it, so that what arrived while it was down
is graded, and nothing twice. Ctrl-C (SIGINT) or SIGTERM: stops taking submissions, leaves the
ones in flight ungraded (they are graded at the next start), exits 0.
"""
from __future__ import annotations

import html
import os
import queue
import signal
import sys
import threading
import time
from pathlib import Path

from ..text import printable
from .exchange import CourseExchange, seconds_since
from .policy import HIDDEN_BEFORE_DEADLINE, ReleaseLog, ServicePolicy, masked_checks, plain_name

STOP = "__stop__"
WAKE = "__wake__"
TRACE = bool(os.environ.get("KIT_SERVE_TRACE"))   # phase timings on stderr, for the benchmark


def trace(what: str, since: float) -> float:
    now = time.monotonic()
    if TRACE:
        print(f"trace {what} {now - since:.3f}", file=sys.stderr, flush=True)
    return now


class Service:
    def __init__(self, course_dir: Path, assignment: str, queue_url: str | None, jobs: int, out=None):
        self.out = out if out is not None else sys.stdout
        self.course_dir, self.assignment, self.queue_url, self.jobs = course_dir, assignment, queue_url, jobs
        self.events: queue.Queue = queue.Queue()
        self.todo: dict[str, None] = {}         # students to look at, in order of arrival
        self.pages: dict[str, list] = {}        # student: the futures of the pages of the submission being graded
        self.releasing: dict[str, tuple] = {}   # student: (graded submission, its pages' futures, since)
        self.deferred: dict[str, float] = {}    # student: when their latest submission may be graded (the policy)
        self.refused: set[str] = set()          # inbound entries refused (student id not a plain name)
        self.graded_count = 0

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def run(self) -> int:
        start = time.monotonic()
        if self.queue_url:
            from .queue import RemotePool

            pool, in_flight = RemotePool(self.queue_url, self.say), 64
            if not pool.reachable():
                self.say(f"Redis unreachable at {self.queue_url}: submissions will wait for it")
        else:
            from ..sandbox import SandboxPool

            pool, in_flight = SandboxPool(self.jobs, wait=False), self.jobs   # warms up while nbgrader loads
        os.chdir(self.course_dir)
        exchange = CourseExchange(self.course_dir, self.assignment)
        problem = exchange.check()
        if problem:
            pool.close()
            print(f"error: {problem}", file=sys.stderr)
            return 2
        from .feedback import FeedbackPool
        from .grading import Grading
        from .watch import InboundWatcher

        self.policy = ServicePolicy(config=exchange.app.config)
        self.releases = ReleaseLog(self.course_dir, self.policy.limit_window_seconds)

        feedback = FeedbackPool(self.course_dir, self.assignment, os.cpu_count() or 2)   # starts its processes
        grading = Grading(self.course_dir, self.assignment, pool, in_flight, lambda: self.events.put(WAKE))
        watcher = InboundWatcher(str(exchange.inbound), self.events.put)
        watcher.start()                      # before the first look: nothing submitted from now on is missed
        for student, record in exchange.latest().items():
            if not plain_name(student):
                self._refuse(exchange, record["filename"], student)
            elif not exchange.released(record, grading.notebooks):
                self.todo[student] = None
        for worker in getattr(pool, "workers", []):
            worker.ready()                   # the sandbox is warm before the first line
        for warm in feedback.warm:
            warm.result()                    # and the feedback processes
        where = f"jobs on {self.queue_url}" if self.queue_url else f"{self.jobs} sandboxed workers in this process"
        self.say(f"serving {exchange.course_id}/{self.assignment}: watching {exchange.inbound} ({where}); "
                 f"{len(self.todo)} submission(s) waiting; ready in {time.monotonic() - start:.1f} s. Ctrl-C stops.")
        stopping = threading.Event()

        def stop(_signum, _frame):
            stopping.set()
            self.events.put(STOP)

        previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            self._loop(exchange, grading, feedback, stopping)
        finally:
            watcher.stop()
            feedback.close()                 # its processes read the gradebook: closed before it
            pool.close()
            grading.close(drain=False)
            for s, handler in previous.items():
                signal.signal(s, handler)
        left = len(grading.in_flight) + len(self.releasing) + len(self.todo)
        self.say(f"stopped: {self.graded_count} submission(s) graded"
                 + (f"; {left} left for the next start" if left else ""))
        return 0

    def _busy(self, grading) -> set[str]:
        return set(grading.in_flight) | set(self.releasing)

    def _loop(self, exchange: CourseExchange, grading, feedback, stopping: threading.Event) -> None:
        while not stopping.is_set():
            # wait for an event (a submission's entry changed, an observation or a feedback page
            # is done, a stop) or a student's next slot, unless a submission can be started now
            self._take_events(exchange, self._wait(grading))
            if stopping.is_set():
                break
            now = time.time()
            for student, when in list(self.deferred.items()):
                if when <= now:
                    del self.deferred[student]
                    self.todo[student] = None
            for student in list(self.todo):
                if student in self._busy(grading):
                    continue              # looked at again once the submission in flight is out
                del self.todo[student]
                t = time.monotonic()
                record = exchange.latest(student).get(student)
                if record is None or not exchange.ready(record) or exchange.released(record, grading.notebooks):
                    continue
                if self._later(student, now):
                    continue
                record = exchange.collect(student)
                t = trace("collect", t)
                if record is not None:
                    grading.start(student, record)
                    trace("sanitize", t)
                    self._pages(grading, feedback)
            t = time.monotonic()
            finished = grading.advance()
            if finished:
                trace("save", t)
            self._pages(grading, feedback)
            for done in finished:
                self.releasing[done.student] = (done, self.pages.pop(done.student, []), time.monotonic())
            for student, (done, futures, since) in list(self.releasing.items()):
                if all(f.done() for f in futures):
                    del self.releasing[student]
                    trace("feedback", since)
                    self._release(exchange, grading, done, futures)

    def _wait(self, grading) -> float | None:
        """How long to wait for an event: 0 when a submission can be started now, until the
        earliest deferred student's slot, or for ever."""
        if not self.todo.keys() <= self._busy(grading):
            return 0.0
        if self.deferred:
            return max(0.0, min(self.deferred.values()) - time.time())
        return None

    def _later(self, student: str, now: float) -> bool:
        """The policy's limit of feedback per hour: True (and the student deferred) when reached."""
        limit = self.policy.feedback_per_hour
        slot = self.releases.next_slot(student, limit, now) if limit > 0 else None
        if slot is None:
            return False
        if student not in self.deferred:
            self.say(f"{printable(student, 120)}: feedback on {limit} submission(s) in the last "
                     f"{self.policy.limit_window_seconds / 60:g} minutes, the limit; the latest submission is graded at "
                     f"{time.strftime('%H:%M:%S', time.localtime(slot))}")
        self.deferred[student] = slot
        return True

    def _masked(self, grading, graded) -> set[str]:
        """The checks whose message the page hides (the policy, before the due date)."""
        if self.policy.hidden_messages_before_deadline:
            return set()
        due = grading.duedate()
        if due is None or time.time() >= due:
            return set()
        return masked_checks(graded.decisions)

    def _pages(self, grading, feedback) -> None:
        """Each notebook's feedback page, started as soon as the notebook is saved."""
        for graded in grading.take_saved():
            student, notebook = graded.student, graded.notebook
            if not (self.course_dir / "autograded" / student / self.assignment / f"{notebook}.ipynb").is_file():
                continue                     # nothing nbgrader can make a page of (scored 0, said in the line)
            if student not in self.pages:
                feedback.clear(student)
                self.pages[student] = []
            future = feedback.page(student, notebook, self._masked(grading, graded), HIDDEN_BEFORE_DEADLINE)
            future.add_done_callback(lambda _f: self.events.put(WAKE))
            self.pages[student].append(future)

    def _take_events(self, exchange: CourseExchange, timeout: float | None) -> None:
        """Every event waiting; first, wait up to `timeout` seconds (None: for ever) for one."""
        try:
            event = self.events.get(timeout=timeout) if timeout != 0 else self.events.get_nowait()
        except queue.Empty:
            return
        while True:
            if event not in (STOP, WAKE):
                student = exchange.student_of(event)
                if student is not None and not plain_name(student):
                    self._refuse(exchange, event, student)
                elif student is not None:
                    self.todo[student] = None
            try:
                event = self.events.get_nowait()
            except queue.Empty:
                return

    def _refuse(self, exchange: CourseExchange, entry: str, student: str) -> None:
        """A submission whose student id is not a plain name is not collected (nbgrader would name
        folders after it): a French note is released as its feedback, one line on the console."""
        if entry in self.refused:
            return
        page = ("<!DOCTYPE html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\"><title>Rendu refusé</title></head>"
                "<body><h1>Rendu refusé</h1><p>Ce rendu n'a pas été corrigé : l'identifiant d'étudiant "
                f"« {html.escape(printable(student, 120))} » n'est pas un nom simple (lettres et chiffres sans "
                "accent, « . », « _ », « - », « @ »). Demande à ton enseignant de vérifier ton compte, puis rends "
                "à nouveau ton devoir.</p></body></html>\n")
        if exchange.release_note(entry, page):
            self.refused.add(entry)
            self.say(f"refused {printable(entry, 160)}: the student id {printable(student, 120)!r} is not a plain "
                     "name (letters, digits, '.', '_', '-', '@'); not collected; a French note is released as its "
                     "feedback")

    def _release(self, exchange: CourseExchange, grading, done, futures) -> None:
        student = done.student
        t = time.monotonic()
        try:
            for future in futures:
                future.result()
            exchange.release_feedback(student)
            self.releases.record(student, time.time())
            trace("release", t)
        except Exception as exc:  # noqa: BLE001  (one student's failure must not stop the service)
            self.say(f"{printable(student, 120)}: graded, but the feedback could not be released "
                     f"({type(exc).__name__}: {printable(exc, 120)})")
            return
        self.graded_count += 1
        score, total = grading.score(student)
        failed = [f"{g.notebook}:{d.grade_id}" for g in done.graded for d in g.decisions if not d.passed]
        problems = [f"{s.notebook}: {s.reason}" for s in done.skipped]
        self.say(f"graded {printable(student, 120):<24} {score:g}/{total:g}  "
                 f"{seconds_since(done.record):6.2f} s after submit"
                 f"  submitted {done.record['timestamp']:%Y-%m-%d %H:%M:%S}"
                 + (f"  failed: {' '.join(failed[:6])}{' ...' if len(failed) > 6 else ''}" if failed else "")
                 + (f"  ({printable('; '.join(problems), 120)})" if problems else ""))


def course_root(course_dir_option: str) -> Path:
    """`--course-dir` when given, else the working folder when it is a course root (it holds
    nbgrader_config.py), else the command line's default."""
    from ..nbgrader_cli import ROOT

    if Path(course_dir_option).resolve() == ROOT and (Path.cwd() / "nbgrader_config.py").is_file():
        return Path.cwd().resolve()
    return Path(course_dir_option).resolve()


def cmd_serve(args) -> int:
    course_dir = course_root(args.course_dir)
    return Service(course_dir, args.assignment, args.queue, args.jobs).run()
