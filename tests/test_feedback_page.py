"""serve's feedback pages are nbgrader's: nbconvert's HTML exporter ends with the kit's
`alt_text_added` instead of its BeautifulSoup pass, and the page, once parsed as that pass parses
it, is byte for byte what `nbgrader generate_feedback` writes."""
from __future__ import annotations

import io
import shutil

import pytest
from bs4 import BeautifulSoup

from autograder.courses.descente_gradient.course import ASSIGNMENT
from autograder.courses.descente_gradient.sample_class import write_class
from autograder.grader.autograde import autograde_class
from autograder.grader.nbgrader_internals import (IMG_ALT, alt_text_added, feedback_html_exporter_class,
                                                  remembered_highlight_class)
from autograder.nbgrader_cli import ROOT, nbgrader
from autograder.service.feedback import FeedbackPool
from conftest import make_course


def nbconvert_pass(html: str) -> str:
    """nbconvert's own BeautifulSoup pass, as the exporter runs it when the fast one declines."""
    return feedback_html_exporter_class()._soup_pass(None, html)


def parsed(html: str) -> str:
    return str(BeautifulSoup(html, features="html.parser"))


PAGES = {
    "no image": "<html><body><p>rien</p></body></html>",
    "plot without alt": '<div class="output_png"><img src="data:image/png;base64,iVBORw0KGgo="\n></div>',
    "alt already there": '<p><img src="a.png" alt="une courbe"><img alt="" src="b.png"></p>',
    "self-closing, upper case": '<p><IMG SRC="a.png" /><img src=b.png/></p>',
    "quoted > and alt= inside a value": '<img title="x > y alt=z" src="c.png"><img data-alt="1" src="d.png">',
    "alt in upper case": '<img ALT="déjà" src="e.png">',
    "several lines of attributes": '<img\n  src="f.png"\n  width="10"\n>',
    "img inside a script": '<script>var s = "<img src=x>";</script><img src="g.png">',
    "img after a closed style": '<style>p {}</style><img src="h.png">',
}


@pytest.mark.parametrize("name", sorted(PAGES))
def test_alt_text_added_gives_nbconverts_page_once_parsed(name):
    html = PAGES[name]
    fast = alt_text_added(html)
    if name == "img inside a script":
        assert fast is None, "an <img inside raw text must be left to nbconvert's own pass"
        return
    assert fast is not None, f"{name}: declined"
    assert parsed(fast) == nbconvert_pass(html), f"{name}:\n{fast}\n!=\n{nbconvert_pass(html)}"


def test_lab_template_cells_are_left_to_nbconverts_pass():
    html = '<div class="jp-Notebook"><div class="jp-Cell-inputWrapper"></div></div>'
    assert alt_text_added(html) is None


def test_remembered_highlight_gives_what_nbconvert_highlights_for_each_cell():
    from nbconvert.filters.highlight import Highlight2HTML

    cells = [("w = w - lr * grad\n", None, {}), ("%%time\nfor i in range(3):\n    print(i)\n", None, {}),
             ("SELECT 1;\n", None, {"magics_language": "sql"}), ("SELECT 1;\n", None, {}),
             ("x = 1\n", "python", {}), ("", None, {}), ("w = w - lr * grad\n", None, {"nbgrader": {"score": 1}})]
    for lexer in ("ipython3", "python"):
        remembered, theirs = remembered_highlight_class()(pygments_lexer=lexer), Highlight2HTML(pygments_lexer=lexer)
        for _ in range(2):   # made, then remembered
            for source, language, metadata in cells:
                assert remembered(source, language, metadata) == theirs(source, language, metadata), \
                    (lexer, source, language, metadata)


def test_every_page_of_the_sample_class_is_what_nbgrader_generate_feedback_writes(tmp_path):
    root = make_course(tmp_path / "course")
    write_class(ROOT, root)
    report = autograde_class(root, ASSIGNMENT, jobs=2, stream=io.StringIO())
    graded = sorted({(g.student, g.notebook) for g in report.graded
                     if (root / "autograded" / g.student / ASSIGNMENT / f"{g.notebook}.ipynb").is_file()})
    assert len(graded) >= 40, graded

    pool = FeedbackPool(root, [ASSIGNMENT], 2)
    try:
        for student in {s for s, _ in graded}:
            pool.clear(ASSIGNMENT, student)
        ours = {(s, n): pool.page(ASSIGNMENT, s, n) for s, n in graded}
        ours = {key: open(future.result(timeout=300), encoding="utf-8").read() for key, future in ours.items()}
    finally:
        pool.close()
    shutil.rmtree(root / "feedback")

    nbgrader("generate_feedback", ASSIGNMENT, "--force", root=root)
    images = 0
    for (student, notebook), page in ours.items():
        theirs = (root / "feedback" / student / ASSIGNMENT / f"{notebook}.html").read_text(encoding="utf-8")
        assert parsed(page) == theirs, f"{student}/{notebook}: the page differs from nbgrader's once parsed"
        images += page.count(f'alt="{IMG_ALT}"')
    assert images >= 10, f"the sample class's plots should exercise the alternative text ({images} images)"
