"""`python -m autograder export moodle|canvas` (autograder/exports/): the sample class graded by the
kit's grader, its students given names (accents included) and e-mail addresses through nbgrader's
API, then exported; and files shaped as Moodle and Canvas write them (tests/data/lms/, see its
README) filled in and read back. Expected points are read from the gradebook with plain SQL; the
gradebook is where nbgrader's db_url says (autograder.nbgrader_settings)."""
from __future__ import annotations

import csv
import html
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
from autograder.nbgrader_settings import course_settings
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


def gradebook(course: Path) -> Gradebook:
    return Gradebook(course_settings(course).db_url)


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "autograder", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> Path:
    """The sample class graded by the kit (through its command line), with names and e-mails."""
    root = make_course(tmp_path_factory.mktemp("lms_class"))
    with gradebook(root) as gb:
        assignment = gb.assignments[0].name
    for args in (("sample-class",), ("autograde", assignment, "--jobs", "2")):
        done = _cli("--course-dir", str(root), *args)
        assert done.returncode == 0, f"{' '.join(args)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    with gradebook(root) as gb:
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
    """{student: {notebook: {grade_id: (score, max)}}} straight from the gradebook's SQLite file."""
    query = """
        select sa.student_id, n.name, bc.name, coalesce(g.manual_score, g.auto_score, 0), gc.max_score
          from grade g join submitted_notebook sn on sn.id = g.notebook_id
          join submitted_assignment sa on sa.id = sn.assignment_id join notebook n on n.id = sn.notebook_id
          join base_cell bc on bc.id = g.cell_id join grade_cells gc on gc.id = g.cell_id"""
    out: dict = {}
    with sqlite3.connect(course_settings(course).sqlite_path) as db:
        for student, notebook, cell, score, most in db.execute(query):
            out.setdefault(student, {}).setdefault(notebook, {})[cell] = (float(score), float(most))
    return out


def totals(course: Path) -> dict[str, float]:
    return {s: sum(v[0] for nb in nbs.values() for v in nb.values()) for s, nbs in points(course).items()}


def notebook_maxima(course: Path) -> dict[str, float]:
    with sqlite3.connect(course_settings(course).sqlite_path) as db:
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


def fill_worksheet(capsys, course: Path, source: Path, out: Path) -> tuple[str, str, list[list[str]], list[list[str]]]:
    """The worksheet filled in through the command line: (stdout, stderr, rows written, rows read),
    the header and the number of rows as Moodle wrote them."""
    code, said, err = export(capsys, course, "moodle", "--worksheet", str(source), "--output", str(out))
    assert code == 0, err
    bom, rows = read(out)
    _, before = read(source)
    assert bom, "Moodle's worksheets are UTF-8 with a BOM"
    assert rows[0] == before[0], "the header as Moodle wrote it"
    assert len(rows) == len(before), "every row kept, none added"
    return said, err, rows, before


def test_moodle_worksheet_french_filled_in_and_every_other_cell_untouched(capsys, course, tmp_path):
    source = DATA / "moodle_worksheet_fr.csv"
    out = tmp_path / "filled.csv"
    said, err, rows, before = fill_worksheet(capsys, course, source, out)
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
    with gradebook(course) as gb:
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
    with gradebook(course) as gb:
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
    with gradebook(course) as gb:
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
    with gradebook(course) as gb:   # two Alice Juste: no guessing
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


# --------------------------------------------------------------------------------------------- What the
# instructor wrote: Moodle 4.5's French worksheet (typographic apostrophes, a teacher's comments, a
# locked grade), Canvas's excusals, formgrader's manual grades.

KIT = "<p>Correction automatique : "


def kit_line(cell: str, student: str, course: Path) -> str:
    """The kit's paragraph at the end of a feedback cell, checked, as plain text."""
    assert cell.endswith("</p>") and KIT in cell, f"{student}: no kit paragraph at the end of {cell!r}"
    line = html.unescape(cell[cell.rindex(KIT) + len(KIT):-len("</p>")])
    check_feedback(course, student, line)
    return line


def all_passed(course: Path, student: str) -> str:
    """The kit's line of a student who passed every check, from the gradebook's points."""
    most = sum(notebook_maxima(course).values())
    return f"{totals(course)[student]:g}/{most:g} : toutes les vérifications sont réussies."


def test_moodle_45_french_worksheet_keeps_the_teachers_comments_and_locked_grades(capsys, course, tmp_path):
    source = DATA / "moodle_worksheet_fr_45.csv"
    out = tmp_path / "filled.csv"
    said, err, rows, before = fill_worksheet(capsys, course, source, out)
    assert "Nom d\u2019utilisateur" in rows[0], "the fixture's headers carry Moodle 4.5's typographic apostrophe"
    grade, feedback = rows[0].index("Note"), rows[0].index("Feedback par commentaires")
    expected = totals(course)
    by_user = {r[2]: (new, r) for new, r in zip(rows[1:], before[1:])}
    assert sorted(by_user) == sorted(PEOPLE), "matched by username (the nbgrader ids)"

    karim, karim_before = by_user.pop("karim_entiers")
    assert karim == karim_before, "a grade Moodle will not change: the whole row as Moodle wrote it"
    assert karim[grade] == "12,00" and karim[feedback] == "<p>Note reportée du rattrapage.</p>"
    warning = [w for w in err.splitlines() if "karim_entiers" in w]
    assert len(warning) == 1 and warning[0].startswith("warning: "), err
    assert "'La note peut être modifiée' = 'Non'" in warning[0] and "locked" in warning[0], warning

    bruno, _ = by_user["bruno_variantes"]
    assert bruno[feedback] == ('<p dir="ltr" style="text-align: left;">Vu en TP : bonne démarche.</p>'
                               + KIT + all_passed(course, "bruno_variantes") + "</p>"), bruno[feedback]
    chloe, _ = by_user["chloe_gradient_somme"]
    assert chloe[feedback].startswith("Revoir la moyenne du gradient.\nBon effort." + KIT), chloe[feedback]
    assert kit_line(chloe[feedback], "chloe_gradient_somme", course).startswith(
        f"{expected['chloe_gradient_somme']:g}/22. À revoir — ")
    for student, (new, old) in by_user.items():
        assert new[grade] == two(expected[student], ","), f"{student}: {new[grade]}"
        untouched = [i for i in range(len(old)) if i not in (grade, feedback)]
        assert [new[i] for i in untouched] == [old[i] for i in untouched], f"{student}: other cells changed"
        if not old[feedback]:
            assert new[feedback] == KIT + html.escape(kit_line(new[feedback], student, course), quote=False) + "</p>"
    assert "12 grades" in said and "1 row(s) left as they were" in said, said
    assert ("Feedback comments: kept the comment already there and added the kit's line after it for 2 student(s); "
            "wrote the kit's line alone for 10 student(s) (no comment there).") in said, said

    again = tmp_path / "again.csv"     # the export run on its own output: nothing added twice
    code, said, err = export(capsys, course, "moodle", "--worksheet", str(out), "--output", str(again))
    assert code == 0, err
    assert again.read_bytes() == out.read_bytes(), "a second export of the filled worksheet changes nothing"
    assert "kit's line of an earlier export was replaced, not repeated, for 12 student(s)" in said, said

    replaced = tmp_path / "replaced.csv"
    code, said, err = export(capsys, course, "moodle", "--worksheet", str(out), "--output", str(replaced),
                             "--replace-feedback")
    assert code == 0, err
    _, rows = read(replaced)
    bruno = next(r for r in rows if r[2] == "bruno_variantes")
    assert bruno[feedback] == KIT + all_passed(course, "bruno_variantes") + "</p>", bruno[feedback]
    karim = next(r for r in rows if r[2] == "karim_entiers")
    assert karim == karim_before, "--replace-feedback leaves a locked row alone too"
    assert "replaced the comment already there by the kit's line for 2 student(s) (--replace-feedback)" in said


def test_moodle_45_worksheet_identified_by_id_number_with_a_typographic_apostrophe(capsys, course, tmp_path):
    """Without the username column, students are found by `Numéro d’identification`."""
    _, rows = read(DATA / "moodle_worksheet_fr_45.csv")
    user = rows[0].index("Nom d\u2019utilisateur")
    worksheet = tmp_path / "worksheet.csv"
    worksheet.write_bytes(("\ufeff" + "".join(
        ",".join(f'"{c}"' if re.search(r'[ ,"\n]', c) else c for c in (r[:user] + r[user + 1:])) + "\n"
        for r in rows)).encode())
    mapping = tmp_path / "students.csv"
    mapping.write_text("student_id,idnumber\n" + "".join(f"{sid},E2025{p[3] % 100:03d}\n" for sid, p in PEOPLE.items()),
                       encoding="utf-8")
    out = tmp_path / "filled.csv"
    code, said, err = export(capsys, course, "moodle", "--worksheet", str(worksheet), "--students", str(mapping),
                             "--output", str(out))
    assert code == 0, err
    _, filled = read(out)
    grade = filled[0].index("Note")
    by_id = {f"E2025{p[3] % 100:03d}": sid for sid, p in PEOPLE.items()}
    expected = totals(course)
    for row in filled[1:]:
        student = by_id[row[user]]
        assert row[grade] == ("12,00" if student == "karim_entiers" else two(expected[student], ",")), row


def test_moodle_english_worksheet_grade_that_cannot_be_changed(capsys, course, tmp_path):
    text = (DATA / "moodle_worksheet_en.csv").read_text(encoding="utf-8-sig")
    text = text.replace("Hugo Avanzini\",hugo.avanzini@univ-exemple.fr,E2025008,\"Submitted for grading\",,100.00,Yes",
                        "Hugo Avanzini\",hugo.avanzini@univ-exemple.fr,E2025008,\"Submitted for grading\",71.00,100.00,No")
    text = text.replace("Karim Entier\",karim.entier@univ-exemple.fr,E2025010,\"Submitted for grading\",,100.00,Yes",
                        "Karim Entier\",karim.entier@univ-exemple.fr,E2025010,\"Submitted for grading\",,100.00,Maybe")
    assert text.count(",No,") == 1 and text.count(",Maybe,") == 1
    worksheet = tmp_path / "worksheet.csv"
    worksheet.write_text(text, encoding="utf-8-sig")
    out = tmp_path / "filled.csv"
    code, said, err = export(capsys, course, "moodle", "--worksheet", str(worksheet), "--output", str(out),
                             "--rescale")
    assert code == 0, err
    _, rows = read(out)
    _, before = read(worksheet)
    for new, old in zip(rows[1:], before[1:]):
        if old[2].startswith(("hugo", "karim")):
            assert new == old, f"{old[1]}: left as it was"
    hugo = [w for w in err.splitlines() if "hugo_avant" in w]
    karim = [w for w in err.splitlines() if "karim_entiers" in w]
    assert len(hugo) == 1 and "'Grade can be changed' = 'No'" in hugo[0] and "locked" in hugo[0], err
    assert len(karim) == 1 and "does not say whether Moodle may change" in karim[0] and "'Maybe'" in karim[0], err
    assert "11 grades" in said and "2 row(s) left as they were" in said, said


def test_canvas_excused_and_unassigned_students_keep_canvass_marks(capsys, course, tmp_path):
    source = DATA / "canvas_export_excused.csv"
    out = tmp_path / "canvas.csv"
    title = "Descente de gradient \u2013 TP d'introduction (2002)"     # typed with an ASCII apostrophe
    code, said, err = export(capsys, course, "canvas", "--gradebook", str(source), "--column", f"{title}=total",
                             "--output", str(out))
    assert code == 0, err
    _, rows = read(out)
    _, before = read(source)
    assert rows[:2] == before[:2]
    column = rows[0].index("Descente de gradient \u2013 TP d\u2019introduction (2002)")
    expected = totals(course)
    logins = {p[2]: sid for sid, p in PEOPLE.items()}
    for new, old in zip(rows[2:], before[2:]):
        assert new[:column] == old[:column] and new[column + 1:] == old[column + 1:], f"{old[0]}: other cells changed"
        if old[0] == "Student, Test":
            continue
        student = logins[old[3]]
        want = {"emma_hors_no_grad": "EX", "farid_w_reaffecte": "N/A"}.get(student, two(expected[student]))
        assert new[column] == want, f"{student}: {new[column]!r} instead of {want!r}"
    warnings = [w for w in err.splitlines() if w.startswith("warning: ") and "test student" not in w.lower()]
    assert len(warnings) == 2, err
    emma = next(w for w in warnings if "emma_hors_no_grad" in w)
    farid = next(w for w in warnings if "farid_w_reaffecte" in w)
    assert "'EX' left as it was (excused in Canvas)" in emma, emma
    assert "'N/A' left as it was (the assignment is not assigned to this student in Canvas)" in farid, farid
    assert "13 students" in said and "2 cell(s) left as Canvas wrote them" in said, said

    code, said, err = export(capsys, course, "canvas", "--gradebook", str(source), "--output",
                             str(tmp_path / "auto.csv"))
    assert code == 0, err
    assert (tmp_path / "auto.csv").read_bytes() == out.read_bytes(), "the column found by its title, as with --column"


def test_canvas_letter_grade_and_excusal_in_any_case_are_left(capsys, course, tmp_path):
    text = (DATA / "canvas_export_excused.csv").read_text(encoding="utf-8")
    text = text.replace("8.00,EX,", "8.00,ex,").replace("7.00,,7.00,7.00,70.00,70.00,21.88,21.88",
                                                        "7.00,B+,7.00,7.00,70.00,70.00,21.88,21.88")
    source = tmp_path / "canvas.csv"
    source.write_text(text, encoding="utf-8")
    out = tmp_path / "filled.csv"
    code, said, err = export(capsys, course, "canvas", "--gradebook", str(source), "--output", str(out))
    assert code == 0, err
    _, rows = read(out)
    column = 7
    cells = {r[3]: r[column] for r in rows[2:]}
    assert cells[PEOPLE["emma_hors_no_grad"][2]] == "ex"
    assert cells[PEOPLE["chloe_gradient_somme"][2]] == "B+"
    assert "'ex' left as it was (excused in Canvas)" in err and "'B+' left as it was (not a number" in err, err


def fr(value: float) -> str:
    return f"{value:g}".replace(".", ",")


def test_manual_grades_and_comments_from_formgrader_reach_every_export(capsys, course, tmp_path):
    """As formgrader's API writes them (Grade.manual_score, Comment.manual_comment), through
    nbgrader's own Gradebook API on the graded gradebook, then every export."""
    before = points(course)
    chloe_nb, chloe_check = next((nb, g) for nb, cells in sorted(before["chloe_gradient_somme"].items())
                                 for g, (got, most) in sorted(cells.items()) if got < most)
    chloe_got, chloe_most = before["chloe_gradient_somme"][chloe_nb][chloe_check]
    alice_nb, alice_check = next((nb, g) for nb, cells in sorted(before["alice_juste"].items())
                                 for g, (got, most) in sorted(cells.items()) if most >= 1)
    alice_got, alice_most = before["alice_juste"][alice_nb][alice_check]
    assert alice_got == alice_most, "alice had every point"
    comment = "Bonne idée, mais <b>relis</b> la consigne\n& le cours."
    with gradebook(course) as gb:
        assignment = gb.assignments[0].name
        raised = gb.find_grade(chloe_check, chloe_nb, assignment, "chloe_gradient_somme")
        raised.manual_score = chloe_most                       # what formgrader's GradeHandler.put writes
        raised.needs_manual_grade = False
        lowered = gb.find_grade(alice_check, alice_nb, assignment, "alice_juste")
        lowered.manual_score = alice_most - 0.5
        lowered.needs_manual_grade = False
        answer = min(gb.find_submission_notebook(alice_nb, assignment, "alice_juste").comments, key=lambda c: c.name)
        answer.manual_comment = comment                        # CommentHandler.put
        answer_cell = answer.name
        gb.db.commit()
    old = {s: sum(v[0] for nb in nbs.values() for v in nb.values()) for s, nbs in before.items()}
    after = totals(course)
    assert after["alice_juste"] == old["alice_juste"] - 0.5
    assert after["chloe_gradient_somme"] == old["chloe_gradient_somme"] + chloe_most - chloe_got
    alice_nb_points = sum(v[0] for v in points(course)["alice_juste"][alice_nb].values())

    csv_out = tmp_path / "moodle.csv"
    code, _, err = export(capsys, course, "moodle", "--output", str(csv_out))
    assert code == 0, err
    _, rows = read(csv_out)
    notebooks = sorted(notebook_maxima(course))
    alice = next(r for r in rows if r[2] == PEOPLE["alice_juste"][2])
    chloe = next(r for r in rows if r[2] == PEOPLE["chloe_gradient_somme"][2])
    assert alice[3 + notebooks.index(alice_nb)] == two(alice_nb_points)
    assert alice[-2] == two(after["alice_juste"]) and chloe[-2] == two(after["chloe_gradient_somme"])
    assert alice[-1] == (f"{fr(after['alice_juste'])}/22. À revoir — {alice_nb} {fr(alice_nb_points)}/"
                         f"{fr(notebook_maxima(course)[alice_nb])} : {alice_check} (note revue par l'enseignant). "
                         f"Commentaire de l'enseignant — {alice_nb} ({answer_cell}) : "
                         "Bonne idée, mais <b>relis</b> la consigne & le cours."), alice[-1]
    check_feedback(course, "chloe_gradient_somme", chloe[-1])     # the raised check is no longer named
    assert not re.search(rf"\b{chloe_check}\b", chloe[-1].split(f"{chloe_nb} ")[1].split(" ; ")[0]), chloe[-1]

    filled = tmp_path / "worksheet.csv"
    code, _, err = export(capsys, course, "moodle", "--worksheet", str(DATA / "moodle_worksheet_fr.csv"),
                          "--output", str(filled))
    assert code == 0, err
    _, rows = read(filled)
    grade, feedback = rows[0].index("Note"), rows[0].index("Feedback par commentaires")
    alice_row = next(r for r in rows if r[2].lower() == PEOPLE["alice_juste"][2])
    assert alice_row[grade] == two(after["alice_juste"], ",")
    assert alice_row[feedback] == KIT + html.escape(alice[-1], quote=False) + "</p>", alice_row[feedback]
    assert "&lt;b&gt;relis&lt;/b&gt; la consigne &amp; le cours" in alice_row[feedback]

    canvas_out = tmp_path / "canvas.csv"
    code, _, err = export(capsys, course, "canvas", "--gradebook", str(DATA / "canvas_export.csv"),
                          "--output", str(canvas_out))
    assert code == 0, err
    _, rows = read(canvas_out)
    column = rows[0].index("Descente de gradient (2002)")
    cells = {r[3]: r[column] for r in rows[2:]}
    assert cells[PEOPLE["alice_juste"][2]] == two(after["alice_juste"])
    assert cells[PEOPLE["chloe_gradient_somme"][2]] == two(after["chloe_gradient_somme"])
