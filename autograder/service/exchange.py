"""nbgrader's filesystem exchange, as the instructor's side of nbgrader uses it, in this process.

Collecting and releasing feedback are nbgrader's own exchange classes, in the kit's subclasses
(autograder/nbgrader_exchange/: `VettedCollect`, `PrivateReleaseFeedback`), run one student at a
time: the submission `nbgrader collect` would pick (the latest, or the latest
before the due date with `before_duedate`), copied into submitted/ when newer, and the feedback
copied to `exchange/<course>/feedback/<hash>.html` under the hash `nbgrader fetch_feedback`
looks for.
"""
from __future__ import annotations

import glob
import logging
import os
from datetime import datetime, timezone
from pathlib import Path

from ..nbgrader_exchange.acl import readable_by
from ..nbgrader_exchange.vetting import read_small_file


class ExchangeLayout:
    """The course's folders in nbgrader's exchange, whatever the assignment."""

    def __init__(self, settings):
        self.course_id = settings.course_id
        self.root = Path(settings.exchange_root)
        self.course = self.root / self.course_id
        self.inbound, self.outbound, self.feedback = (self.course / name for name in ("inbound", "outbound", "feedback"))

    def problem(self) -> str | None:
        """Why the course cannot be served, or None."""
        if not self.course_id:
            return "no course id (c.CourseDirectory.course_id in nbgrader_config.py)"
        return None

    def released(self) -> list[str]:
        """The assignments nbgrader's release_assignment has put in the exchange."""
        try:
            return sorted(p.name for p in self.outbound.iterdir() if p.is_dir() and not p.is_symlink())
        except OSError:
            return []

    def secure(self) -> list[str]:
        """The exchange folders' modes as nbgrader's documentation sets them, and the sticky bit on
        inbound (no student may rename or delete another's entry): each one changed by hand is
        put back, one line each. serve's account owns them (it released the assignments)."""
        from ..deployment.modes import repair_course_folders

        return repair_course_folders(self.course)

    def note_released(self, entry: str) -> bool:
        """A note is already out for every notebook of the entry (a refusal said at an earlier start)."""
        folder = self.inbound / entry
        pages = feedback_pages(self.feedback, folder, entry_notebooks(folder))
        return bool(pages) and all(page.is_file() for page in pages)

    def release_note(self, entry: str, page: str) -> bool:
        """`page` released as the feedback of every notebook of a complete inbound entry, under the
        names `fetch_feedback` looks for, without collecting it (nbgrader's folders are never
        named after it), readable by the account that made the entry and the graders only.
        False while the entry is incomplete (no secret yet)."""
        folder = self.inbound / entry
        try:
            maker = os.lstat(folder).st_uid
        except OSError:
            return False
        targets = feedback_pages(self.feedback, folder, entry_notebooks(folder))
        if targets is None:
            return False
        self.feedback.mkdir(parents=True, exist_ok=True)
        for target in targets:   # no notebook: nothing fetch_feedback could look for
            temporary = self.feedback / f".{target.name}.tmp"
            temporary.write_text(page, encoding="utf-8")
            readable_by(temporary, maker)
            temporary.replace(target)
        return True


def feedback_pages(feedback: Path, entry: Path, names: list[str]) -> list[Path] | None:
    """Where `fetch_feedback` looks for the page of each of `names` of an inbound entry: the hash
    of the entry's secret and the notebook's name, in the exchange's feedback folder; None while
    the entry has no secret (incomplete), the secret read without following a link."""
    from nbgrader.utils import notebook_hash

    secret = read_small_file(entry / "submission_secret.txt") if entry.is_dir() and not entry.is_symlink() else None
    if not secret or not secret.strip():
        return None
    return [feedback / f"{notebook_hash(secret=secret, notebook_id=name)}.html" for name in names]


def entry_parts(entry: str) -> tuple[str, str] | None:
    """(student, assignment) of an inbound entry `student+assignment+timestamp+random`."""
    parts = entry.rsplit("+", 3)
    if len(parts) == 4 and parts[0] and parts[1]:
        return parts[0], parts[1]
    if len(parts) == 3 and parts[0] and parts[1]:   # add_random_string = False
        return parts[0], parts[1]
    return None


def entry_notebooks(folder: Path) -> list[str]:
    """The notebook names (stems) of an inbound entry."""
    return sorted(Path(p).stem for p in glob.glob(glob.escape(str(folder)) + "/*.ipynb"))


class CourseExchange:
    """One assignment's side of the exchange, through nbgrader's exchange classes: the kit's
    VettedCollect (nbgrader's collect, refusing entries not owned by the student they name or
    holding links) and PrivateReleaseFeedback (nbgrader's, pages readable by their student only)."""

    def __init__(self, course_dir: Path, assignment: str):
        from nbgrader.apps import CollectApp
        from nbgrader.auth import Authenticator

        app = CollectApp()
        app.initialize([assignment, "--update", f"--CourseDirectory.root={course_dir}"])
        app.log_level = logging.ERROR   # nbgrader's "Collecting submission" lines, its refusals: serve prints its own
        app.coursedir.assignment_id = assignment
        app.authenticator = Authenticator(parent=app)   # what the app's start() makes, without running it
        self.app, self.assignment = app, assignment
        self.course_id = app.coursedir.course_id
        self._refused: dict = {}
        probe = self._collect("*")
        self.root = Path(probe.root)
        self.inbound = self.root / self.course_id / "inbound"
        self.feedback = self.root / self.course_id / "feedback"

    def _collect(self, student: str):
        from ..nbgrader_exchange import VettedCollect

        self.app.coursedir.student_id = student
        collect = VettedCollect(coursedir=self.app.coursedir, authenticator=self.app.authenticator, parent=self.app)
        collect.refused = self._refused
        return collect

    def refused(self) -> dict[str, tuple[str, str, str]]:
        """{entry: (student it names, code, owner)} of every entry collect has refused so far."""
        return self._refused

    def latest(self, student: str = "*") -> dict[str, dict]:
        """{student: the inbound record `nbgrader collect` would pick}, from nbgrader's own init_src."""
        collect = self._collect(student)
        try:
            collect.init_src()
        except Exception:  # noqa: BLE001  (nbgrader's fail(): no inbound, unreadable)
            return {}
        return {rec["username"]: rec for rec in collect.src_records}

    def ready(self, record: dict) -> bool:
        """`nbgrader submit` has finished writing this entry: it writes timestamp.txt, then the
        submission's secret, after copying the notebooks."""
        folder = self.inbound / record["filename"]
        secret = read_small_file(folder / "submission_secret.txt")
        return bool(secret and secret.strip()) and (folder / "timestamp.txt").is_file()

    def notebooks(self, record: dict, assignment_notebooks: set[str]) -> list[str]:
        return sorted(set(entry_notebooks(self.inbound / record["filename"])) & assignment_notebooks)

    def released(self, record: dict, assignment_notebooks: set[str]) -> bool:
        """Feedback is out for every notebook of that submission (what `fetch_feedback` looks for)."""
        pages = feedback_pages(self.feedback, self.inbound / record["filename"],
                               self.notebooks(record, assignment_notebooks))
        return bool(pages) and all(page.is_file() for page in pages)

    def collect(self, student: str) -> dict | None:
        """nbgrader collect --update for one student: the record it picked (None: nothing ready)."""
        collect = self._collect(student)
        collect.init_src()
        records = [r for r in collect.src_records if r["username"] == student]
        if not records or not self.ready(records[0]):
            return None
        collect.src_records = records
        collect.init_dest()
        collect.copy_files()
        return None if records[0]["filename"] in self._refused else records[0]

    def release_feedback(self, student: str) -> None:
        """nbgrader release_feedback for one student: feedback/<student>/<assignment>/*.html out."""
        from ..nbgrader_exchange import PrivateReleaseFeedback

        self.app.coursedir.student_id = student
        release = PrivateReleaseFeedback(coursedir=self.app.coursedir, authenticator=self.app.authenticator,
                                         parent=self.app)
        release.start()


def submitted_at(record: dict) -> datetime:
    """The submission's time as nbgrader wrote it (UTC)."""
    stamp = record["timestamp"]
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=timezone.utc)


def seconds_since(record: dict) -> float:
    return (datetime.now(timezone.utc) - submitted_at(record)).total_seconds()

