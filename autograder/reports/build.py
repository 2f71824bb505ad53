"""Everything the instructor hands out after grading, written from the gradebook and the
autograded notebooks: the students' pages, the class summary, the Gradescope files."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .feedback_pages import write_student_pages
from .gradescope_export import write_gradescope_files
from .outcomes import NotebookOutcome, class_outcomes
from .summary import write_summary


@dataclass(frozen=True)
class Written:
    outcomes: dict[str, list[NotebookOutcome]]
    pages: list[Path]
    summary: Path
    gradescope: list[Path]


def write_reports(course_dir: Path, assignment: str) -> Written:
    """From the gradebook and the grading records only: no notebook is run again."""
    outcomes = class_outcomes(course_dir, assignment)
    return Written(outcomes, write_student_pages(course_dir, assignment, outcomes),
                   write_summary(course_dir, assignment, outcomes), write_gradescope_files(course_dir, outcomes))


def export_gradescope(course_dir: Path, assignment: str) -> list[Path]:
    """Only the Gradescope files: points and messages."""
    return write_gradescope_files(course_dir, class_outcomes(course_dir, assignment))
