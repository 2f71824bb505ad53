"""Hidden tests stay hidden: no feedback page a student gets shows the source of a hidden test
region (nbgrader's own pages do, nbgrader #917 and #1363), not even in a failed check's traceback;
the check's verdict and French message are there, with a French line where the hidden code was.
The instructor's autograded notebooks keep everything.

Pages made by the real `nbgrader generate_feedback` (what formgrader's Generate Feedback runs)
after the real `nbgrader autograde`, whose failing hidden checks raise in the kernel with a
traceback that quotes the hidden lines."""
from __future__ import annotations

import html
import json
import re
import shutil

from autograder.courses.descente_gradient.checks.feedback import feedback
from autograder.feedback import wrapped
from autograder.hidden_tests import HIDDEN_LINE
from autograder.nbgrader_cli import nbgrader
from conftest import ASSIGNMENT
from service_support import error_in_page

HIDDEN_MARKS = ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "verifier(", "autograder.nbgrader_cell")


def _text(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def _test_cells(notebook: dict) -> list[dict]:
    return [c for c in notebook["cells"] if c["metadata"].get("nbgrader", {}).get("grade")
            and c["cell_type"] == "code"]


def test_feedback_pages_show_no_hidden_test_source(nbgrader_graded_class, tmp_path):
    graded, _ = nbgrader_graded_class
    root = tmp_path / "course"
    shutil.copytree(graded, root, ignore=shutil.ignore_patterns("feedback"))
    autograded = sorted((root / "autograded").glob(f"*/{ASSIGNMENT}/*.ipynb"))
    hidden_in_autograded = sum("BEGIN HIDDEN TESTS" in "".join(c["source"]) for p in autograded
                               for c in _test_cells(json.loads(p.read_text(encoding="utf-8"))))
    assert hidden_in_autograded >= 40, "the instructor's autograded notebooks keep their hidden tests"
    quoting = [p for p in autograded if any("verifier(" in line for c in json.loads(p.read_text(encoding="utf-8"))["cells"]
                                            for o in c.get("outputs", []) for line in o.get("traceback", []))]
    assert quoting, "nbgrader's kernels quote the hidden lines in the tracebacks of failed checks"

    nbgrader("generate_feedback", ASSIGNMENT, "--force", root=root)
    every_page = sorted((root / "feedback").glob(f"*/{ASSIGNMENT}/*.html"))
    pages = [p for p in every_page if p.stem != "resume"]   # nbgrader's; resume.html is the kit's summary
    assert len(pages) == len(autograded)
    for summary in set(every_page) - set(pages):
        shown = [mark for mark in HIDDEN_MARKS if mark in _text(summary.read_text(encoding="utf-8"))]
        assert not shown, f"{summary.relative_to(root)} shows hidden test source: {shown}"
    for page in pages:
        text = _text(page.read_text(encoding="utf-8"))
        shown = [mark for mark in HIDDEN_MARKS if mark in text]
        assert not shown, f"{page.relative_to(root)} shows hidden test source: {shown}"
        test_cells = _test_cells(json.loads((root / "autograded" / page.relative_to(root / "feedback"))
                                            .with_suffix(".ipynb").read_text(encoding="utf-8")))
        assert text.count(HIDDEN_LINE) == len(test_cells), f"{page.name}: one French line per hidden region"

    chloe = (root / "feedback" / "chloe_gradient_somme" / ASSIGNMENT / "etape1_numpy.html").read_text(encoding="utf-8")
    assert error_in_page(chloe, "test_gradient") == "AssertionError: " + wrapped(feedback("gradient_sum", n=4)), \
        "the failed hidden check shows its verdict and French message, without its traceback"
    for path in quoting:   # the instructor's view is untouched by the pages
        assert any("verifier(" in line for c in json.loads(path.read_text(encoding="utf-8"))["cells"]
                   for o in c.get("outputs", []) for line in o.get("traceback", []))
