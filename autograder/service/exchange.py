"""nbgrader's filesystem exchange, as the instructor's side of nbgrader uses it, in this process.

Collecting and releasing feedback are nbgrader's own exchange classes (`ExchangeCollect`,
`ExchangeReleaseFeedback`, through the factory that `nbgrader_config.py` configures), run one
student at a time: the submission `nbgrader collect` would pick (the latest, or the latest
before the due date with `before_duedate`), copied into submitted/ when newer, and the feedback
copied to `exchange/<course>/feedback/<hash>.html` under the hash `nbgrader fetch_feedback`
looks for.
"""
from __future__ import annotations

import glob
import logging
from datetime import datetime, timezone
from pathlib import Path


class CourseExchange:
    def __init__(self, course_dir: Path, assignment: str):
        from nbgrader.apps import CollectApp
        from nbgrader.auth import Authenticator
        from nbgrader.exchange import ExchangeFactory

        app = CollectApp()
        app.initialize([assignment, "--update", f"--CourseDirectory.root={course_dir}"])
        app.log_level = logging.WARNING   # nbgrader's "Collecting submission" lines: the service prints its own
        app.coursedir.assignment_id = assignment
        app.authenticator = Authenticator(parent=app)   # what the app's start() makes, without running it
        app.exchange = ExchangeFactory(parent=app)
        self.app, self.assignment = app, assignment
        self.course_id = app.coursedir.course_id
        probe = self._collect("*")
        self.root = Path(probe.root)
        self.inbound = self.root / self.course_id / "inbound"
        self.feedback = self.root / self.course_id / "feedback"

    def _collect(self, student: str):
        self.app.coursedir.student_id = student
        return self.app.exchange.Collect(coursedir=self.app.coursedir, authenticator=self.app.authenticator,
                                         parent=self.app)

    def check(self) -> str | None:
        """Why the exchange cannot be served, or None."""
        if not self.course_id:
            return "no course id (c.CourseDirectory.course_id in nbgrader_config.py)"
        if not self.inbound.is_dir():
            return f"no inbound folder {self.inbound}: run `nbgrader release_assignment {self.assignment}` first"
        return None

    def student_of(self, entry: str) -> str | None:
        """The student of an inbound entry `student+assignment+timestamp+random` of this assignment."""
        parts = entry.rsplit("+", 3)
        if len(parts) == 4 and parts[1] == self.assignment and parts[0]:
            return parts[0]
        if len(parts) == 3 and parts[1] == self.assignment and parts[0]:   # add_random_string = False
            return parts[0]
        return None

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
        try:
            return bool((folder / "submission_secret.txt").read_text().strip()) and (folder / "timestamp.txt").is_file()
        except OSError:
            return False

    def notebooks(self, record: dict, assignment_notebooks: set[str]) -> list[str]:
        names = {Path(p).stem for p in glob.glob(glob.escape(str(self.inbound / record["filename"])) + "/*.ipynb")}
        return sorted(names & assignment_notebooks)

    def released(self, record: dict, assignment_notebooks: set[str]) -> bool:
        """Feedback is out for every notebook of that submission (what `fetch_feedback` looks for)."""
        from nbgrader.utils import notebook_hash

        try:
            secret = (self.inbound / record["filename"] / "submission_secret.txt").read_text()
        except OSError:
            return False
        names = self.notebooks(record, assignment_notebooks)
        return bool(names) and all((self.feedback / f"{notebook_hash(secret=secret, notebook_id=n)}.html").is_file()
                                   for n in names)

    def entry_notebooks(self, entry: str) -> list[str]:
        """The notebook names (stems) of an inbound entry."""
        return sorted(Path(p).stem for p in glob.glob(glob.escape(str(self.inbound / entry)) + "/*.ipynb"))

    def release_note(self, entry: str, page: str) -> bool:
        """`page` released as the feedback of every notebook of a complete inbound entry, under the
        names `fetch_feedback` looks for, without collecting it (nbgrader's folders are never
        named after it). False while the entry is incomplete (no secret yet)."""
        from nbgrader.utils import notebook_hash

        try:
            secret = (self.inbound / entry / "submission_secret.txt").read_text()
        except OSError:
            return False
        if not secret.strip():
            return False
        self.feedback.mkdir(parents=True, exist_ok=True)
        for name in self.entry_notebooks(entry):   # no notebook: nothing fetch_feedback could look for
            target = self.feedback / f"{notebook_hash(secret=secret, notebook_id=name)}.html"
            temporary = self.feedback / f".{target.name}.tmp"
            temporary.write_text(page, encoding="utf-8")
            temporary.chmod(0o644)
            temporary.replace(target)
        return True

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
        return records[0]

    def release_feedback(self, student: str) -> None:
        """nbgrader release_feedback for one student: feedback/<student>/<assignment>/*.html out."""
        self.app.coursedir.student_id = student
        release = self.app.exchange.ReleaseFeedback(coursedir=self.app.coursedir, authenticator=self.app.authenticator,
                                                    parent=self.app)
        release.start()


def submitted_at(record: dict) -> datetime:
    """The submission's time as nbgrader wrote it (UTC)."""
    stamp = record["timestamp"]
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=timezone.utc)


def seconds_since(record: dict) -> float:
    return (datetime.now(timezone.utc) - submitted_at(record)).total_seconds()

