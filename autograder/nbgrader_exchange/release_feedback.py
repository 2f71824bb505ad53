"""nbgrader's release_feedback, each released page readable by its student and the graders only;
and, for a course registered with an LTI platform, the released students' scores sent to it.

nbgrader copies each page into the exchange's feedback folder (not listable: 0711) world-readable,
under a name only the submission's secret gives. Here each page is also 0640 with an ACL granting
read to the student's own account, so that knowing the name is not enough. A student id with no
Unix account (every student sharing one account) keeps nbgrader's modes.

`LtiReleaseFeedback` (formgrader's Release Feedback button and `nbgrader release_feedback` both go
through `c.ExchangeFactory.release_feedback`) then queues each released student's current score
(manual grades and late penalty included, as `python -m autograder lti push` counts it) in the
course's LTI outbox; `serve`'s sender posts it. A score unchanged since it was posted is not sent
again; an outbox that cannot be written is one warning, never a failed release.
"""
from __future__ import annotations

import glob
import os
import re

from nbgrader.exchange.default.release_feedback import ExchangeReleaseFeedback
from nbgrader.utils import notebook_hash

from .acl import private_to
from .vetting import read_small_file


class PrivateReleaseFeedback(ExchangeReleaseFeedback):
    def copy_files(self):
        super().copy_files()
        for student_id, notebook_id, page in self.released_pages():
            secret = read_small_file(os.path.join(os.path.dirname(page), "submission_secret.txt"))
            if secret is None:
                continue
            released = os.path.join(self.dest_path, f"{notebook_hash(secret=secret, notebook_id=notebook_id)}.html")
            if os.path.isfile(released):
                private_to(released, student_id)

    def released_pages(self):
        """(student id, notebook id, page) of each feedback page this release copies, as nbgrader matches them."""
        pattern = re.escape(os.path.sep).join([
            self.coursedir.format_path(self.coursedir.feedback_directory, "(?P<student_id>.*)",
                                       self.coursedir.assignment_id, escape=True),
            "(?P<notebook_id>.*).html"])
        excluded = set(filter(None, (self.coursedir.student_id_exclude or "").split(",")))
        for page in glob.glob(os.path.join(self.src_path, "*.html")):
            found = re.match(pattern, page)
            if found is not None and found["student_id"] not in excluded:
                yield found["student_id"], found["notebook_id"], page


class LtiReleaseFeedback(PrivateReleaseFeedback):
    def copy_files(self):
        super().copy_files()
        students = {student for student, _, _ in self.released_pages()}
        if not students:
            return
        try:
            from ..lti.push import queue_gradebook
            from ..lti.settings import AGS_SETTINGS, registration

            reg = registration(self.coursedir.root)
            if reg.missing(*AGS_SETTINGS):
                return
            queued = queue_gradebook(reg, self.coursedir.assignment_id, students=students)
        except Exception as exc:  # noqa: BLE001  (the feedback is released; `lti push` sends the scores later)
            self.log.warning("LTI: the released scores could not be queued for the platform (%s: %s); "
                             "run `python -m autograder lti push %s`", type(exc).__name__, str(exc)[:200],
                             self.coursedir.assignment_id)
            return
        for result in queued:
            self.log.info("LTI: %d score(s) of %s queued for the platform (%s), %d unchanged",
                          len(result.queued), result.assignment, ", ".join(result.queued) or "none", result.unchanged)
