"""Hidden tests stay hidden in the pages students get: nbgrader's feedback pages show each test
cell's whole source, hidden test regions included (nbgrader issues #917, #1363), and the
traceback of a failed hidden check quotes its lines.

`HideHiddenTests` is an nbgrader preprocessor for `GenerateFeedback` (configured in
nbgrader_config.py; serve's feedback always has it): each hidden region becomes one French line,
and an error in a test cell that had one shows its verdict and message (`AssertionError: ...`)
without the traceback. The instructor's views (formgrader, autograded/) are not touched.
"""
from __future__ import annotations

import re

from nbgrader.preprocessors import ClearHiddenTests
from traitlets import Bool, Unicode

HIDDEN_LINE = "# Tests cachés : leur code n'est montré qu'à l'enseignant ; leur verdict est ci-dessous."
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class HideHiddenTests(ClearHiddenTests):
    enabled = Bool(True).tag(config=True)
    enforce_metadata = Bool(False, help="a page is written whatever the cell's metadata").tag(config=True)
    hidden_line = Unicode(HIDDEN_LINE, help="what stands where a hidden test region was").tag(config=True)

    def _remove_hidden_test_region(self, cell) -> bool:
        if cell.cell_type != "code":
            return False
        kept, in_test, found = [], False, False
        for line in cell.source.split("\n"):
            if self.begin_test_delimeter in line and not in_test:
                in_test = found = True
                kept.append(line[:len(line) - len(line.lstrip())] + self.hidden_line)
            elif self.end_test_delimeter in line and in_test:
                in_test = False
            elif not in_test:
                kept.append(line)
        cell.source = "\n".join(kept)   # an unterminated region: everything after its start stays hidden
        return found

    def preprocess_cell(self, cell, resources, cell_index):
        if self._remove_hidden_test_region(cell):
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    output["traceback"] = [_ANSI.sub("", f"{output.get('ename', 'Error')}: {output.get('evalue', '')}")]
        return cell, resources
