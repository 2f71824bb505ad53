"""The LTI state of a course, one SQLite file (`c.LtiPlatform.state_path`, default
`<course>/lti/lti.sqlite`), written by the hub (launches) and by serve or `lti push` (scores):

- `users`: each student's platform user id (`sub`) and the AGS endpoint of their latest launch;
- `lineitems`: the line item of each assignment in each context, found or created once;
- `outbox`: the scores to post and what became of them (docs/lti.md#the-outbox).

Each change is one transaction (SQLite's rollback journal: no file left beside it that another
account could not open); the file is made readable by its owner only.
"""
from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    student_id TEXT PRIMARY KEY,
    sub TEXT NOT NULL,
    issuer TEXT NOT NULL,
    deployment_id TEXT NOT NULL,
    context_id TEXT NOT NULL,
    lineitems_url TEXT NOT NULL,
    scopes TEXT NOT NULL,
    launched_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS lineitems (
    lineitems_url TEXT NOT NULL,
    assignment TEXT NOT NULL,
    lineitem_url TEXT NOT NULL,
    PRIMARY KEY (lineitems_url, assignment)
);
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY,
    student_id TEXT NOT NULL,
    assignment TEXT NOT NULL,
    submitted_at TEXT NOT NULL,
    score REAL NOT NULL,
    max_score REAL NOT NULL,
    comment TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_try REAL NOT NULL DEFAULT 0,
    lease_until REAL NOT NULL DEFAULT 0,
    reason TEXT NOT NULL DEFAULT '',
    recorded_at REAL NOT NULL,
    done_at REAL,
    UNIQUE (student_id, assignment, submitted_at)
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (status, next_try);
"""


def _create_private(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))


@contextlib.contextmanager
def connect(path: Path):
    """A connection to the state file (made if missing); each `with transaction(db)` is atomic."""
    path = Path(path)
    if not path.exists():
        _create_private(path)
    db = sqlite3.connect(path, timeout=30.0, isolation_level=None)
    db.row_factory = sqlite3.Row
    try:
        db.executescript(SCHEMA)
        yield db
    finally:
        db.close()


@contextlib.contextmanager
def transaction(db: sqlite3.Connection):
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
