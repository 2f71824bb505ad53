"""The kit's summary page written again after nbgrader's `generate_feedback`, which deletes
`feedback/<student>/<assignment>/` (with `resume.html`) before writing its own pages: formgrader's
Generate Feedback button runs it. nbgrader_config.py names the hook:

    c.GenerateFeedback.post_convert_hook = "autograder.reports.feedback_hook.write_summary_after_nbgrader"

nbgrader calls it once per student, after that student's pages, with the course root as working
folder; `student` and `assignment` are what the command was given (`*` for every student), so the
student is read from the notebooks' paths (<root>/autograded/<student>/<assignment>/<notebook>).
Nothing is run again: the page is written from the gradebook and the grading records."""
from __future__ import annotations

import logging
from pathlib import Path

from ..course import CourseError, load


def _log() -> logging.Logger:
    """nbgrader's own log when an nbgrader application runs, so that the line is where its lines are."""
    from traitlets.config import Application

    return Application.instance().log if Application.initialized() else logging.getLogger(__name__)


def _submission_of(notebooks: list[str]) -> tuple[str, str] | None:
    """(student, assignment) of the autograded notebooks nbgrader just converted."""
    folders = {Path(nb).resolve().parent for nb in notebooks}
    if len(folders) != 1:
        return None
    folder, = folders
    return folder.parent.name, folder.name


def write_summary_after_nbgrader(assignment: str, student: str, notebooks: list[str], **_) -> None:
    log = _log()
    submission = _submission_of(notebooks)
    if submission is None:
        log.warning("autograder: no summary page written: the notebooks %s are not one student's submission",
                    notebooks)
        return
    student, assignment = submission
    try:
        load(assignment)
    except CourseError:
        log.info("autograder: no summary page for assignment %r: the kit has no course package for it", assignment)
        return
    from .feedback_pages import write_student_summary   # matplotlib: only when a page is written

    try:
        path = write_student_summary(Path.cwd(), assignment, student)
    except Exception as exc:  # noqa: BLE001  (nbgrader's command goes on for the other students)
        log.error("autograder: the summary page of %s could not be written (%s: %s)", student,
                  type(exc).__name__, exc)
        return
    if path is None:
        log.warning("autograder: no summary page for %s: no submission of %r in the gradebook", student, assignment)
    else:
        log.info("autograder: wrote %s", path)
