"""nbgrader's submit, leaving the entry readable by its student and the course's graders only.

nbgrader makes an inbound entry's files world-readable (0644) and the entry world-writable (0777,
"hidden from other users by the timestamp"): any account that learns an entry's name can read
another student's work, or write into it. Here files are 0640 and folders 0750, the entry 0770:
the inbound folder's group (nbgrader's release makes it set-group-ID, so the entry takes it: the
instructor's or graders' group) reads and may delete, the student owns, nobody else enters.
"""
from __future__ import annotations

import os

from nbgrader.exchange.default.submit import ExchangeSubmit

FILE_MODE, FOLDER_MODE, ENTRY_MODE = 0o640, 0o750, 0o770


class PrivateSubmit(ExchangeSubmit):
    def set_perms(self, dest, fileperms, dirperms):
        if os.path.commonpath([os.path.abspath(dest), os.path.abspath(self.inbound_path)]) == \
                os.path.abspath(self.inbound_path):
            fileperms, dirperms = FILE_MODE, FOLDER_MODE
        super().set_perms(dest, fileperms, dirperms)

    def copy_files(self):
        super().copy_files()
        os.chmod(os.path.join(self.inbound_path, self.assignment_filename), ENTRY_MODE)
