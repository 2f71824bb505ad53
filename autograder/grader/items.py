"""What the grader passes between its phases, free of nbgrader (imported before it starts)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Submitted:
    """One sanitized notebook waiting for its observation."""
    student: str
    assignment: str
    notebook: str                 # notebook id, e.g. etape1_numpy
    path: str                     # the sanitized copy under autograded/
    problem: str | None = None    # French: why the handed-in file was not graded (the release stands in)
    sanitized: dict | None = None  # the sanitized notebook itself, when the sanitize pass handed it on


@dataclass
class Skipped:
    """A notebook (or a whole submission) that could not be graded: zero, and why."""
    student: str
    notebook: str                 # "*" for the whole submission
    reason: str                   # English, for the instructor
