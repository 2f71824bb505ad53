"""nbgrader's release_feedback, each released page readable by its student and the graders only.

nbgrader copies each page into the exchange's feedback folder (not listable: 0711) world-readable,
under a name only the submission's secret gives. Here each page is also 0640 with an ACL granting
read to the student's own account, so that knowing the name is not enough. A student id with no
Unix account (every student sharing one account) keeps nbgrader's modes.
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
        pattern = re.escape(os.path.sep).join([
            self.coursedir.format_path(self.coursedir.feedback_directory, "(?P<student_id>.*)",
                                       self.coursedir.assignment_id, escape=True),
            "(?P<notebook_id>.*).html"])
        for page in glob.glob(os.path.join(self.src_path, "*.html")):
            found = re.match(pattern, page)
            secret = read_small_file(os.path.join(os.path.dirname(page), "submission_secret.txt"))
            if found is None or secret is None:
                continue
            released = os.path.join(self.dest_path, f"{notebook_hash(secret=secret, notebook_id=found['notebook_id'])}.html")
            if os.path.isfile(released):
                private_to(released, found["student_id"])
