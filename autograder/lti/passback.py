"""Scores to the platform as feedback is released: what `serve` calls.

    passback = ScorePassback(course_dir)       # reads c.LtiPlatform.* from the course's config
    passback.start()                           # the background sender
    passback.released(assignment, student, score, max_score, submitted_at)   # returns at once
    passback.stop()

`released` only records the score in the outbox (one SQLite transaction); the sender thread posts
it. An unreachable platform, a 5xx or a 429 is retried with back-off (Retry-After honoured); a 4xx
leaves the score refused with the platform's reason, and the others still go. A restart resumes
from the outbox. Without a registration (no c.LtiPlatform.client_id), `released` does nothing.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from . import outbox, store
from .ags import SCOPE_SCORE, AgsClient, PlatformError, Score
from .keys import load_key
from .roster import linked_user
from .settings import AGS_SETTINGS, Registration, registration

log = logging.getLogger("autograder.lti")
WAIT_FOR_LAUNCH_SECONDS = 60.0      # a score for a student who never launched: looked at again this often
# Other processes make entries due too (formgrader's Release Feedback, `lti push`, a student's first
# launch): the sender looks at the outbox at least this often.
OUTBOX_POLL_SECONDS = 5.0
COMMENT_LIMIT = 600                  # as the LMS exports' feedback line


def default_comment(assignment: str, score: float, max_score: float, submitted_at: str) -> str:
    when = datetime.fromisoformat(submitted_at).strftime("%d/%m/%Y à %H:%M UTC")
    return f"{score:g}/{max_score:g} pour {assignment} (rendu du {when}), corrigé automatiquement : le détail est dans ton retour."


@dataclass
class Round:
    """What one pass over the due entries did."""
    posted: list[outbox.Entry] = field(default_factory=list)
    refused: list[outbox.Entry] = field(default_factory=list)
    waiting: list[outbox.Entry] = field(default_factory=list)
    failure: str = ""          # the transient failure that stopped the pass, if any
    wait: float | None = None  # seconds until something is due again (None: nothing pending)


class Sender:
    """Posts the due entries of the outbox; one per thread."""

    def __init__(self, reg: Registration):
        self.reg = reg
        self.client: AgsClient | None = None
        self.failures = 0          # consecutive transient failures: the back-off's exponent

    def _client(self) -> AgsClient:
        if self.client is None:
            self.client = AgsClient(self.reg, load_key(self.reg.key_file))
        return self.client

    def close(self) -> None:
        if self.client is not None:
            self.client.close()

    def backoff(self, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(max(retry_after, 0.0), 3600.0)
        return min(self.reg.retry_max_seconds, self.reg.retry_first_seconds * 2 ** (self.failures - 1))

    def _lineitem(self, db, lineitems_url: str, entry: outbox.Entry) -> str:
        row = db.execute("SELECT lineitem_url FROM lineitems WHERE lineitems_url = ? AND assignment = ?",
                         (lineitems_url, entry.assignment)).fetchone()
        if row is not None:
            return row[0]
        client = self._client()
        url = (client.find_lineitem(lineitems_url, entry.assignment)
               or client.create_lineitem(lineitems_url, entry.assignment, entry.assignment, entry.max_score))
        with store.transaction(db):
            db.execute("INSERT OR REPLACE INTO lineitems VALUES (?, ?, ?)", (lineitems_url, entry.assignment, url))
        return url

    def send_due(self, stopping=lambda: False) -> Round:
        """Post every due entry, until a transient failure (then the rest waits its back-off) or
        `stopping()`; the entries claimed but not tried are left to the next pass."""
        result = Round()
        with store.connect(self.reg.state_file) as db:
            while not result.failure and not stopping():
                due = outbox.claim_due(db)
                if not due:
                    break
                for i, entry in enumerate(due):
                    if stopping():
                        outbox.release(db, due[i:])
                        break
                    try:
                        self._send(db, entry, result)
                    except PlatformError as exc:
                        if not exc.transient:
                            outbox.mark_refused(db, entry, exc.reason)
                            result.refused.append(entry)
                            log.warning("LTI: %s refused %s's score on %s: %s", self.reg.issuer, entry.student_id,
                                        entry.assignment, exc.reason)
                            continue
                        self.failures += 1
                        delay = self.backoff(exc.retry_after)
                        for waiting in due[i:]:
                            outbox.postpone(db, waiting, delay, exc.reason, count_attempt=waiting is entry)
                        result.failure = exc.reason
                        log.warning("LTI: %s; next try in %.0f s", exc.reason, delay)
                        break
            result.wait = _seconds_until(outbox.next_due(db))
        return result

    def _send(self, db, entry: outbox.Entry, result: Round) -> None:
        user = linked_user(db, entry.student_id)
        if user is None or not user.lineitems_url or SCOPE_SCORE not in user.scopes:
            reason = ("waiting for the student's first launch from the platform" if user is None else
                      "the student's launch gave no AGS endpoint with the score scope (enable the tool's "
                      "Assignment and Grade Services in the platform, then the student launches again)")
            outbox.postpone(db, entry, WAIT_FOR_LAUNCH_SECONDS, reason, count_attempt=False)
            result.waiting.append(entry)
            return
        lineitem = self._lineitem(db, user.lineitems_url, entry)
        self._client().post_score(lineitem, Score(user.sub, entry.score, entry.max_score, entry.submitted_at,
                                                  entry.comment))
        self.failures = 0
        outbox.mark_posted(db, entry)
        result.posted.append(entry)
        log.info("LTI: posted %g/%g for %s on %s", entry.score, entry.max_score, entry.student_id, entry.assignment)


def _seconds_until(when: float | None) -> float | None:
    return None if when is None else max(0.0, when - time.time())


class ScorePassback:
    """The outbox of a course and its background sender."""

    def __init__(self, course_dir: str | Path, reg: Registration | None = None):
        self.reg = reg or registration(course_dir)
        self.enabled = not self.reg.missing(*AGS_SETTINGS)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def released(self, assignment: str, student: str, score: float, max_score: float,
                 submitted_at: datetime | str, comment: str | None = None) -> bool:
        """Record the score of a released feedback (at once; the sender posts it). True when queued
        (False: LTI not configured, or this very score of this submission was queued before)."""
        if not self.enabled:
            return False
        when = outbox.submission_time(submitted_at)
        text = (comment or default_comment(assignment, score, max_score, when))[:COMMENT_LIMIT]
        with store.connect(self.reg.state_file) as db:
            queued = outbox.record(db, student, assignment, when, float(score), float(max_score), text)
        if queued:
            self._wake.set()
        return queued

    def start(self) -> "ScorePassback":
        if self.enabled and self._thread is None:
            self._thread = threading.Thread(target=self._run, name="lti-passback", daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        sender = Sender(self.reg)
        try:
            while not self._stop.is_set():
                try:
                    wait = sender.send_due(self._stop.is_set).wait
                except Exception as exc:      # a broken state file or key: said, then tried again later
                    log.error("LTI: the sender failed (%s: %s); next try in 30 s", type(exc).__name__, exc)
                    wait = 30.0
                self._wake.wait(timeout=OUTBOX_POLL_SECONDS if wait is None else min(wait, OUTBOX_POLL_SECONDS))
                self._wake.clear()
        finally:
            sender.close()


def drain(reg: Registration, deadline: float) -> Round:
    """Send what is due now, in this thread; after a transient failure, try again when the back-off
    says, until `deadline` (time.monotonic()). Every pass's posted, refused and waiting entries."""
    sender, total = Sender(reg), Round()
    try:
        while True:
            result = sender.send_due()
            total.posted += result.posted
            total.refused += result.refused
            total.waiting += result.waiting
            total.failure, total.wait = result.failure, result.wait
            if not result.failure or time.monotonic() + (result.wait or 0) > deadline:
                return total
            time.sleep(result.wait or 0)
    finally:
        sender.close()
