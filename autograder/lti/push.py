"""`lti push`: nbgrader's current scores (manual grades and late penalties included, as the LMS
exports count them), with the exports' one-line French feedback, queued in the outbox."""
from __future__ import annotations

from dataclasses import dataclass

from . import outbox, store
from .settings import Registration


@dataclass
class Queued:
    assignment: str
    queued: list[str]       # students whose score is to send
    unchanged: int          # scores already queued or posted as they are


def queue_gradebook(reg: Registration, assignment: str | None = None, retry_refused: bool = False,
                    students: set[str] | None = None) -> list[Queued]:
    """Queue the current score of every submission of `assignment` (default: every assignment), or of
    `students`' only."""
    from nbgrader.api import Gradebook

    from ..exports.lms import read_class
    from ..nbgrader_settings import gradebook_url

    with Gradebook(gradebook_url(reg.course_dir)) as gb:
        names = [assignment] if assignment else sorted(a.name for a in gb.assignments)
        times = {name: {s.student.id: s.timestamp for s in gb.assignment_submissions(name)} for name in names}
    done = []
    with store.connect(reg.state_file) as db:
        for name in names:
            grades, result = read_class(reg.course_dir, name), Queued(name, [], 0)
            for student, g in sorted(grades.students.items()):
                if not g.submitted or times[name].get(student) is None or (students is not None and student not in students):
                    continue
                if outbox.record(db, student, name, times[name][student], g.total, grades.max_total, g.feedback,
                                 retry_refused=retry_refused):
                    result.queued.append(student)
                else:
                    result.unchanged += 1
            done.append(result)
    return done
