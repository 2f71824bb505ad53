"""The kit's grader against the real `nbgrader autograde` on the sample class, nbgrader's own
tools on the kit's gradebook, and `grade --results` (Gradescope)."""
from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.courses.descente_gradient.course import ASSIGNMENT, STEPS
from autograder.grader.autograde import autograde_class
from autograder.nbgrader_cli import ROOT, nbgrader
from autograder.reports.table import read_scores
from autograder.courses.descente_gradient.sample_class import write_class
from conftest import make_course


def source_points(step) -> dict[str, float]:
    nb = json.loads((ROOT / "source" / ASSIGNMENT / step.filename).read_text(encoding="utf-8"))
    return {c["metadata"]["nbgrader"]["grade_id"]: float(c["metadata"]["nbgrader"]["points"])
            for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade")}


@pytest.fixture(scope="module")
def kit_graded_class(tmp_path_factory):
    root = make_course(tmp_path_factory.mktemp("kit_class"))
    write_class(ROOT, root)
    stream = io.StringIO()
    report = autograde_class(root, ASSIGNMENT, jobs=2, stream=stream)
    return root, report, read_scores(f"sqlite:///{root / 'gradebook.db'}", ASSIGNMENT), stream.getvalue()


def test_every_graded_cell_scores_what_nbgrader_gives(nbgrader_graded_class, kit_graded_class):
    _, nbgrader_scores = nbgrader_graded_class
    _, report, kit_scores, _ = kit_graded_class
    assert report.isolated
    assert set(kit_scores) == set(nbgrader_scores)
    cells = [(s, c) for s in nbgrader_scores for c in nbgrader_scores[s]]
    assert len(cells) == len(nbgrader_scores) * sum(len(s.checks) for s in STEPS.values())
    differ = [(s, c, nbgrader_scores[s][c], kit_scores[s].get(c)) for s, c in cells
              if kit_scores[s].get(c) != nbgrader_scores[s][c]]
    assert differ == []


GRADEBOOK_ROWS = """
select 'grade', sa.student_id, n.name, bc.name, g.auto_score, g.manual_score, g.needs_manual_grade
  from grade g join submitted_notebook sn on sn.id = g.notebook_id
  join submitted_assignment sa on sa.id = sn.assignment_id join notebook n on n.id = sn.notebook_id
  join base_cell bc on bc.id = g.cell_id
union all
select 'comment', sa.student_id, n.name, bc.name, c.auto_comment, c.manual_comment, null
  from comment c join submitted_notebook sn on sn.id = c.notebook_id
  join submitted_assignment sa on sa.id = sn.assignment_id join notebook n on n.id = sn.notebook_id
  join base_cell bc on bc.id = c.cell_id
union all
select 'notebook', sa.student_id, n.name, '', sn.late_submission_penalty, sn.flagged, null
  from submitted_notebook sn join submitted_assignment sa on sa.id = sn.assignment_id
  join notebook n on n.id = sn.notebook_id
"""


def test_the_gradebook_rows_are_those_nbgrader_writes(nbgrader_graded_class, kit_graded_class):
    """Not only the scores: auto comments ("No response."), the needs-manual-grade flags and the
    late penalties too, row for row, for the run gradebook's deferred commits and batched reads."""
    import sqlite3

    def rows(root):
        with sqlite3.connect(root / "gradebook.db") as db:
            return sorted(db.execute(GRADEBOOK_ROWS).fetchall(), key=repr)

    nbgrader_rows, kit_rows = rows(nbgrader_graded_class[0]), rows(kit_graded_class[0])
    assert len(nbgrader_rows) > 100
    assert [r for r in kit_rows if r not in nbgrader_rows] == [], "rows the kit wrote that nbgrader did not"
    assert [r for r in nbgrader_rows if r not in kit_rows] == [], "rows nbgrader wrote that the kit did not"


def _outputs_as_shown(cell: dict) -> list[tuple]:
    """A cell's outputs as a reader sees them. A kernel sends stdout and stderr in chunks, each
    stream flushed on its own clock, so how the two interleave between two rich outputs depends
    on timing: such a run of stream pieces is compared as the text of each stream. Line ends and
    memory addresses (`<... at 0x7f...>`) normalised."""
    shown: list[tuple] = []
    for output in cell["outputs"]:
        kind = output["output_type"]
        if kind == "stream":
            text = "".join(output["text"]).replace("\r\n", "\n")
            streams = dict(shown.pop()[1]) if shown and shown[-1][0] == "streams" else {}
            streams[output["name"]] = streams.get(output["name"], "") + text
            shown.append(("streams", tuple(sorted(streams.items()))))
        elif kind == "error":
            shown.append(("error", output["ename"]))
        else:
            data = output["data"]
            text = "".join(data.get("image/svg+xml") or data.get("text/plain") or "")
            shown.append((kind, tuple(sorted(data)), re.sub(r" at 0x[0-9a-f]+", " at 0x…", text)))
    return shown


def test_autograded_notebooks_keep_the_students_outputs_as_nbgrader_does(nbgrader_graded_class, kit_graded_class):
    """Every code cell other than a test cell: the same outputs (types, text, figures) and
    execution count in the kit's autograded notebook as in nbgrader's (the sample class has no
    timing nor random output)."""
    compared = 0
    for path in sorted((nbgrader_graded_class[0] / "autograded").glob(f"*/{ASSIGNMENT}/*.ipynb")):
        theirs = json.loads(path.read_text(encoding="utf-8"))
        ours = json.loads((kit_graded_class[0] / path.relative_to(nbgrader_graded_class[0])).read_text(encoding="utf-8"))
        pairs = [(a, b) for a, b in zip(theirs["cells"], ours["cells"], strict=True) if a["cell_type"] == "code"]
        for index, (a, b) in enumerate(pairs):
            where = f"{path.parent.parent.name}/{path.name} code cell {index}"
            assert a["execution_count"] == b["execution_count"], where
            if not a["metadata"].get("nbgrader", {}).get("grade"):
                assert _outputs_as_shown(a) == _outputs_as_shown(b), where
                compared += bool(a["outputs"])
    assert compared > 100


def test_nbgrader_feedback_shows_the_students_outputs_after_the_kit(kit_graded_class):
    root, _, _, _ = kit_graded_class
    nbgrader("generate_feedback", ASSIGNMENT, "--force", root=root)
    page = (root / "feedback" / "alice_juste" / ASSIGNMENT / "etape1_numpy.html").read_text(encoding="utf-8")
    assert "71: w = 2.000, regret = 0.00000000" in page, "the training trace the student printed"
    assert page.count("data:image/png;base64,") >= 1, "the training curves drawn by the notebook (matplotlib)"
    assert not list((root / "feedback").rglob("*.kit.json")), "the grading records stay with the instructor"


def test_progress_goes_to_the_given_stream(kit_graded_class):
    _, report, _, progress = kit_graded_class
    assert f"{len(report.graded)}/{len(report.graded)}" in progress


def test_nbgrader_feedback_and_export_work_on_the_kit_gradebook(kit_graded_class):
    root, _, kit_scores, _ = kit_graded_class
    nbgrader("generate_feedback", ASSIGNMENT, "--force", root=root)
    page = (root / "feedback" / "chloe_gradient_somme" / ASSIGNMENT / "etape1_numpy.html").read_text(encoding="utf-8")
    assert "somme, pas une moyenne" in page and "AssertionError" in page
    nbgrader("export", root=root)
    rows = {r["student_id"]: r for r in csv.DictReader((root / "grades.csv").open(encoding="utf-8"))}
    for student, cells in kit_scores.items():
        assert float(rows[student]["raw_score"]) == pytest.approx(sum(v[0] for v in cells.values()))


def test_an_unreadable_notebook_costs_that_notebook_only(kit_graded_class):
    root, _, _, _ = kit_graded_class
    folder = root / "submitted" / "alice_juste" / ASSIGNMENT
    (folder / STEPS["etape2"].filename).write_text("{ ceci n'est pas un notebook", encoding="utf-8")
    report = autograde_class(root, ASSIGNMENT, student="alice_juste", jobs=1, stream=io.StringIO())
    scores = read_scores(f"sqlite:///{root / 'gradebook.db'}", ASSIGNMENT)["alice_juste"]
    for step in STEPS.values():
        got = sum(v[0] for (nb, _), v in scores.items() if nb == step.notebook)
        full = sum(source_points(step).values())
        assert got == (0 if step.name == "etape2" else full), step.name
    assert [(s.notebook, "unreadable" in s.reason) for s in report.skipped] == [(STEPS["etape2"].notebook, True)]


def test_a_short_lookahead_grades_the_same(tmp_path):
    """With at most one sanitized notebook waiting for the sandbox (the bound that keeps a huge
    class in bounded memory), every notebook is still graded, each once, with full points."""
    root = make_course(tmp_path)
    write_class(ROOT, root)
    report = autograde_class(root, ASSIGNMENT, student="alice_juste", jobs=2, stream=io.StringIO(), lookahead=1)
    assert sorted(g.notebook for g in report.graded) == sorted(s.notebook for s in STEPS.values())
    scores = read_scores(f"sqlite:///{root / 'gradebook.db'}", ASSIGNMENT)["alice_juste"]
    assert sum(v[0] for v in scores.values()) == sum(sum(source_points(s).values()) for s in STEPS.values())


def test_a_notebook_nbgrader_cannot_save_does_not_stop_the_class(tmp_path, monkeypatch):
    from autograder.grader.converter import KitAutograde

    root = make_course(tmp_path)
    write_class(ROOT, root)
    save = KitAutograde.save

    def save_fails_on_step_2(self, item, decisions, cells=None):
        if item.notebook == STEPS["etape2"].notebook:
            raise OSError("disque plein (simulated)")
        return save(self, item, decisions, cells)

    monkeypatch.setattr(KitAutograde, "save", save_fails_on_step_2)
    report = autograde_class(root, ASSIGNMENT, student="alice_juste", jobs=1, stream=io.StringIO())
    problems = {g.notebook: g.problem for g in report.graded}
    assert "could not save" in (problems[STEPS["etape2"].notebook] or ""), problems
    scores = read_scores(f"sqlite:///{root / 'gradebook.db'}", ASSIGNMENT)["alice_juste"]
    for step in STEPS.values():
        if step.name != "etape2":
            got = sum(v[0] for (nb, _), v in scores.items() if nb == step.notebook)
            assert got == sum(source_points(step).values()), f"{step.name} must still be graded and saved"


@pytest.mark.parametrize("student, lost", [("alice_juste", set()),
                                           ("chloe_gradient_somme", {"test_gradient", "test_entrainement"})])
def test_grade_writes_gradescope_results(tmp_path, student, lost):
    step = STEPS["etape1"]
    write_class(ROOT, tmp_path)
    notebook = tmp_path / "submitted" / student / ASSIGNMENT / step.filename
    results = tmp_path / "results.json"
    proc = subprocess.run([sys.executable, "-m", "autograder", "--course-dir", str(ROOT), "grade", str(notebook),
                           "--results", str(results)], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(results.read_text(encoding="utf-8"))
    points = source_points(step)
    assert data["score"] == sum(p for g, p in points.items() if g not in lost)
    assert {t["name"].split(": ")[-1] for t in data["tests"]} == set(points)
    for test in data["tests"]:
        gid = test["name"].split(": ")[-1]
        assert set(test) >= {"name", "score", "max_score", "status", "output", "visibility"}
        assert test["max_score"] == points[gid]
        assert test["status"] == ("failed" if gid in lost else "passed")
        assert (test["score"] == 0) == (gid in lost)
    if lost:
        assert any("somme" in t["output"] for t in data["tests"] if t["status"] == "failed")
