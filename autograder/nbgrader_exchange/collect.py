"""nbgrader's collect, refusing what a shared machine makes possible: an entry of the inbound
folder that is not owned by the account it names (`nbgrader submit --student=alice` run by bob),
or that holds a symbolic link (the instructor's account would copy the files it points to: another
student's notebooks, the instructor's own solutions) or another account's file.

nbgrader's `check_owner` (True by default) only warns; here it refuses. Each refused entry is
logged (one line) and kept in `refused`; the student's latest entry that passes is collected
instead. The entry is first copied as it is (links as links) into a folder only the instructor's
account can write, vetted there, and collected from there: a student who swaps a file for a link
between the two looks gains nothing.
"""
from __future__ import annotations

import shutil
import tempfile

from nbgrader.exchange.default.collect import ExchangeCollect

from .vetting import ENGLISH, entry_problem


class VettedCollect(ExchangeCollect):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.refused: dict[str, tuple[str, str, str]] = {}   # entry name: (student it names, code, owner)

    def _path_to_record(self, path):
        record = super()._path_to_record(path)
        problem = entry_problem(path, record["username"], self.check_owner)
        if problem is not None:
            record["problem"] = problem
            self._refuse(record["filename"], record["username"], *problem)
        return record

    def _sort_by_timestamp(self, records):
        """The student's entries that pass first, latest first: nbgrader picks the first."""
        return sorted(records, key=lambda record: ("problem" not in record, record["timestamp"]), reverse=True)

    def init_src(self):
        super().init_src()
        self.src_records = [record for record in self.src_records if "problem" not in record]

    def do_copy(self, src, dest, log=None):
        with tempfile.TemporaryDirectory(prefix="kit-collect-") as private:
            snapshot = f"{private}/entry"
            shutil.copytree(src, snapshot, symlinks=True)   # a pipe raises; links stay links
            problem = entry_problem(snapshot, "", must_own=False)
            if problem is not None:
                name = src.rstrip("/").rsplit("/", 1)[-1]
                self._refuse(name, name.split("+", 1)[0], *problem)
                raise RefusedEntry(name)
            super().do_copy(snapshot, dest)

    def copy_files(self):
        """nbgrader's, one refused entry not stopping the others."""
        records = self.src_records
        for record in records:
            self.src_records = [record]
            try:
                super().copy_files()
            except RefusedEntry:
                continue
        self.src_records = records

    def _refuse(self, entry: str, student: str, code: str, owner: str) -> None:
        if entry not in self.refused:
            self.refused[entry] = (student, code, owner)
            self.log.warning("Not collected: %s: %s", entry, ENGLISH[code].format(owner=owner))


class RefusedEntry(Exception):
    pass
