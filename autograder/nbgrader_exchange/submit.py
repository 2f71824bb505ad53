"""nbgrader's submit, leaving the entry readable by its student and the course's graders only.

nbgrader makes an inbound entry's files world-readable (0644) and the entry world-writable (0777,
"hidden from other users by the timestamp"): any account that learns an entry's name can read
another student's work, or write into it. Here the entry is the student's (files 0640, folders
0750), and the inbound folder's group (the instructor's or graders' group: nbgrader's release makes
inbound set-group-ID for it) may read everything and delete the entry, by ACL: nbgrader's copy
resets the entry's set-group-ID bit before it writes the secret, so file groups cannot be relied on.
Nobody else enters.
"""
from __future__ import annotations

import os

from nbgrader.exchange.default.submit import ExchangeSubmit

from .acl import tree_for_group

FILE_MODE, FOLDER_MODE = 0o640, 0o750


class PrivateSubmit(ExchangeSubmit):
    def copy_files(self):
        super().copy_files()
        entry = os.path.join(self.inbound_path, self.assignment_filename)
        tree_for_group(entry, os.stat(self.inbound_path).st_gid, FILE_MODE, FOLDER_MODE)
