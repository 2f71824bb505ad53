"""The scores to post, kept in the LTI state file until the platform confirms them.

One row per graded submission: (student, assignment, submission time) is its key, so that the same
graded submission is never queued twice. A row is `pending` (to send, at `next_try`), `posted`
(the platform confirmed it), `refused` (the platform said no, `reason` says why), or `superseded`
(a later submission of the same student and assignment was queued before this one was sent).
A new score for the same key (a manual grade) sends it again; the same score does not.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timezone

from . import store

PENDING, POSTED, REFUSED, SUPERSEDED = "pending", "posted", "refused", "superseded"
LEASE_SECONDS = 120.0


def submission_time(value: datetime | str) -> str:
    """The submission's time as AGS's timestamp (ISO 8601, UTC); nbgrader's naive times are UTC."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class Entry:
    id: int
    student_id: str
    assignment: str
    submitted_at: str
    score: float
    max_score: float
    comment: str
    status: str
    attempts: int
    next_try: float
    reason: str
    done_at: float | None

    @classmethod
    def of(cls, row) -> "Entry":
        return cls(*(row[name] for name in cls.__dataclass_fields__))


def record(db, student_id: str, assignment: str, submitted_at: datetime | str, score: float, max_score: float,
           comment: str, retry_refused: bool = False) -> bool:
    """Queue this score unless the same one is already queued or posted; True when it is new (a new
    entry, or a new score for an entry)."""
    when, now = submission_time(submitted_at), time.time()
    with store.transaction(db):
        row = db.execute("SELECT * FROM outbox WHERE student_id = ? AND assignment = ? AND submitted_at = ?",
                         (student_id, assignment, when)).fetchone()
        if row is None:
            db.execute("INSERT INTO outbox (student_id, assignment, submitted_at, score, max_score, comment, status, "
                       "recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       (student_id, assignment, when, score, max_score, comment, PENDING, now))
            return True
        same = (row["score"], row["max_score"]) == (score, max_score)
        if row["status"] == PENDING:
            if same:
                return False
            db.execute("UPDATE outbox SET score = ?, max_score = ?, comment = ? WHERE id = ?",
                       (score, max_score, comment, row["id"]))
            return True
        if same and not (row["status"] == REFUSED and retry_refused):
            return False
        db.execute("UPDATE outbox SET score = ?, max_score = ?, comment = ?, status = ?, attempts = 0, next_try = 0, "
                   "reason = '', done_at = NULL, recorded_at = ? WHERE id = ?",
                   (score, max_score, comment, PENDING, now, row["id"]))
        return True


def claim_due(db, limit: int = 20) -> list[Entry]:
    """Pending entries whose time has come, leased to this caller for LEASE_SECONDS (another sender,
    `lti push` beside serve, skips them); earlier submissions first. An entry with a later
    submission of the same student and assignment queued or posted is marked superseded instead."""
    now = time.time()
    with store.transaction(db):
        db.execute(f"""UPDATE outbox SET status = '{SUPERSEDED}', done_at = ? WHERE status = '{PENDING}' AND EXISTS (
                           SELECT 1 FROM outbox later WHERE later.student_id = outbox.student_id
                           AND later.assignment = outbox.assignment AND later.submitted_at > outbox.submitted_at
                           AND later.status IN ('{PENDING}', '{POSTED}'))""", (now,))
        rows = db.execute(f"SELECT * FROM outbox WHERE status = '{PENDING}' AND next_try <= ? AND lease_until <= ? "
                          "ORDER BY submitted_at, id LIMIT ?", (now, now, limit)).fetchall()
        db.executemany("UPDATE outbox SET lease_until = ? WHERE id = ?", [(now + LEASE_SECONDS, r["id"]) for r in rows])
    return [Entry.of(r) for r in rows]


def next_due(db) -> float | None:
    row = db.execute(f"SELECT MIN(MAX(next_try, lease_until)) FROM outbox WHERE status = '{PENDING}'").fetchone()
    return row[0]


def mark_posted(db, entry: Entry) -> None:
    _finish(db, entry, POSTED, "")


def mark_refused(db, entry: Entry, reason: str) -> None:
    _finish(db, entry, REFUSED, reason)


def _finish(db, entry: Entry, status: str, reason: str) -> None:
    """Unless the entry was changed meanwhile (a new score for it: it stays pending)."""
    with store.transaction(db):
        db.execute("UPDATE outbox SET status = ?, reason = ?, done_at = ?, lease_until = 0, attempts = attempts + 1 "
                   "WHERE id = ? AND score = ? AND max_score = ? AND status = ?",
                   (status, reason, time.time(), entry.id, entry.score, entry.max_score, PENDING))
        db.execute("UPDATE outbox SET lease_until = 0 WHERE id = ?", (entry.id,))


def release(db, leased: list[Entry]) -> None:
    """Give back entries claimed but not tried (the sender is stopping)."""
    with store.transaction(db):
        db.executemany("UPDATE outbox SET lease_until = 0 WHERE id = ?", [(e.id,) for e in leased])


def postpone(db, entry: Entry, delay: float, reason: str, count_attempt: bool = True) -> None:
    with store.transaction(db):
        db.execute("UPDATE outbox SET next_try = ?, lease_until = 0, reason = ?, attempts = attempts + ? WHERE id = ?",
                   (time.time() + delay, reason, 1 if count_attempt else 0, entry.id))


def entries(db, assignment: str | None = None) -> list[Entry]:
    query, args = "SELECT * FROM outbox", ()
    if assignment:
        query, args = query + " WHERE assignment = ?", (assignment,)
    return [Entry.of(r) for r in db.execute(query + " ORDER BY assignment, student_id, submitted_at", args)]
