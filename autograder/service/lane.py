"""One assignment served: nbgrader's exchange classes for it, its grading pipeline, its policy.

serve keeps one lane per assignment it serves, opened when the assignment is first seen
released (at start, or when it is released while serve runs); every lane shares serve's sandbox
pool (or job queue), its feedback processes and its one gradebook.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from .exchange import CourseExchange
from .grading import Grading
from .policy import AssignmentPolicy, ServicePolicy


class Lane:
    def __init__(self, course_dir: Path, assignment: str, pool, in_flight: int, wake: Callable[[], None],
                 policy: ServicePolicy):
        self.assignment = assignment
        self.exchange = CourseExchange(course_dir, assignment)
        self.grading = Grading(course_dir, assignment, pool, in_flight, wake)
        self.policy: AssignmentPolicy = policy.of(assignment)

    @property
    def notebooks(self) -> set[str]:
        return self.grading.notebooks

    def close(self) -> None:
        self.grading.close(drain=False)
