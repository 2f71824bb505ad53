"""`python -m autograder export moodle|canvas` (autograder/exports/): the sample class graded by the
kit's grader, its students given names (accents included) and e-mail addresses through nbgrader's
API, then exported; and files shaped as Moodle and Canvas write them (tests/data/lms/, see its
README) filled in and read back. Expected points are read from gradebook.db with plain SQL."""
from __future__ import annotations

import csv
import io
import json
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from autograder.cli import main
from autograder.nbgrader_cli import ROOT
from conftest import make_course

DATA = Path(__file__).parent / "data" / "lms"

# The people of the fixtures: nbgrader id -> first name, last name, e-mail address, Moodle
# participant number (French worksheet), Canvas user ID.
PEOPLE = {
    "alice_juste": ("Alice", "Juste", "alice.juste@univ-exemple.fr", 1480201, 1000101),
    "bruno_variantes": ("Bruno", "Varennes", "bruno.varennes@univ-exemple.fr", 1480202, 1000102),
    "chloe_gradient_somme": ("Chloé", "Garnier", "chloe.garnier@univ-exemple.fr", 1480203, 1000103),
    "david_sans_zero_grad": ("David", "Sanz", "david.sanz@univ-exemple.fr", 1480204, 1000104),
    "emma_hors_no_grad": ("Emma", "Horsin", "emma.horsin@univ-exemple.fr", 1480205, 1000105),
    "farid_w_reaffecte": ("Farid", "Wahbi", "farid.wahbi@univ-exemple.fr", 1480206, 1000106),
    "gabriel_formes": ("Gabriel", "Forestier", "gabriel.forestier@univ-exemple.fr", 1480207, 1000107),
    "hugo_avant": ("Hugo", "Avanzini", "hugo.avanzini@univ-exemple.fr", 1480208, 1000108),
    "ines_a_la_main": ("Inès", "Lamain", "ines.lamain@univ-exemple.fr", 1480209, 1000109),
    "karim_entiers": ("Karim", "Entier", "karim.entier@univ-exemple.fr", 1480210, 1000110),
    "lea_regret_somme": ("Éloïse", "Lefèvre", "eloise.lefevre@univ-exemple.fr", 1480211, 1000111),
    "marc_hyperparametres": ("Marc", "Hyppolite", "marc.hyppolite@univ-exemple.fr", 1480212, 1000112),
    "nina_non_rendu": ("Nina", "Nonnet", "nina.nonnet@univ-exemple.fr", 1480213, 1000113),
}
BY_EMAIL = {p[2]: sid for sid, p in PEOPLE.items()}


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "autograder", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> Path:
    """The sample class graded by the kit (through its command line), with names and e-mails."""
    root = make_course(tmp_path_factory.mktemp("lms_class"))
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        assignment = gb.assignments[0].name
    for args in (("sample-class",), ("autograde", assignment, "--jobs", "2")):
        done = _cli("--course-dir", str(root), *args)
        assert done.returncode == 0, f"{' '.join(args)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        assert sorted(s.id for s in gb.students) == sorted(PEOPLE), "the sample class is not the fixtures' class"
        for sid, (first, last, email, _, _) in PEOPLE.items():
            gb.update_or_create_student(sid, first_name=first, last_name=last, email=email)
    return root


@pytest.fixture
def course(graded, tmp_path) -> Path:
    """A copy of the graded course (gradebook and grading records) that a test may change."""
    copy = tmp_path / "course"
    shutil.copytree(graded, copy, ignore=shutil.ignore_patterns("submitted", "feedback", "source", "release"))
    return copy


def export(capsys, course: Path, *args: str) -> tuple[int, str, str]:
    """The real command line, in this process."""
    code = main(["--course-dir", str(course), "export", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def points(course: Path) -> dict[str, dict[str, dict[str, tuple[float, float]]]]:
    """{student: {notebook: {grade_id: (score, max)}}} straight from gradebook.db."""
    query = """
        select sa.student_id, n.name, bc.name, coalesce(g.manual_score, g.auto_score, 0), gc.max_score
          from grade g join submitted_notebook sn on sn.id = g.notebook_id
          join submitted_assignment sa on sa.id = sn.assignment_id join notebook n on n.id = sn.notebook_id
          join base_cell bc on bc.id = g.cell_id join grade_cells gc on gc.id = g.cell_id"""
    out: dict = {}
    with sqlite3.connect(course / "gradebook.db") as db:
        for student, notebook, cell, score, most in db.execute(query):
            out.setdefault(student, {}).setdefault(notebook, {})[cell] = (float(score), float(most))
    return out


def totals(course: Path) -> dict[str, float]:
    return {s: sum(v[0] for nb in nbs.values() for v in nb.values()) for s, nbs in points(course).items()}


def notebook_maxima(course: Path) -> dict[str, float]:
    with sqlite3.connect(course / "gradebook.db") as db:
        rows = db.execute("select n.name, sum(gc.max_score) from grade_cells gc join base_cell bc on bc.id = gc.id "
                          "join notebook n on n.id = bc.notebook_id group by n.name").fetchall()
    return dict(rows)


def two(value: float, decimal: str = ".") -> str:
    return f"{value:.2f}".replace(".", decimal)


def read(path: Path, delimiter: str = ",") -> tuple[bool, list[list[str]]]:
    raw = path.read_bytes()
    text = raw.decode("utf-8")
    return text.startswith("\ufeff"), list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""),
                                                      delimiter=delimiter))


def check_feedback(course: Path, student: str, line: str) -> None:
    """One line that names every check the student lost points on (or says all of a notebook's
    checks failed), and no check they passed."""
    assert "\n" not in line and "\r" not in line, f"{student}: the feedback is not one line: {line!r}"
    notebooks = points(course)[student]
    failed = {nb: {c for c, (got, most) in cells.items() if got < most} for nb, cells in notebooks.items()}
    if not any(failed.values()):
        assert "toutes les vérifications sont réussies" in line, f"{student}: {line!r}"
        return
    assert "À revoir" in line, f"{student}: {line!r}"
    for nb, lost in failed.items():
        if not lost:
            assert not re.search(rf"\b{nb}\b", line), f"{student}: {nb} has no failed check but is named: {line!r}"
        elif lost == set(notebooks[nb]) and re.search(rf"\b{nb}\b [^;]*: toutes les vérifications", line):
            continue
        else:
            for check in lost:
                assert re.search(rf"\b{nb}\b[^;]*\b{check}\b", line), \
                    f"{student}: failed check {nb}/{check} missing from the feedback {line!r}"
            for check in set(notebooks[nb]) - lost:
                assert not re.search(rf"\b{nb}\b[^;]*\b{check}\b", line), \
                    f"{student}: passed check {nb}/{check} named in {line!r}"


# --------------------------------------------------------------------------------------------- Moodle


def test_moodle_gradebook_csv_one_row_per_student_with_the_gradebook_points(capsys, course, tmp_path):
    out = tmp_path / "moodle.csv"
    code, said, err = export(capsys, course, "moodle", "--output", str(out))
    assert code == 0, err
    assert str(out) in said
    bom, rows = read(out)
    assert bom, "Moodle's import expects UTF-8 with a BOM"
    maxima = notebook_maxima(course)
    header = rows[0]
    assert header[:3] == ["First name", "Last name", "Email address"], header
    assert header[3:3 + len(maxima)] == sorted(maxima), "one column per notebook, in name order"
    assert len(header) == 3 + len(maxima) + 2, "then the total and the feedback"
    expected = points(course)
    assert sorted(r[2] for r in rows[1:]) == sorted(p[2] for p in PEOPLE.values()), "one row per student"
    for row in rows[1:]:
        student = BY_EMAIL[row[2]]
        assert (row[0], row[1]) == PEOPLE[student][:2], f"names as nbgrader has them: {row[:2]}"
        for i, nb in enumerate(sorted(maxima)):
            got = sum(v[0] for v in expected[student].get(nb, {}).values())
            assert row[3 + i] == two(got), f"{student} {nb}: {row[3 + i]} instead of {two(got)}"
        assert row[3 + len(maxima)] == two(totals(course)[student]), f"{student}: total {row[3 + len(maxima)]}"
        check_feedback(course, student, row[-1])
    assert "Éloïse,Lefèvre".encode() in out.read_bytes(), "accented names written as UTF-8, intact"


def test_moodle_gradebook_csv_by_username_with_decimal_commas(capsys, course, tmp_path):
    out = tmp_path / "moodle.csv"
    code, _, err = export(capsys, course, "moodle", "--identity", "username", "--decimal", ",", "--output", str(out))
    assert code == 0, err
    _, rows = read(out)
    assert rows[0][2] == "Username"
    assert sorted(r[2] for r in rows[1:]) == sorted(PEOPLE), "nbgrader's ids as Moodle usernames"
    expected = totals(course)
    for row in rows[1:]:
        assert row[-2] == two(expected[row[2]], ","), f"{row[2]}: {row[-2]}"
    assert '"17,00"' in out.read_text(encoding="utf-8-sig"), "a decimal comma inside a comma-separated file is quoted"


def test_moodle_worksheet_french_filled_in_and_every_other_cell_untouched(capsys, course, tmp_path):
    source = DATA / "moodle_worksheet_fr.csv"
    out = tmp_path / "filled.csv"
    code, said, err = export(capsys, course, "moodle", "--worksheet", str(source), "--output", str(out))
    assert code == 0, err
    bom, rows = read(out)
    _, before = read(source)
    assert bom
    assert rows[0] == before[0], "the header as Moodle wrote it"
    assert len(rows) == len(before), "every row kept, none added"
    grade, feedback = rows[0].index("Note"), rows[0].index("Feedback par commentaires")
    expected = totals(course)
    for new, old in zip(rows[1:], before[1:]):
        student = BY_EMAIL[old[2].lower()]   # Moodle keeps the case the user typed (Alice.Juste@...)
        untouched = [i for i in range(len(old)) if i not in (grade, feedback)]
        assert [new[i] for i in untouched] == [old[i] for i in untouched], f"{student}: other cells changed"
        assert new[0] == old[0] and new[0].startswith("Participant"), "the record id Moodle matches on"
        assert new[grade] == two(expected[student], ","), f"{student}: {new[grade]} (decimal comma, as the worksheet)"
        check_feedback(course, student, new[feedback])
    bruno = next(r for r in rows if r[2] == PEOPLE["bruno_variantes"][2])
    assert bruno[grade] == two(expected["bruno_variantes"], ",") != "10,00", "a grade given by hand is replaced"
    assert "Éloïse Lefèvre".encode() in out.read_bytes()


def test_moodle_worksheet_english_out_of_100_is_refused_then_rescaled(capsys, course, tmp_path):
    source = DATA / "moodle_worksheet_en.csv"
    out = tmp_path / "filled.csv"
    code, _, err = export(capsys, course, "moodle", "--worksheet", str(source), "--output", str(out))
    assert code != 0 and "out of 100" in err and "22" in err, err
    assert not out.exists()
    code, _, err = export(capsys, course, "moodle", "--worksheet", str(source), "--output", str(out), "--rescale")
    assert code == 0, err
    _, rows = read(out)
    _, before = read(source)
    grade = rows[0].index("Grade")
    expected = totals(course)
    most = sum(notebook_maxima(course).values())
    for new, old in zip(rows[1:], before[1:]):
        student = BY_EMAIL[old[2]]
        assert new[grade] == two(round(expected[student] * 100 / most + 1e-9, 2)), f"{student}: {new[grade]}"
        assert new[:grade] == old[:grade] and new[grade + 1:-1] == old[grade + 1:-1]


def test_moodle_worksheet_without_its_columns_fails_through_the_command_line(course, tmp_path):
    table = (DATA / "moodle_worksheet_fr.csv").read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(table, newline="")))
    gone = rows[0].index("Dernière modification (note)")
    broken = tmp_path / "worksheet.csv"
    with broken.open("w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f).writerows([r[:gone] + r[gone + 1:] for r in rows])
    out = tmp_path / "out" / "filled.csv"
    out.parent.mkdir()
    out.write_text("the previous export\n")
    done = _cli("--course-dir", str(course), "export", "moodle", "--worksheet", str(broken), "--output", str(out))
    assert done.returncode != 0
    assert "Dernière modification (note)" in done.stderr and "Last modified (grade)" in done.stderr, done.stderr
    assert out.read_text() == "the previous export\n", "the existing file is left as it was"
    assert [p.name for p in out.parent.iterdir()] == ["filled.csv"], "no temporary file left behind"


def test_moodle_worksheet_and_gradebook_must_hold_the_same_students(capsys, course, tmp_path):
    table = (DATA / "moodle_worksheet_fr.csv").read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(table, newline="")))
    chloe = PEOPLE["chloe_gradient_somme"][2]
    rows = [r for r in rows if r[2] != chloe]
    rows.append(["Participant1480299", "Zoé Inconnue", "zoe.inconnue@univ-exemple.fr", "Remis pour évaluation", "",
                 "22,00", "Oui", "-", "-", ""])
    worksheet = tmp_path / "worksheet.csv"
    with worksheet.open("w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f).writerows(rows)
    out = tmp_path / "filled.csv"
    code, _, err = export(capsys, course, "moodle", "--worksheet", str(worksheet), "--output", str(out))
    assert code != 0
    assert "chloe_gradient_somme" in err and "zoe.inconnue@univ-exemple.fr" in err, err
    assert not out.exists()
    code, _, err = export(capsys, course, "moodle", "--worksheet", str(worksheet), "--output", str(out),
                          "--allow-unmatched")
    assert code == 0 and "chloe_gradient_somme" in err, err
    _, filled = read(out)
    zoe = next(r for r in filled if r[2] == "zoe.inconnue@univ-exemple.fr")
    assert zoe[4] == "" and zoe[-1] == "", "a row left out is written back as it was"


def test_two_students_with_the_same_email_fail_through_the_command_line(capsys, course, tmp_path):
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        gb.update_or_create_student("bruno_variantes", email=PEOPLE["alice_juste"][2].upper())
    out = tmp_path / "moodle.csv"
    done = _cli("--course-dir", str(course), "export", "moodle", "--output", str(out))
    assert done.returncode != 0, done.stdout
    assert "alice_juste" in done.stderr and "bruno_variantes" in done.stderr, done.stderr
    for lms, source in (("moodle", "--worksheet"), ("canvas", "--gradebook")):
        data = DATA / ("moodle_worksheet_fr.csv" if lms == "moodle" else "canvas_export.csv")
        code, _, err = export(capsys, course, lms, source, str(data), "--output", str(out))
        assert code != 0 and "alice_juste" in err and "bruno_variantes" in err, f"{lms}: {err}"
    assert not out.exists() and list(tmp_path.iterdir()) == [course], "nothing written"


def test_two_worksheet_rows_with_the_same_email_are_named(capsys, course, tmp_path):
    table = (DATA / "moodle_worksheet_fr.csv").read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(table, newline="")))
    rows.append(["Participant1480300", "Alice Juste (2)", PEOPLE["alice_juste"][2], "Remis pour évaluation", "",
                 "22,00", "Oui", "-", "-", ""])
    worksheet = tmp_path / "worksheet.csv"
    with worksheet.open("w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f).writerows(rows)
    code, _, err = export(capsys, course, "moodle", "--worksheet", str(worksheet), "--output", str(tmp_path / "o.csv"))
    assert code != 0 and "Participant1480201" in err and "Participant1480300" in err, err
    assert not (tmp_path / "o.csv").exists()


def test_students_csv_gives_moodle_participants_when_the_gradebook_has_no_emails(capsys, course, tmp_path):
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for sid in PEOPLE:
            gb.update_or_create_student(sid, email=None)
    mapping = tmp_path / "students.csv"
    mapping.write_text("student_id;participant\n" + "".join(f"{sid};{p[3]}\n" for sid, p in PEOPLE.items()),
                       encoding="utf-8")
    out = tmp_path / "filled.csv"
    source = DATA / "moodle_worksheet_fr.csv"
    code, _, err = export(capsys, course, "moodle", "--worksheet", str(source), "--students", str(mapping),
                          "--output", str(out))
    assert code == 0, err
    _, rows = read(out)
    grade = rows[0].index("Note")
    by_participant = {p[3]: sid for sid, p in PEOPLE.items()}
    expected = totals(course)
    for row in rows[1:]:
        student = by_participant[int(row[0].removeprefix("Participant"))]
        assert row[grade] == two(expected[student], ","), f"{student}: {row[grade]}"
    mapping.write_text("student_id,participant\nnobody_here,1480201\n", encoding="utf-8")
    code, _, err = export(capsys, course, "moodle", "--worksheet", str(source), "--students", str(mapping),
                          "--output", str(tmp_path / "again.csv"))
    assert code != 0 and "nobody_here" in err, err


def test_feedback_never_carries_what_a_grading_record_could_smuggle(capsys, course, tmp_path):
    """Under nbgrader, the student's kernel writes the record: its text is never copied."""
    student = "chloe_gradient_somme"
    failed = {nb: [c for c, (got, most) in cells.items() if got < most]
              for nb, cells in points(course)[student].items()}
    nb = next(n for n, cells in failed.items() if cells)
    record = next((course / "autograded" / student).glob(f"*/{nb}.kit.json"))
    data = json.loads(record.read_text(encoding="utf-8"))
    for check in failed[nb]:
        data["checks"][check] = {"passed": False, "code": "=HYPERLINK(\"http://x\")\nPIRATE",
                                 "fr": "PIRATE\n=1+1", "en": "PIRATE"}
    record.write_text(json.dumps(data), encoding="utf-8")
    out = tmp_path / "moodle.csv"
    code, _, err = export(capsys, course, "moodle", "--output", str(out))
    assert code == 0, err
    _, rows = read(out)
    line = next(r[-1] for r in rows if r[2] == PEOPLE[student][2])
    assert "PIRATE" not in line and "HYPERLINK" not in line, line
    check_feedback(course, student, line)


# --------------------------------------------------------------------------------------------- Canvas


def test_canvas_export_filled_in_the_assignments_column(capsys, course, tmp_path):
    source = DATA / "canvas_export.csv"
    out = tmp_path / "canvas.csv"
    code, said, err = export(capsys, course, "canvas", "--gradebook", str(source), "--output", str(out))
    assert code == 0, err
    assert "Descente de gradient (2002)" in said
    bom, rows = read(out)
    bom_before, before = read(source)
    assert bom == bom_before is False and out.read_bytes().count(b";") == source.read_bytes().count(b";")
    assert rows[0] == before[0] and rows[1] == before[1], "header and Points Possible row as Canvas wrote them"
    column = rows[0].index("Descente de gradient (2002)")
    expected = totals(course)
    logins = {p[2]: sid for sid, p in PEOPLE.items()}
    filled = 0
    for new, old in zip(rows[2:], before[2:]):
        assert new[:column] == old[:column] and new[column + 1:] == old[column + 1:], f"{old[0]}: other cells changed"
        if old[0] == "Student, Test":
            assert new == old, "Canvas's test student is left as it was"
            continue
        student = logins[old[3]]
        assert new[column] == two(expected[student]), f"{student}: {new[column]}"
        filled += 1
    assert filled == len(PEOPLE)
    assert "test student" in err.lower()


def test_canvas_french_export_gets_one_new_column_per_notebook(capsys, course, tmp_path):
    source = DATA / "canvas_export_fr.csv"
    out = tmp_path / "canvas.csv"
    code, _, err = export(capsys, course, "canvas", "--gradebook", str(source), "--new-columns", "notebooks",
                          "--output", str(out))
    assert code == 0, err
    bom, rows = read(out, ";")
    _, before = read(source, ";")
    assert bom, "the BOM Canvas wrote is kept"
    maxima = notebook_maxima(course)
    width = len(before[0])
    assert rows[0] == before[0] + sorted(maxima), rows[0]
    assert rows[1] == before[1] + [""] * len(maxima), "the Manual Posting row, padded"
    assert rows[2] == before[2] + [two(maxima[nb], ",") for nb in sorted(maxima)], "points possible, decimal commas"
    expected = points(course)
    logins = {p[2]: sid for sid, p in PEOPLE.items()}
    for new, old in zip(rows[3:], before[3:]):
        student = logins[old[3]]
        assert new[:width] == old, f"{student}: cells changed"
        assert new[width:] == [two(sum(v[0] for v in expected[student][nb].values()), ",") for nb in sorted(maxima)]
    assert "Lefèvre, Éloïse".encode() in out.read_bytes()


def test_canvas_students_by_canvas_id_from_the_gradebook_or_students_csv(capsys, course, tmp_path):
    ids = sorted(PEOPLE)
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for k, sid in enumerate(ids):
            gb.update_or_create_student(sid, email=None, lms_user_id=str(PEOPLE[sid][4]) if k % 2 else None)
    mapping = tmp_path / "students.csv"
    mapping.write_text("student_id,canvas_id\n" + "".join(f"{sid},{PEOPLE[sid][4]}\n" for sid in ids[::2]),
                       encoding="utf-8")
    out = tmp_path / "canvas.csv"
    code, _, err = export(capsys, course, "canvas", "--gradebook", str(DATA / "canvas_export.csv"),
                          "--students", str(mapping), "--output", str(out))
    assert code == 0, err
    _, rows = read(out)
    column = rows[0].index("Descente de gradient (2002)")
    by_id = {str(p[4]): sid for sid, p in PEOPLE.items()}
    expected = totals(course)
    for row in rows[2:]:
        if row[1] in by_id:
            assert row[column] == two(expected[by_id[row[1]]]), f"{row[0]}: {row[column]}"


def test_canvas_export_without_sis_columns_matches_by_unique_name(capsys, course, tmp_path):
    """A TA's export has no SIS columns: students with no Canvas id are found by name, as Canvas does."""
    _, rows = read(DATA / "canvas_export.csv")
    keep = [i for i, h in enumerate(rows[0]) if not h.startswith("SIS")]
    source = tmp_path / "ta.csv"
    with source.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows([[r[i] for i in keep] for r in rows])
    out = tmp_path / "canvas.csv"
    code, _, err = export(capsys, course, "canvas", "--gradebook", str(source), "--output", str(out))
    assert code == 0, err
    _, filled = read(out)
    column = filled[0].index("Descente de gradient (2002)")
    by_name = {f"{p[1]}, {p[0]}": sid for sid, p in PEOPLE.items()}
    expected = totals(course)
    assert sum(r[0] in by_name for r in filled) == len(PEOPLE)
    for row in filled[2:]:
        if row[0] in by_name:
            assert row[column] == two(expected[by_name[row[0]]]), f"{row[0]}: {row[column]}"
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:   # two Alice Juste: no guessing
        gb.update_or_create_student("bruno_variantes", first_name="Alice", last_name="Juste")
    code, _, err = export(capsys, course, "canvas", "--gradebook", str(source), "--output", str(tmp_path / "o.csv"))
    assert code != 0 and "alice_juste" in err and "bruno_variantes" in err and "Juste, Alice" in err, err
    assert not (tmp_path / "o.csv").exists()


def test_canvas_refuses_other_points_and_unknown_students(capsys, course, tmp_path):
    text = (DATA / "canvas_export.csv").read_text(encoding="utf-8")
    other_points = tmp_path / "points.csv"
    other_points.write_text(text.replace(",10.00,22.00,", ",10.00,20.00,"), encoding="utf-8")
    out = tmp_path / "canvas.csv"
    code, _, err = export(capsys, course, "canvas", "--gradebook", str(other_points), "--output", str(out))
    assert code != 0 and "20" in err and "22" in err and "Descente de gradient (2002)" in err, err
    assert not out.exists()
    code, _, err = export(capsys, course, "canvas", "--gradebook", str(other_points), "--output", str(out),
                          "--rescale")
    assert code == 0, err
    _, rows = read(out)
    column = rows[0].index("Descente de gradient (2002)")
    alice = next(r for r in rows if r[3] == PEOPLE["alice_juste"][2])
    assert alice[column] == two(totals(course)["alice_juste"] * 20 / 22)

    lines = text.splitlines(keepends=True)
    unknown = [line for line in lines if "hugo.avanzini" not in line]
    unknown.insert(3, '"Inconnu, Zoé",1000177,E2025077,zoe.inconnue@univ-exemple.fr,Groupe A,5.00,,5.00,5.00,'
                      '50.00,50.00,15.62,15.62\n')
    other_class = tmp_path / "class.csv"
    other_class.write_text("".join(unknown), encoding="utf-8")
    code, _, err = export(capsys, course, "canvas", "--gradebook", str(other_class), "--output",
                          str(tmp_path / "class-filled.csv"))
    assert code != 0 and "hugo_avant" in err and "Inconnu, Zoé" in err and "1000177" in err, err
    assert not (tmp_path / "class-filled.csv").exists()


def test_canvas_file_that_is_not_a_canvas_export(capsys, course, tmp_path):
    broken = tmp_path / "grades.csv"
    broken.write_text("Name,Email,Score\nAlice,alice.juste@univ-exemple.fr,3\n", encoding="utf-8")
    code, _, err = export(capsys, course, "canvas", "--gradebook", str(broken), "--output", str(tmp_path / "o.csv"))
    assert code != 0 and "not a gradebook exported from Canvas" in err and "Section" in err, err
    assert not (tmp_path / "o.csv").exists()
