"""What the instructor decides about feedback on submit, in the course's nbgrader_config.py:

    c.ServicePolicy.feedback_per_hour = 3                      # 0 (default): no limit
    c.ServicePolicy.hidden_messages_before_deadline = False    # default True
    c.ServicePolicy.assignments = {"moyenne_variance": {"feedback_per_hour": 0}}   # one assignment's own

- `feedback_per_hour`: a student gets feedback on at most this many submissions in any hour;
  a submission beyond it waits, and the student's latest submission is graded when the oldest
  feedback of the hour is an hour old (the next slot). The times feedback was released are kept
  in `serve_releases.json` at the course root, so that a restart does not reset the count.
- `hidden_messages_before_deadline = False`: until the assignment's due date (nbgrader's, in the
  gradebook), the feedback page shows, for each failed hidden check, that it failed and not its
  message; the gradebook and autograded/ keep everything. After the due date (or without one)
  messages are shown; `nbgrader generate_feedback` then `release_feedback` after the deadline
  give every student the full pages.
- `assignments`: the same settings for one assignment, over the course's (each assignment's due
  date is its own, in the gradebook).
- `submitter_must_own = True` (default): a submission whose inbound entry is not owned by the Unix
  account it names, or that holds a symbolic link or another account's file, is not collected.
  Set False only where every student submits from one account (the kit's own tests).
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

from dataclasses import dataclass

from traitlets import Bool, Dict, Float, Int, TraitError, validate
from traitlets.config import Configurable

RELEASES_FILE = "serve_releases.json"
HIDDEN_BEFORE_DEADLINE = ("Test caché : échoué. Le détail de ce test sera visible après la date limite "
                          "du devoir ; relis l'énoncé et les tests visibles.")
# A student id serve accepts: what nbgrader's folders and the exchange's entry names can hold safely.
PLAIN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,99}")


class ServicePolicy(Configurable):
    feedback_per_hour = Int(0, help="Feedback on at most this many submissions per student and hour "
                                    "(0: no limit); the others are graded at the next slot.").tag(config=True)
    limit_window_seconds = Float(3600.0, help="The window of feedback_per_hour, in seconds.").tag(config=True)
    hidden_messages_before_deadline = Bool(True, help="Show the hidden checks' messages before the due date "
                                                      "(False: only that they failed).").tag(config=True)
    assignments = Dict(help="Per assignment, settings over the course's: "
                            "{assignment: {'feedback_per_hour': 3, ...}}").tag(config=True)
    submitter_must_own = Bool(True, help="Refuse an inbound entry not owned by the account it names, or holding "
                                         "a symbolic link or another account's file.").tag(config=True)

    @validate("assignments")
    def _known_settings(self, proposal):
        for assignment, settings in proposal["value"].items():
            unknown = set(settings) - set(AssignmentPolicy.__dataclass_fields__)
            if unknown:
                raise TraitError(f"ServicePolicy.assignments[{assignment!r}]: unknown setting(s) {sorted(unknown)}; "
                                 f"known: {sorted(AssignmentPolicy.__dataclass_fields__)}")
        return proposal["value"]

    def of(self, assignment: str) -> "AssignmentPolicy":
        """The settings that apply to one assignment."""
        settings = {name: getattr(self, name) for name in AssignmentPolicy.__dataclass_fields__}
        settings.update(self.assignments.get(assignment, {}))
        return AssignmentPolicy(**settings)


@dataclass(frozen=True)
class AssignmentPolicy:
    feedback_per_hour: int
    limit_window_seconds: float
    hidden_messages_before_deadline: bool


def plain_name(student: str) -> bool:
    return bool(PLAIN_NAME.fullmatch(student)) and ".." not in student


def masked_checks(decisions) -> set[str]:
    """The test cells whose message comes from a hidden check (not the visible test, not a
    notebook that could not be run)."""
    from ..grader.decide import VISIBLE_TEST

    return {d.grade_id for d in decisions if not d.passed and d.code not in (VISIBLE_TEST, "no_output")}


class ReleaseLog:
    """When each student's feedback on each assignment was released (seconds since the epoch), on disk."""

    def __init__(self, course_dir: Path):
        self.path = Path(course_dir) / RELEASES_FILE
        try:
            loaded = json.loads(self.path.read_text(encoding="utf-8"))
            self.times = {str(a): {str(s): [float(t) for t in ts] for s, ts in students.items()}
                          for a, students in loaded.items()}
        except (OSError, ValueError, AttributeError, TypeError):
            self.times = {}

    def next_slot(self, assignment: str, student: str, limit: int, window: float, now: float) -> float | None:
        """None when the student may get feedback now, else the time they may."""
        recent = sorted(t for t in self.times.get(assignment, {}).get(student, []) if now - t < window)
        if limit <= 0 or len(recent) < limit:
            return None
        return recent[len(recent) - limit] + window

    def record(self, assignment: str, student: str, when: float, window: float) -> None:
        students = self.times.setdefault(assignment, {})
        students[student] = [t for t in students.get(student, []) if when - t < window] + [when]
        temporary = self.path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(json.dumps(self.times), encoding="utf-8")
        os.replace(temporary, self.path)
