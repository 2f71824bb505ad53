"""`python -m autograder serve [ASSIGNMENT...] [--queue redis://HOST:PORT/N] [--jobs N]`, from the
course root: grade each submission as `nbgrader submit` brings it, and release its feedback.

Without an assignment, every assignment the course has released (nbgrader's release_assignment:
`exchange/<course>/outbound/<assignment>/`) that the kit has a course for, including one released
while serve runs (the exchange's outbound folder is watched too). One serve per course: it is the
gradebook's one writer for every assignment.

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
import sqlite3
from pathlib import Path

from ..nbgrader_exchange.vetting import ENGLISH, FRENCH
from ..text import printable
from .exchange import ExchangeLayout, entry_parts, seconds_since
from .lane import Lane
from .policy import HIDDEN_BEFORE_DEADLINE, ReleaseLog, ServicePolicy, masked_checks, plain_name

STOP = "__stop__"
WAKE = "__wake__"
RELEASED = "__released__"
TRACE = bool(os.environ.get("KIT_SERVE_TRACE"))   # phase timings on stderr, for the benchmark


def trace(what: str, since: float) -> float:
    now = time.monotonic()
    if TRACE:
        print(f"trace {what} {now - since:.3f}", file=sys.stderr, flush=True)
    return now


class Service:
    def __init__(self, course_dir: Path, assignments: list[str] | None, queue_url: str | None, jobs: int, out=None):
        self.out = out if out is not None else sys.stdout
        self.course_dir, self.queue_url, self.jobs = course_dir, queue_url, jobs
        self.only = list(assignments) if assignments else None   # None: every assignment released
        self.events: queue.Queue = queue.Queue()
        self.lanes: dict[str, Lane] = {}
        self.ignored: set[str] = set()          # released assignments serve cannot grade (said once)
        # keyed by (assignment, student):
        self.todo: dict[tuple, None] = {}       # submissions to look at, in order of arrival
        self.pages: dict[tuple, list] = {}      # the futures of the pages of the submission being graded
        self.releasing: dict[tuple, tuple] = {} # (graded submission, its pages' futures, since)
        self.masked: dict[tuple, set] = {}      # the (notebook, check) whose message the pages hide
        self.summaries: dict[tuple, object] = {}   # the kit's summary page of the submission: its future
        self.deferred: dict[tuple, float] = {}  # when the latest submission may be graded (the policy)
        self.refused: set[str] = set()          # inbound entries refused
        self.graded_count = 0
        self.after_release: list = []    # callables (assignment, student, score, max score, submitted at)

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def run(self) -> int:
        start = time.monotonic()
        from ..nbgrader_settings import course_settings, nbgrader_config

        settings = course_settings(self.course_dir)
        self.layout = ExchangeLayout(settings)
        problem = self.layout.problem()
        if problem:
            print(f"error: {problem}", file=sys.stderr)
            return 2
        if not self._wait_for_the_first_release():
            return 0
        if self.queue_url:
            from .queue import RemotePool

            self.pool, self.in_flight = RemotePool(self.queue_url, self.say), 64
            if not self.pool.reachable():
                self.say(f"Redis unreachable at {self.queue_url}: submissions will wait for it")
        else:
            from ..sandbox import SandboxPool

            self.pool, self.in_flight = SandboxPool(self.jobs, wait=False), self.jobs   # warms up while nbgrader loads
        os.chdir(self.course_dir)
        for line in self.layout.secure():
            self.say(line)
        from ..grader.gradebook import run_gradebooks
        from .feedback import FeedbackPool
        from .watch import InboundWatcher

        self.policy = ServicePolicy(config=nbgrader_config(self.course_dir)[0])
        self.releases = ReleaseLog(self.course_dir)
        from ..lti.passback import ScorePassback

        passback = ScorePassback(self.course_dir).start()   # LTI AGS: nothing unless the course registered a platform
        if passback.enabled:
            self.after_release.append(passback.released)
            self.say(f"scores go to the LTI platform {passback.reg.issuer} as feedback is released "
                     "(python -m autograder lti status)")
        gradebooks = run_gradebooks(settings.db_url)
        gradebooks.__enter__()
        first = [a for a in self._released() if self._servable(a)]
        self.feedback = FeedbackPool(self.course_dir, first, os.cpu_count() or 2)   # starts its processes
        watcher = InboundWatcher(str(self.layout.inbound), self.events.put, str(self.layout.outbound), self._released_now)
        watcher.start()                      # before the first look: nothing submitted from now on is missed
        for assignment in first:
            self._open_lane(assignment, announce=False)
        for worker in getattr(self.pool, "workers", []):
            worker.ready()                   # the sandbox is warm before the first line
        for warm in self.feedback.warm:
            warm.result()                    # and the feedback processes
        where = f"jobs on {self.queue_url}" if self.queue_url else f"{self.jobs} sandboxed workers in this process"
        self.say(f"serving {self.layout.course_id}: {', '.join(sorted(self.lanes)) or 'no assignment yet'}"
                 f"{'' if self.only else ' (and any assignment released later)'}: watching {self.layout.inbound} "
                 f"({where}); {len(self.todo)} submission(s) waiting; ready in {time.monotonic() - start:.1f} s. "
                 "Ctrl-C stops.")
        stopping = threading.Event()

        def stop(_signum, _frame):
            stopping.set()
            self.events.put(STOP)

        previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            self._loop(stopping)
        finally:
            watcher.stop()
            passback.stop()
            self.feedback.close()            # its processes read the gradebook: closed before it
            self.pool.close()
            for lane in self.lanes.values():
                lane.close()
            try:
                gradebooks.__exit__(None, None, None)
            except sqlite3.OperationalError:   # another reader: the gradebook stays in WAL mode, which nbgrader reads too
                pass
            for s, handler in previous.items():
                signal.signal(s, handler)
        left = sum(len(lane.grading.in_flight) for lane in self.lanes.values()) + len(self.releasing) + len(self.todo)
        self.say(f"stopped: {self.graded_count} submission(s) graded"
                 + (f"; {left} left for the next start" if left else ""))
        return 0

    # --- assignments ---------------------------------------------------------------------------

    def _wait_for_the_first_release(self) -> bool:
        """Until the course's exchange folder exists (nbgrader release_assignment makes it): a
        unit started at boot, before the term's first release, waits instead of failing."""
        if self.layout.inbound.is_dir():
            return True
        self.say(f"waiting for the course's first release: no {self.layout.inbound} yet "
                 "(nbgrader release_assignment makes it)")
        stopping = threading.Event()
        previous = {s: signal.signal(s, lambda *_: stopping.set()) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            while not self.layout.inbound.is_dir():
                if stopping.wait(2.0):
                    self.say("stopped before the first release")
                    return False
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)
        return True

    def _released(self) -> list[str]:
        released = self.layout.released()
        if self.only is None:
            return released
        for assignment in self.only:
            if assignment not in released and assignment not in self.ignored:
                self.ignored.add(assignment)
                self.say(f"{printable(assignment, 120)}: not released yet (no {self.layout.outbound / assignment}); "
                         "served once nbgrader release_assignment has released it")
        return [a for a in released if a in self.only]

    def _servable(self, assignment: str) -> bool:
        """The kit has a course package for it; else said once on the console."""
        from ..course import CourseError, load

        try:
            load(assignment)
            return True
        except (CourseError, ModuleNotFoundError) as exc:
            if assignment not in self.ignored:
                self.ignored.add(assignment)
                self.say(f"{printable(assignment, 120)}: released, but not served: the kit has no course for it "
                         f"({printable(exc, 160)}); grade it with nbgrader autograde")
            return False

    def _released_now(self, name: str) -> None:
        """From the watcher's thread: something changed in the exchange's outbound folder."""
        self.events.put((RELEASED, name))

    def _open_lane(self, assignment: str, announce: bool = True) -> Lane | None:
        if assignment in self.lanes:
            return self.lanes[assignment]
        if assignment in self.ignored or (self.only is not None and assignment not in self.only):
            return None
        if assignment not in self.layout.released() or not self._servable(assignment):
            return None
        lane = Lane(self.course_dir, assignment, self.pool, self.in_flight, lambda: self.events.put(WAKE), self.policy)
        self.lanes[assignment] = lane
        waiting = 0
        for student, record in lane.exchange.latest().items():
            if not plain_name(student):
                self._refuse_name(record["filename"], student)
            elif not lane.exchange.released(record, lane.notebooks):
                self.todo[(assignment, student)] = None
                waiting += 1
        self._refused_by_collect(lane)
        if announce:
            self.say(f"serving {printable(assignment, 120)} too (released while serving); {waiting} submission(s) waiting")
        return lane

    # --- the loop ------------------------------------------------------------------------------

    def _busy(self) -> set[tuple]:
        busy = set(self.releasing)
        for assignment, lane in self.lanes.items():
            busy |= {(assignment, student) for student in lane.grading.in_flight}
        return busy

    def _loop(self, stopping: threading.Event) -> None:
        while not stopping.is_set():
            # wait for an event (a submission's entry changed, an observation or a feedback page
            # is done, a release, a stop) or a student's next slot, unless a submission can be started now
            self._take_events(self._wait())
            if stopping.is_set():
                break
            now = time.time()
            for key, when in list(self.deferred.items()):
                if when <= now:
                    del self.deferred[key]
                    self.todo[key] = None
            busy = self._busy()
            for key in list(self.todo):
                if key in busy:
                    continue              # looked at again once the submission in flight is out
                del self.todo[key]
                self._start(key, now)
            for assignment, lane in self.lanes.items():
                t = time.monotonic()
                finished = lane.grading.advance()
                if finished:
                    trace("save", t)
                self._pages(lane)
                for done in finished:
                    key = (assignment, done.student)
                    self.releasing[key] = (done, self.pages.pop(key, []), time.monotonic())
            for key, (done, futures, since) in list(self.releasing.items()):
                if not all(f.done() for f in futures):
                    continue
                if key not in self.summaries:   # nbgrader's pages written: the kit's summary page, beside them
                    self.summaries[key] = self.feedback.summary(*key, self.masked.pop(key, set()), HIDDEN_BEFORE_DEADLINE)
                    self.summaries[key].add_done_callback(lambda _f: self.events.put(WAKE))
                if self.summaries[key].done():
                    del self.releasing[key]
                    trace("feedback", since)
                    self._release(self.lanes[key[0]], done, futures, self.summaries.pop(key))

    def _start(self, key: tuple, now: float) -> None:
        """Collect the student's latest submission and send it to grading, unless the policy defers it."""
        assignment, student = key
        lane = self.lanes[assignment]
        t = time.monotonic()
        record = lane.exchange.latest(student).get(student)
        self._refused_by_collect(lane)
        if record is None or not lane.exchange.ready(record) or lane.exchange.released(record, lane.notebooks):
            return
        if self._later(lane, student, now):
            return
        if TRACE:
            print(f"trace start {assignment}/{student} {record['filename']}", file=sys.stderr, flush=True)
        record = lane.exchange.collect(student)
        self._refused_by_collect(lane)
        t = trace("collect", t)
        # collect looks again: the entry looked at may have been refused meanwhile (a link added after
        # the first look) and an earlier one, already graded, picked instead
        if record is not None and not lane.exchange.released(record, lane.notebooks):
            lane.grading.start(student, record)
            trace("sanitize", t)
            self._pages(lane)

    def _wait(self) -> float | None:
        """How long to wait for an event: 0 when a submission can be started now, until the
        earliest deferred student's slot, or for ever."""
        if not self.todo.keys() <= self._busy():
            return 0.0
        if self.deferred:
            return max(0.0, min(self.deferred.values()) - time.time())
        return None

    def _later(self, lane: Lane, student: str, now: float) -> bool:
        """The policy's limit of feedback per hour: True (and the student deferred) when reached."""
        policy, key = lane.policy, (lane.assignment, student)
        limit = policy.feedback_per_hour
        slot = self.releases.next_slot(lane.assignment, student, limit, policy.limit_window_seconds, now) \
            if limit > 0 else None
        if slot is None:
            return False
        if key not in self.deferred:
            self.say(f"{printable(student, 120)}: feedback on {limit} submission(s) of {lane.assignment} in the last "
                     f"{policy.limit_window_seconds / 60:g} minutes, the limit; the latest submission is graded at "
                     f"{time.strftime('%H:%M:%S', time.localtime(slot))}")
        self.deferred[key] = slot
        return True

    def _masked(self, lane: Lane, graded) -> set[str]:
        """The checks whose message the page hides (the policy, before the due date)."""
        if lane.policy.hidden_messages_before_deadline:
            return set()
        due = lane.grading.duedate()
        if due is None or time.time() >= due:
            return set()
        return masked_checks(graded.decisions)

    def _pages(self, lane: Lane) -> None:
        """Each notebook's feedback page, started as soon as the notebook is saved."""
        for graded in lane.grading.take_saved():
            student, notebook, key = graded.student, graded.notebook, (lane.assignment, graded.student)
            if not (self.course_dir / "autograded" / student / lane.assignment / f"{notebook}.ipynb").is_file():
                continue                     # nothing nbgrader can make a page of (scored 0, said in the line)
            if key not in self.pages:
                self.feedback.clear(lane.assignment, student)
                self.pages[key] = []
                self.masked[key] = set()
            masked = self._masked(lane, graded)
            self.masked.setdefault(key, set()).update((notebook, check) for check in masked)
            future = self.feedback.page(lane.assignment, student, notebook, masked, HIDDEN_BEFORE_DEADLINE)
            future.add_done_callback(lambda _f: self.events.put(WAKE))
            self.pages[key].append(future)

    def _take_events(self, timeout: float | None) -> None:
        """Every event waiting; first, wait up to `timeout` seconds (None: for ever) for one."""
        try:
            event = self.events.get(timeout=timeout) if timeout != 0 else self.events.get_nowait()
        except queue.Empty:
            return
        while True:
            if isinstance(event, tuple) and event[0] == RELEASED:
                self._open_lane(event[1])
            elif event not in (STOP, WAKE):
                self._entry_changed(event)
            try:
                event = self.events.get_nowait()
            except queue.Empty:
                return

    def _entry_changed(self, entry: str) -> None:
        parts = entry_parts(entry)
        if parts is None:
            return
        student, assignment = parts
        if not plain_name(student):
            self._refuse_name(entry, student)
            return
        if self._open_lane(assignment) is not None:
            self.todo[(assignment, student)] = None

    # --- refusals ------------------------------------------------------------------------------

    def _refuse_name(self, entry: str, student: str) -> None:
        """A submission whose student id is not a plain name is not collected (nbgrader would name
        folders after it): a French note is released as its feedback, one line on the console."""
        if entry in self.refused:
            return
        reason = (f"l'identifiant d'étudiant « {html.escape(printable(student, 120))} » n'est pas un nom simple "
                  "(lettres et chiffres sans accent, « . », « _ », « - », « @ »). Demande à ton enseignant de "
                  "vérifier ton compte, puis rends à nouveau ton devoir.")
        if self.layout.release_note(entry, refusal_page(reason)):
            self.refused.add(entry)
            self.say(f"refused {printable(entry, 160)}: the student id {printable(student, 120)!r} is not a plain "
                     "name (letters, digits, '.', '_', '-', '@'); not collected; a French note is released as its "
                     "feedback")

    def _refused_by_collect(self, lane: Lane) -> None:
        """The entries nbgrader's collect (the kit's VettedCollect) refused: one line each, and a
        French note as their feedback (fetched only by whoever made the entry: its secret is theirs)."""
        for entry, (student, code, owner) in lane.exchange.refused().items():
            if entry in self.refused:
                continue
            if self.layout.note_released(entry):   # refused, and said so, before this start
                self.refused.add(entry)
                continue
            reason = FRENCH[code] + ". Il n'a pas été corrigé ; rends ton devoir à nouveau depuis ton propre compte."
            self.layout.release_note(entry, refusal_page(reason))
            self.refused.add(entry)
            self.say(f"refused {printable(entry, 160)}: {ENGLISH[code].format(owner=printable(owner, 60))}; "
                     f"not collected, {printable(student, 120)}'s other submissions are unaffected")

    # --- release -------------------------------------------------------------------------------

    def _release(self, lane: Lane, done, futures, summary) -> None:
        student = done.student
        t = time.monotonic()
        try:
            for future in futures:
                future.result()
            if summary.exception() is not None:   # nbgrader's pages still go out
                self.say(f"{printable(student, 120)}: the summary page of {lane.assignment} could not be written "
                         f"({type(summary.exception()).__name__}: {printable(summary.exception(), 120)})")
            lane.exchange.release_feedback(student)
            self.releases.record(lane.assignment, student, time.time(), lane.policy.limit_window_seconds)
            trace("release", t)
        except Exception as exc:  # noqa: BLE001  (one student's failure must not stop the service)
            self.say(f"{printable(student, 120)}: graded, but the feedback could not be released "
                     f"({type(exc).__name__}: {printable(exc, 120)})")
            return
        self.graded_count += 1
        score, total = lane.grading.score(student)
        for after in self.after_release:
            try:
                after(lane.assignment, student, score, total, done.record["timestamp"])
            except Exception as exc:  # noqa: BLE001  (the grade is released; what follows must not stop serve)
                self.say(f"{printable(student, 120)}: graded and released, but {getattr(after, '__qualname__', after)} "
                         f"failed ({type(exc).__name__}: {printable(exc, 120)})")
        failed = [f"{g.notebook}:{d.grade_id}" for g in done.graded for d in g.decisions if not d.passed]
        problems = [f"{s.notebook}: {s.reason}" for s in done.skipped]
        self.say(f"graded {printable(student, 120):<24} {score:g}/{total:g}  {lane.assignment}  "
                 f"{seconds_since(done.record):6.2f} s after submit"
                 f"  submitted {done.record['timestamp']:%Y-%m-%d %H:%M:%S}"
                 + (f"  failed: {' '.join(failed[:6])}{' ...' if len(failed) > 6 else ''}" if failed else "")
                 + (f"  ({printable('; '.join(problems), 120)})" if problems else ""))


def refusal_page(reason: str) -> str:
    return ("<!DOCTYPE html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\"><title>Rendu refusé</title></head>"
            f"<body><h1>Rendu refusé</h1><p>Ce rendu n'a pas été corrigé : {reason}</p></body></html>\n")


def cmd_serve(args) -> int:
    return Service(Path(args.course_dir).resolve(), args.assignments, args.queue, args.jobs).run()
