"""nbgrader's fetch_feedback, bringing the kit's summary page with nbgrader's pages.

nbgrader's release_feedback releases every page of `feedback/<student>/<assignment>/`, the kit's
summary page included, under the hash of the submission's secret and the page's name; nbgrader's
fetch_feedback only looks for the submitted notebooks' names. This one also looks for the summary
page's, so that it lands beside the notebooks' pages in the student's feedback folder.
"""
from __future__ import annotations

import glob
import os

from nbgrader.exchange.default.fetch_feedback import ExchangeFetchFeedback
from nbgrader.utils import notebook_hash

SUMMARY_PAGE = "resume"   # feedback/<student>/<assignment>/resume.html (autograder/reports)


class FetchFeedbackWithSummary(ExchangeFetchFeedback):
    def init_src(self):
        super().init_src()
        assignment = self.coursedir.assignment_id or "*"
        for submission in glob.glob(os.path.join(self.cache_path, f"*+{glob.escape(assignment)}+*")):
            timestamp = os.path.basename(submission).split("+")[2]
            try:
                with open(os.path.join(submission, "submission_secret.txt")) as fh:
                    secret = fh.read()
            except OSError:
                continue
            page = os.path.join(self.outbound_path, f"{notebook_hash(secret=secret, notebook_id=SUMMARY_PAGE)}.html")
            if os.path.exists(page):
                self.feedback_files.append((SUMMARY_PAGE, timestamp, page))
