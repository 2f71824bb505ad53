"""Formgrader and the kit side by side: after manual grading and the real `nbgrader generate_feedback
--force` (formgrader's Generate Feedback, which deletes each student's feedback folder), every
student's French summary page is there again, written by the kit's hook (nbgrader's
GenerateFeedback.post_convert_hook, in nbgrader_config.py), with the score nbgrader holds and the
instructor's comment, escaped."""
from __future__ import annotations

import json
import re
import shutil
from html import unescape

from conftest import EXTRA_CREDIT, LATE_PENALTIES, MANUAL_SCORES, OLD_PAGE, TEACHER_COMMENTS

from autograder.courses.descente_gradient.course import ASSIGNMENT, BY_NOTEBOOK
from autograder.nbgrader_cli import ROOT, nbgrader
from autograder.reports.feedback_pages import write_student_summary


def _page(root, student: str) -> str:
    return (root / "feedback" / student / ASSIGNMENT / "resume.html").read_text(encoding="utf-8")


def _row(page: str, notebook: str, check: str) -> str:
    """The plain text of a check's row, in the section of its notebook's step."""
    step = BY_NOTEBOOK[notebook].name
    start = page.index(f'<h2 id="{step}">')
    end = page.find("<h2", start + 1)
    row = re.search(rf'<tr data-key="{check}">(.*?)</tr>', page[start:end if end > 0 else None], re.S)
    assert row, (notebook, check)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", row.group(1))).split())


def test_every_summary_page_is_written_again_after_nbgrader_deletes_it(formgraded_class, nbgrader_graded_class):
    root, log = formgraded_class
    students = sorted(nbgrader_graded_class[1])
    for student in students:
        folder = root / "feedback" / student / ASSIGNMENT
        page = _page(root, student)
        assert OLD_PAGE not in page and page.startswith("<!DOCTYPE html>"), student
        nbgrader_pages = [p for p in folder.glob("*.html") if p.name != "resume.html"]
        assert nbgrader_pages, f"nbgrader's own pages are missing for {student}"
        assert all(p.stat().st_mtime_ns <= (folder / "resume.html").stat().st_mtime_ns for p in nbgrader_pages)
    wrote = re.findall(r"autograder: wrote (\S+)/resume\.html", log)
    assert sorted(p.split("/")[-2] for p in wrote) == students, log[-3000:]


def test_the_page_shows_the_manual_scores_nbgrader_holds(formgraded_class, nbgrader_graded_class):
    root, _ = formgraded_class
    before = nbgrader_graded_class[1]
    for (student, notebook, check), score in MANUAL_SCORES.items():
        auto, most = before[student][(notebook, check)]
        row = _row(_page(root, student), notebook, check)
        assert f"{score:g} / {most:g}".replace(".", ",") in row and "note de l'enseignant" in row, row
        automatic = "réussie" if auto >= most else "échouée"
        assert f"Vérification automatique : {automatic}." in row, row
    chloe = _page(root, "chloe_gradient_somme")
    expected = sum(s for s, _ in before["chloe_gradient_somme"].values()) + 1.0   # 0 -> 1 on test_gradient
    assert f"Total : <strong>{expected:g} / 22 points</strong>" in chloe
    assert "Ton enseignant a fixé lui-même la note d'une vérification" in chloe
    for (student, notebook, check), extra in EXTRA_CREDIT.items():
        _, most = before[student][(notebook, check)]
        row = _row(_page(root, student), notebook, check)
        assert f"{most + extra:g} / {most:g} (dont {extra:g} de bonus)".replace(".", ",") in row, row


def test_the_page_shows_the_instructors_comment_escaped(formgraded_class):
    root, _ = formgraded_class
    for (student, notebook, cell), comment in TEACHER_COMMENTS.items():
        page = _page(root, student)
        assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
        said = re.search(r'<p class="teacher">(.*?)</p>', page, re.S)
        assert said, "no comment of the teacher on the page"
        text = " ".join(unescape(re.sub(r"<[^>]+>", "", said.group(1))).split())
        assert text.startswith("Commentaire de l'enseignant — Ta fonction gradient :"), text
        assert comment.replace("`", "") in text, text
    assert "Commentaire de l'enseignant" not in _page(root, "alice_juste")


def test_write_student_summary_says_none_when_there_is_nothing_to_write(formgraded_class):
    root, _ = formgraded_class
    assert write_student_summary(root, "pas_de_cours", "alice_juste") is None
    assert write_student_summary(root, ASSIGNMENT, "personne") is None
    assert not (root / "feedback" / "personne").exists()
    path = write_student_summary(root, ASSIGNMENT, "alice_juste")
    assert path == root / "feedback" / "alice_juste" / ASSIGNMENT / "resume.html" and path.is_file()


def _notebook(cells: list[dict]) -> dict:
    return {"cells": cells, "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                        "language": "python"}},
            "nbformat": 4, "nbformat_minor": 5}


def _cell(grade_id: str, source: str, **nbgrader_meta) -> dict:
    return {"cell_type": "code", "execution_count": None, "id": grade_id, "outputs": [], "source": source,
            "metadata": {"nbgrader": {"grade_id": grade_id, "schema_version": 3, "locked": False, "solution": False,
                                      "grade": False, "task": False, **nbgrader_meta}}}


def test_an_assignment_without_a_course_package_keeps_nbgrader_working(tmp_path):
    """The hook says in one line that it has nothing to write, and nbgrader's pages are written."""
    root = tmp_path / "course"
    (root / "source" / "autre").mkdir(parents=True)
    shutil.copy(ROOT / "nbgrader_config.py", root / "nbgrader_config.py")
    nb = _notebook([_cell("reponse", "### BEGIN SOLUTION\nx = 1\n### END SOLUTION\n", solution=True),
                    _cell("test_x", "assert x == 1", grade=True, locked=True, points=1)])
    (root / "source" / "autre" / "autre.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    nbgrader("generate_assignment", "autre", "--force", root=root)
    (root / "submitted" / "eve" / "autre").mkdir(parents=True)
    shutil.copy(root / "release" / "autre" / "autre.ipynb", root / "submitted" / "eve" / "autre" / "autre.ipynb")
    nbgrader("autograde", "autre", "--force", "--create", root=root)
    log = nbgrader("generate_feedback", "autre", "--force", root=root)
    assert (root / "feedback" / "eve" / "autre" / "autre.html").is_file()
    assert not (root / "feedback" / "eve" / "autre" / "resume.html").exists()
    lines = [line for line in log.splitlines() if "autograder:" in line]
    assert lines == ["[GenerateFeedbackApp | INFO] autograder: no summary page for assignment 'autre': the kit has "
                     "no course package for it"], log[-3000:]


def test_each_check_links_to_its_test_in_nbgraders_page(formgraded_class):
    root, _ = formgraded_class
    folder = root / "feedback" / "chloe_gradient_somme" / ASSIGNMENT
    links = re.findall(r'href="([^"#]+)(?:#([^"]+))?"', _page(root, "chloe_gradient_somme"))
    checks = {(s.notebook, c) for s in BY_NOTEBOOK.values() for c in s.checks}
    assert {(page.removesuffix(".html"), anchor) for page, anchor in links if anchor} == checks
    for page, anchor in links:
        target = (folder / page).read_text(encoding="utf-8")
        assert not anchor or f'<a name="{anchor}"></a>' in target, (page, anchor)


def test_a_late_penalty_is_taken_off_as_nbgrader_export_counts_it(formgraded_class, nbgrader_graded_class):
    root, _ = formgraded_class
    before = nbgrader_graded_class[1]
    for (student, notebook), penalty in LATE_PENALTIES.items():
        page = _page(root, student)
        step = BY_NOTEBOOK[notebook]
        got = sum(s for (nb, _), (s, _) in before[student].items() if nb == notebook)
        most = sum(m for (nb, _), (_, m) in before[student].items() if nb == notebook)
        heading = re.search(rf'<h2 id="{step.name}">(.*?)</h2>', page).group(1)
        assert heading.endswith(f" : {got - penalty:g} / {most:g} points"), heading
        assert f"Rendu en retard : {penalty:g} point(s) de pénalité, retirés des {got:g} points" in unescape(page)
        extra = sum(e for (s, _, _), e in EXTRA_CREDIT.items() if s == student)
        total = sum(s for s, _ in before[student].values()) + extra - penalty
        assert f"Total : <strong>{total:g} / 22 points</strong>".replace(".", ",") in page, student
