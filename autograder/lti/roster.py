"""What a good launch records: the student's platform user id and AGS endpoint in the LTI state
(first: the scores need it), then the student in nbgrader's student table (through nbgrader's
Gradebook API, at nbgrader's db_url)."""
from __future__ import annotations

import json
import time
from dataclasses import dataclass

from ..nbgrader_settings import gradebook_url
from . import store
from .launch import Launch
from .settings import Registration

# code -> what the instructor reads in the hub's log when a launch could not be recorded
NOT_RECORDED = {
    "state": "the LTI state file could not be written: their scores wait for their next launch",
    "gradebook": "nbgrader's student table could not be written (the LTI state was): their name and e-mail "
                 "wait for their next launch",
    "helper": "the recording process, run as the course folder's owner, did not finish",
}


class NotRecorded(Exception):
    def __init__(self, code: str, detail: str = ""):
        assert code in NOT_RECORDED, code
        self.code, self.detail = code, detail
        super().__init__(f"{NOT_RECORDED[code]}" + (f" ({detail})" if detail else ""))


@dataclass(frozen=True)
class LinkedUser:
    student_id: str
    sub: str
    lineitems_url: str
    scopes: tuple[str, ...]


def record_launch(reg: Registration, launch: Launch) -> None:
    """Raises NotRecorded("state") or NotRecorded("gradebook")."""
    from nbgrader.api import Gradebook

    try:
        with store.connect(reg.state_file) as db, store.transaction(db):
            db.execute("INSERT OR REPLACE INTO users VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       (launch.student_id, launch.sub, launch.issuer, launch.deployment_id, launch.context_id,
                        launch.lineitems_url, json.dumps(list(launch.ags_scopes)), time.time()))
            # Scores that waited for this student's first launch are due now.
            db.execute("UPDATE outbox SET next_try = 0 WHERE student_id = ? AND status = 'pending'", (launch.student_id,))
    except Exception as exc:  # noqa: BLE001  (said as a code; the student still logs in)
        raise NotRecorded("state", f"{type(exc).__name__}: {str(exc)[:200]}") from exc
    names = {"first_name": launch.first_name or None, "last_name": launch.last_name or None,
             "email": launch.email or None}
    if launch.lms_user_id:
        names["lms_user_id"] = launch.lms_user_id
    try:
        with Gradebook(gradebook_url(reg.course_dir)) as gb:
            gb.update_or_create_student(launch.student_id, **{k: v for k, v in names.items() if v is not None})
    except Exception as exc:  # noqa: BLE001
        raise NotRecorded("gradebook", f"{type(exc).__name__}: {str(exc)[:200]}") from exc


def linked_user(db, student_id: str) -> LinkedUser | None:
    row = db.execute("SELECT * FROM users WHERE student_id = ?", (student_id,)).fetchone()
    if row is None:
        return None
    return LinkedUser(row["student_id"], row["sub"], row["lineitems_url"], tuple(json.loads(row["scopes"])))
