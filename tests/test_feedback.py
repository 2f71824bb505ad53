"""The feedback pages, the class summary and the Gradescope files, written by
`python -m autograder report` from the sample class graded by the real `nbgrader autograde`
(the shared session fixture), held to the gradebook and to what each sample student did."""
from __future__ import annotations

import base64
import json
import re
from collections import Counter
from html import unescape

import pytest

from autograder.courses.descente_gradient import reference
from autograder.cli import main
from autograder.course import load
from autograder.reports import htmlkit
from autograder.courses.descente_gradient.course import ASSIGNMENT, STEPS
from autograder.reports.build import write_reports
from autograder.courses.descente_gradient.sample_class import EXPECTED_CAUSES, STUDENTS

NOTEBOOK_STEP = {s.notebook: s.name for s in STEPS.values()}


@pytest.fixture(scope="module")
def written(nbgrader_graded_class):
    """What `python -m autograder report` writes (the same function), with the outcomes it read."""
    root, _ = nbgrader_graded_class
    return write_reports(root, ASSIGNMENT)


@pytest.fixture(scope="module")
def reported(nbgrader_graded_class, written):
    """(course root, gradebook scores) once the reports are written."""
    return nbgrader_graded_class


def test_reports_read_the_record_and_never_run_student_code_again(nbgrader_graded_class, monkeypatch, tmp_path):
    """`report` reads the gradebook and the grading records: no sandbox, no observer, no check."""
    import autograder.courses.descente_gradient.observe
    import autograder.feedback
    import autograder.sandbox.pool

    def forbidden(*args, **kwargs):
        raise AssertionError("the reports ran student code or a check again")

    monkeypatch.setattr(autograder.sandbox.pool.SandboxPool, "__init__", forbidden)
    monkeypatch.setattr(autograder.courses.descente_gradient.observe, "observe", forbidden)
    monkeypatch.setattr(autograder.feedback, "run_check", forbidden)
    root, _ = nbgrader_graded_class
    outcomes = write_reports(root, ASSIGNMENT).outcomes
    chloe = next(o for o in outcomes["chloe_gradient_somme"] if o.step.name == "etape1")
    assert {c.check: c.cause for c in chloe.checks if not c.passed} == {
        "test_gradient": "gradient_sum", "test_entrainement": "gradient_sum"}


def test_report_needs_an_autograded_course(tmp_path, capsys):
    assert main(["--course-dir", str(tmp_path), "report"]) == 2
    assert "no gradebook" in capsys.readouterr().err


def _page(root, student: str) -> str:
    return (root / "feedback" / student / ASSIGNMENT / "resume.html").read_text(encoding="utf-8")


def _section(page: str, step: str) -> str:
    """The part of a student page about one step (from its heading to the next one)."""
    start = page.index(f'<h2 id="{step}">')
    end = page.find("<h2", start + 1)
    return page[start:end if end > 0 else len(page)]


def _row(section: str, check: str) -> str:
    """The plain text of a check's row in a step's table."""
    row = re.search(rf'<tr data-key="{check}">(.*?)</tr>', section, re.S)
    assert row, f"no row for {check}"
    return unescape(re.sub(r"<[^>]+>", " ", row.group(1)))


def _total(scores: dict, notebook: str | None = None) -> tuple[float, float]:
    cells = [v for (nb, _), v in scores.items() if notebook in (None, nb)]
    return sum(s for s, _ in cells), sum(m for _, m in cells)


def test_the_gradient_as_a_sum_is_named_with_np_dot_and_scores_zero(reported):
    root, scores = reported
    etape1 = _section(_page(root, "chloe_gradient_somme"), "etape1")
    row = _row(etape1, "test_gradient")
    _, most = scores["chloe_gradient_somme"][("etape1_numpy", "test_gradient")]
    assert f"0 / {most:g}" in row and "échoué" in row
    assert "np.dot" in row and "somme" in row
    assert "réussi" in _row(etape1, "test_avant")


def test_the_right_answer_gets_full_marks_on_its_page(reported):
    root, scores = reported
    page = _page(root, "alice_juste")
    got, most = _total(scores["alice_juste"])
    assert got == most > 0
    assert f"Total : <strong>{got:g} / {most:g} points</strong>" in page
    assert "échoué" not in page and page.count(">réussi<") == len(scores["alice_juste"])


def test_each_page_shows_the_gradebook_points_of_every_check(reported):
    root, scores = reported
    for student, cells in scores.items():
        page = _page(root, student)
        for (notebook, check), (score, most) in cells.items():
            row = _row(_section(page, NOTEBOOK_STEP[notebook]), check)
            assert f"{score:g} / {most:g}" in row, (student, check, row)
            assert ("réussi" in row) == (score >= most), (student, check, row)


def test_each_page_has_two_curves_per_notebook_as_embedded_pngs(reported):
    """The loss and w, each its own figure (side by side on a screen, one under the other on a phone)."""
    root, _ = reported
    for student in ("alice_juste", "chloe_gradient_somme", "nina_non_rendu"):
        images = re.findall(r'src="data:image/png;base64,([^"]+)"', _page(root, student))
        assert len(images) == 2 * len(STEPS), student
        assert all(base64.b64decode(image)[:8] == b"\x89PNG\r\n\x1a\n" for image in images)


def _plain(page_html: str) -> str:
    """What a reader reads of some HTML: its text, without tags."""
    return unescape(re.sub(r"<[^>]+>", "", page_html))


def _shown(sentence: str) -> str:
    """A course's sentence as the page shows it (`code` in backticks becomes a code element)."""
    return _plain(htmlkit.text(sentence))


def test_checks_are_named_by_their_french_titles_under_accented_headings(reported):
    root, _ = reported
    course = load(ASSIGNMENT)
    page = _page(root, "chloe_gradient_somme")
    for step in STEPS.values():
        heading = re.search(rf'<h2 id="{step.name}">(.*?)</h2>', page, re.S)
        assert heading, step.name
        number = step.name.removeprefix("etape")
        assert _plain(heading.group(1)).startswith(f"Étape {number} — "), heading.group(1)
        for check in step.checks:
            row = re.search(rf'<tr data-key="{check}">(.*?)</tr>', _section(page, step.name), re.S).group(1)
            title = course.check_title(step.name, check)
            assert title and _shown(title) in _plain(row), (step.name, check)
    text = _plain(page)
    assert not re.search(r"\btest_\w+", text), "a check is shown to the student by its id"
    assert not re.search(r"\betape\d\b", text) and "descente_gradient" not in text, "an id instead of a title"


def test_what_the_page_says_of_curves_is_true(reported, written):
    """A student without a curve is not told about one; one with a curve is not told it is missing."""
    root, _ = reported
    words = load(ASSIGNMENT).curve_text
    for student, notebooks in written.outcomes.items():
        page = _page(root, student)
        for outcome in notebooks:
            said = _plain(_section(page, outcome.step.name))
            if outcome.history:
                assert _shown(words.both) in said and "Pas de courbe" not in said, (student, outcome.step.name)
            else:
                assert _shown(words.reference_only) in said and _shown(words.missing) in said, \
                    (student, outcome.step.name)
                assert _shown(words.both) not in said, (student, outcome.step.name)
        assert "la courbe montre" not in page
    assert not any(o.history for o in written.outcomes["nina_non_rendu"])
    assert all(o.history for o in written.outcomes["alice_juste"])


def test_the_overview_counts_what_the_tables_show(reported):
    root, scores = reported
    for student, cells in scores.items():
        failed = sum(1 for score, most in cells.values() if score < most)
        overview = unescape(re.search(r'<p class="total">(.*?)</p>', _page(root, student), re.S).group(1))
        if failed == 0:
            assert f"Toutes les vérifications sont réussies ({len(cells)} sur {len(cells)})" in overview, student
        else:
            assert f"{failed} vérification{'s' if failed > 1 else ''} échouée{'s' if failed > 1 else ''} " \
                   f"sur {len(cells)}" in overview, (student, overview)
        assert _page(root, student).count(">échoué<") == failed, student


def test_the_curve_is_the_students_own_descent(written):
    """chloe's gradient is 4 times too large: her curve follows that descent, not the reference."""
    outcomes = written.outcomes
    data = STEPS["etape1"].canonical
    args = (data["X"], data["Y"], data["w"], data["learning_rate"], data["n_iters"])
    right = reference.line_descent(*args)[2]
    summed = reference.line_descent(*args, variant="gradient_sum")[2]
    chloe = outcomes["chloe_gradient_somme"][0].history
    alice = outcomes["alice_juste"][0].history
    assert len(chloe) == len(alice) == data["n_iters"]
    assert chloe[0][0] == pytest.approx(summed[0][0], rel=1e-5) != pytest.approx(right[0][0], rel=1e-2)
    assert [w for w, _ in alice[:10]] == pytest.approx([w for w, _ in right[:10]], rel=1e-5)


def test_every_mistake_of_the_sample_class_is_named(written):
    outcomes = written.outcomes
    for (student, step, check), code in EXPECTED_CAUSES.items():
        notebook = next(o for o in outcomes[student] if o.step.name == step)
        outcome = next(c for c in notebook.checks if c.check == check)
        assert not outcome.passed and outcome.cause == code, (student, step, check, outcome)


def test_the_summary_counts_match_the_gradebook(reported):
    root, scores = reported
    summary = (root / "reports" / ASSIGNMENT / "summary.html").read_text(encoding="utf-8")
    text = unescape(re.sub(r"<[^>]+>", " ", summary))
    failing = Counter((NOTEBOOK_STEP[nb], check) for cells in scores.values()
                      for (nb, check), (score, most) in cells.items() if score < most)
    shown = {(step, check): int(n) for step, check, n in
             re.findall(r"<tr><td>(etape\d)</td><td><code>(\w+)</code></td><td>(\d+)</td></tr>", summary)}
    assert shown == dict(failing)
    totals = [_total(cells)[0] for cells in scores.values()]
    most = max(_total(cells)[1] for cells in scores.values())
    assert f"{len(scores)} students graded; mean {sum(totals) / len(totals):.1f} / {most:g}" in text
    full = sum(1 for cells in scores.values() if _total(cells)[0] == _total(cells)[1])
    assert f"{full} with full marks" in text
    assert summary.count("data:image/png;base64,") == 3  # histogram, failed checks, mistakes
    for student in {s.id for s in STUDENTS}:
        got, most = _total(scores[student])
        assert re.search(rf">{student}</a></td>.*?<strong>{got:g} / {most:g}</strong>", summary), student


def test_the_summary_lists_the_mistakes_with_their_students(reported):
    root, _ = reported
    summary = (root / "reports" / ASSIGNMENT / "summary.html").read_text(encoding="utf-8")
    for (student, _, _), code in EXPECTED_CAUSES.items():
        row = re.search(rf"<td><code>{code}</code></td>(.*?)</tr>", summary, re.S)
        assert row and student in row.group(1), (code, student)


def test_gradescope_files_total_the_gradebook(reported):
    root, scores = reported
    for student, cells in scores.items():
        for step in STEPS.values():
            results = json.loads((root / "reports" / "gradescope" / student / step.notebook / "results.json")
                                 .read_text(encoding="utf-8"))
            got, most = _total(cells, step.notebook)
            assert results["score"] == got
            assert sum(t["max_score"] for t in results["tests"]) == most
            assert len(results["tests"]) == len(step.checks)
            for test in results["tests"]:
                assert test["status"] == ("passed" if test["score"] >= test["max_score"] else "failed")


def test_export_gradescope_alone_writes_the_same_scores(reported, tmp_path):
    root, scores = reported
    gradescope = root / "reports" / "gradescope"
    before = {p: json.loads(p.read_text())["score"] for p in gradescope.rglob("results.json")}
    for path in before:
        path.unlink()
    assert main(["--course-dir", str(root), "export-gradescope"]) == 0
    after = {p: json.loads(p.read_text())["score"] for p in gradescope.rglob("results.json")}
    assert after == before and len(after) == len(scores) * len(STEPS)


def test_links_to_nbgrader_pages_only_where_nbgrader_wrote_them(reported):
    """The sample class is autograded but nbgrader's generate_feedback has not run: no link to a
    page that is not there, and the page says so."""
    root, _ = reported
    page = _page(root, "chloe_gradient_somme")
    assert not any((root / "feedback" / "chloe_gradient_somme" / ASSIGNMENT / s.filename.replace(".ipynb", ".html"))
                   .exists() for s in STEPS.values())
    assert 'href="' not in page
    assert _plain(page).count("La page de nbgrader pour ce notebook n'est pas encore écrite.") == len(STEPS)
