"""`run_gradebooks` / `RunGradebook` (autograder/grader/gradebook.py) held to plain nbgrader.

A small real gradebook is made with nbgrader's own API; the same reads and writes are done
through the run's gradebook and through nbgrader's `Gradebook` (or a plain sqlite3 connection),
and the results compared."""
from __future__ import annotations

import contextlib
import importlib
import re
import shutil
import sqlite3
import warnings
from datetime import datetime, timedelta

import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from nbgrader import api, utils
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.plugins import LateSubmissionPlugin
from nbgrader.preprocessors import AssignLatePenalties, SaveAutoGrades
from sqlalchemy import event
from sqlalchemy.exc import SAWarning
from sqlalchemy.engine import Engine

from autograder.grader.gradebook import RunGradebook, run_gradebooks

ASSIGNMENT, NOTEBOOK, LATE, ON_TIME = "ps1", "p1", "alice", "bob"
DUE = datetime(2024, 3, 1, 12, 0)
POINTS = {"test1": 2.0, "test2": 3.0, "answer": 1.0}       # grade cells ("answer" is also a solution cell)
GRADED = (*POINTS, "task1")                                  # the names find_grade knows (grade and task cells)
COMMENTED = ("answer", "code_sol", "task1")                  # the names find_comment knows (solution and task cells)
PRIOR = {"test1": 0.0, "test2": 3.0, "answer": 1.0}          # alice's auto scores from an earlier grading
# what SaveAutoGrades gives alice's notebook below: test1 passes, test2 fails, answer left as released
NEW = {"test1": 2.0, "test2": 0.0, "answer": 0.0, "task1": None}
USERS = ("nbgrader.preprocessors.saveautogrades", "nbgrader.preprocessors.latesubmissions",
         "nbgrader.preprocessors.overwritecells", "nbgrader.converters.autograde")


def url(path) -> str:
    return f"sqlite:///{path}"


def run_gradebook(path) -> Gradebook:
    """`Gradebook(url)` as nbgrader's SaveAutoGrades gets it (the run's one inside run_gradebooks)."""
    return importlib.import_module("nbgrader.preprocessors.saveautogrades").Gradebook(url(path))


def sql(path, query: str, *args) -> list[tuple]:
    with contextlib.closing(sqlite3.connect(path)) as db:
        return db.execute(query, args).fetchall()


def saved_grade(path, cell: str, student: str = LATE):
    """The grade row of `cell` for `student`, read with sqlite3, not nbgrader."""
    return sql(path, "SELECT g.auto_score, g.manual_score FROM grade g JOIN base_cell c ON c.id = g.cell_id "
                     "JOIN submitted_notebook n ON n.id = g.notebook_id "
                     "JOIN submitted_assignment a ON a.id = n.assignment_id "
                     "WHERE c.name = ? AND c.type IN ('GradeCell', 'TaskCell') AND a.student_id = ?", cell, student)[0]


def submitted_notebook():
    """alice's p1 after execution: test1 passes, test2 raised, the written answer is the released
    text (its checksum unchanged), code_sol was answered, task1 is a task."""
    def marked(cell, **meta):
        cell.metadata["nbgrader"] = {"grade": False, "solution": False, "task": False, "locked": False,
                                     "schema_version": 3, **meta}
        return cell

    test1 = marked(new_code_cell("assert True"), grade=True, locked=True, grade_id="test1", points=2)
    test2 = marked(new_code_cell("assert False", outputs=[new_output(
        "error", ename="AssertionError", evalue="", traceback=[])]), grade=True, locked=True, grade_id="test2", points=3)
    answer = marked(new_markdown_cell("YOUR ANSWER HERE"), grade=True, solution=True, grade_id="answer", points=1)
    code_sol = marked(new_code_cell("# YOUR CODE HERE"), solution=True, grade_id="code_sol")
    task1 = marked(new_markdown_cell("Describe the result."), task=True, locked=True, grade_id="task1", points=1)
    for cell in (answer, code_sol):
        cell.metadata.nbgrader["checksum"] = utils.compute_checksum(cell)
    code_sol.source = "x = 1"
    return new_notebook(cells=[test1, test2, answer, code_sol, task1])


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """A gradebook made by nbgrader: ps1/p1 with the cells above, alice late (with the scores of
    an earlier grading), bob on time."""
    path = tmp_path_factory.mktemp("template") / "gradebook.db"
    with Gradebook(url(path)) as gb:
        gb.add_assignment(ASSIGNMENT, duedate=DUE)
        gb.add_notebook(NOTEBOOK, ASSIGNMENT)
        for name, points in POINTS.items():
            gb.add_grade_cell(name, NOTEBOOK, ASSIGNMENT, max_score=points,
                              cell_type="markdown" if name == "answer" else "code")
        for name in ("answer", "code_sol"):
            gb.add_solution_cell(name, NOTEBOOK, ASSIGNMENT)
        gb.add_task_cell("task1", NOTEBOOK, ASSIGNMENT, max_score=1.0, cell_type="markdown")
        for cell in submitted_notebook().cells:
            gb.add_source_cell(cell.metadata.nbgrader["grade_id"], NOTEBOOK, ASSIGNMENT, cell_type=cell.cell_type,
                               source=cell.source, locked=cell.metadata.nbgrader["locked"],
                               checksum=utils.compute_checksum(cell))
        gb.add_student(LATE)
        gb.add_student(ON_TIME)
        with warnings.catch_warnings():      # nbgrader's add_submission autoflushes halfway: harmless
            warnings.simplefilter("ignore", SAWarning)
            gb.add_submission(ASSIGNMENT, LATE, timestamp=DUE + timedelta(hours=5))
            gb.add_submission(ASSIGNMENT, ON_TIME, timestamp=DUE - timedelta(hours=1))
        for name, score in PRIOR.items():
            gb.find_grade(name, NOTEBOOK, ASSIGNMENT, LATE).auto_score = score
        gb.db.commit()
    return path


@pytest.fixture
def db(template, tmp_path):
    """A fresh copy of the template gradebook."""
    return shutil.copy(template, tmp_path / "gradebook.db")


def nbgrader_rows(path, student: str = LATE) -> dict:
    """Plain nbgrader's view of a submission notebook: its grades, comments and late penalty."""
    with Gradebook(url(path)) as gb:
        grades = {name: gb.find_grade(name, NOTEBOOK, ASSIGNMENT, student) for name in GRADED}
        comments = {name: gb.find_comment(name, NOTEBOOK, ASSIGNMENT, student) for name in COMMENTED}
        return {
            "grades": {name: (g.id, g.cell_id, type(g.cell).__name__, g.auto_score, g.needs_manual_grade,
                              g.manual_score) for name, g in grades.items()},
            "comments": {name: (c.id, c.cell_id, type(c.cell).__name__, c.auto_comment, c.manual_comment)
                         for name, c in comments.items()},
            "penalty": gb.find_submission_notebook(NOTEBOOK, ASSIGNMENT, student).late_submission_penalty,
        }


def test_nbgrader_modules_get_one_run_gradebook_and_their_own_class_back(db):
    modules = [importlib.import_module(name) for name in USERS]
    create_engine = api.create_engine
    with run_gradebooks(url(db)):
        opened = [m.Gradebook(url(db)) for m in modules for _ in range(2)]
        assert all(isinstance(gb, RunGradebook) for gb in opened), \
            f"nbgrader's modules should open the run's RunGradebook, got {set(map(type, opened))}"
        assert all(gb is opened[0] for gb in opened), \
            "every Gradebook(url) opened during the run should be the same RunGradebook (one per url and course)"
    assert [m.Gradebook for m in modules] == [Gradebook] * len(modules), \
        "after the run, nbgrader's modules should have nbgrader's Gradebook back"
    assert api.create_engine is create_engine, "after the run, nbgrader's create_engine should be restored"

    with pytest.raises(RuntimeError), run_gradebooks(url(db)):
        raise RuntimeError("a run that fails")
    assert [m.Gradebook for m in modules] == [Gradebook] * len(modules), \
        "a run that raises should restore nbgrader's Gradebook as well"


def test_a_block_that_raises_is_rolled_back_and_the_earlier_block_stays_committed(db):
    with run_gradebooks(url(db)):
        gb = run_gradebook(db)
        with gb:
            gb.add_student("carol")
            gb.find_grade("test1", NOTEBOOK, ASSIGNMENT, LATE).auto_score = 1.5
            gb.db.commit()
        with pytest.raises(RuntimeError), gb:
            gb.add_student("dave")
            gb.find_grade("test1", NOTEBOOK, ASSIGNMENT, LATE).auto_score = 99.0
            gb.find_comment("code_sol", NOTEBOOK, ASSIGNMENT, LATE).manual_comment = "lost"
            gb.db.commit()
            raise RuntimeError("grading failed halfway")
        with gb:
            assert gb.find_grade("test1", NOTEBOOK, ASSIGNMENT, LATE).auto_score == 1.5, \
                "within the run, the grade should be back to the first block's value after the rollback"

    students = {row[0] for row in sql(db, "SELECT id FROM student")}
    assert "carol" in students, "the student added by the completed block should be committed"
    assert "dave" not in students, "the student added by the block that raised should be rolled back"
    assert saved_grade(db, "test1")[0] == 1.5, \
        "test1 should keep the completed block's auto_score, not the one set in the block that raised"
    rows = nbgrader_rows(db)
    assert rows["comments"]["code_sol"][4] is None, "the comment set in the block that raised should be rolled back"


def test_find_grade_and_find_comment_are_nbgrader_rows_and_changes_are_saved(db):
    expected = {student: nbgrader_rows(db, student) for student in (LATE, ON_TIME)}
    with run_gradebooks(url(db)):
        gb = run_gradebook(db)
        with gb:
            for student in (LATE, ON_TIME):
                grades = {n: gb.find_grade(n, NOTEBOOK, ASSIGNMENT, student) for n in GRADED}
                comments = {n: gb.find_comment(n, NOTEBOOK, ASSIGNMENT, student) for n in COMMENTED}
                found = {"grades": {n: (g.id, g.cell_id, type(g.cell).__name__) for n, g in grades.items()},
                         "comments": {n: (c.id, c.cell_id, type(c.cell).__name__) for n, c in comments.items()}}
                want = {kind: {n: row[:3] for n, row in expected[student][kind].items()}
                        for kind in ("grades", "comments")}
                assert found == want, f"{student}: the run's rows (id, cell id, cell type) should be nbgrader's"
                for n, g in grades.items():
                    assert g is Gradebook.find_grade(gb, n, NOTEBOOK, ASSIGNMENT, student), \
                        f"{student}/{n}: find_grade should return the session's object, the one nbgrader's query gives"
                for n, c in comments.items():
                    assert c is Gradebook.find_comment(gb, n, NOTEBOOK, ASSIGNMENT, student), \
                        f"{student}/{n}: find_comment should return the session's object, the one nbgrader's query gives"
                if student == LATE:
                    for i, g in enumerate(grades.values()):
                        g.manual_score = 0.5 + i
                    for c in comments.values():
                        c.manual_comment = f"seen {c.cell.name}"
                    gb.db.commit()

    after = nbgrader_rows(db)
    assert {n: row[5] for n, row in after["grades"].items()} == {n: 0.5 + i for i, n in enumerate(GRADED)}, \
        "the manual scores set through find_grade should be saved at the end of the block"
    assert {n: row[4] for n, row in after["comments"].items()} == {n: f"seen {n}" for n in COMMENTED}, \
        "the comments set through find_comment should be saved at the end of the block"
    assert nbgrader_rows(db, ON_TIME) == expected[ON_TIME], "bob's rows should not have changed"


def test_the_rows_are_read_again_in_each_block(db):
    with run_gradebooks(url(db)):
        gb = run_gradebook(db)
        with gb:
            before = gb.find_grade("test1", NOTEBOOK, ASSIGNMENT, ON_TIME).id
        with gb, warnings.catch_warnings():
            warnings.simplefilter("ignore", SAWarning)
            gb.remove_submission(ASSIGNMENT, ON_TIME)      # bob's grade rows replaced by new ones
            gb.add_submission(ASSIGNMENT, ON_TIME)
        with gb:
            after = gb.find_grade("test1", NOTEBOOK, ASSIGNMENT, ON_TIME).id
    assert after != before, "bob's submission was made again: its grade should be a new row"
    assert after == nbgrader_rows(db, ON_TIME)["grades"]["test1"][0], \
        "a later block should find the grade row nbgrader finds now, not one remembered from an earlier block"


@pytest.mark.parametrize("find, name, student", [
    ("find_grade", "no_such_cell", LATE),
    ("find_grade", "code_sol", LATE),          # a solution cell only: it has a comment, no grade
    ("find_comment", "test1", LATE),           # a grade cell only: it has a grade, no comment
    ("find_grade", "test1", "nobody"),
    ("find_comment", "answer", "nobody"),
])
def test_a_cell_nbgrader_does_not_find_raises_missing_entry(db, find, name, student):
    with Gradebook(url(db)) as plain, pytest.raises(MissingEntry):
        getattr(plain, find)(name, NOTEBOOK, ASSIGNMENT, student)   # the case is a miss for nbgrader
    with run_gradebooks(url(db)):
        gb = run_gradebook(db)
        with pytest.raises(MissingEntry):
            getattr(gb, find)(name, NOTEBOOK, ASSIGNMENT, student)   # outside a block
        with gb:
            gb.find_grade("test1", NOTEBOOK, ASSIGNMENT, LATE)          # the notebook's rows are loaded
            with pytest.raises(MissingEntry):
                getattr(gb, find)(name, NOTEBOOK, ASSIGNMENT, student)


class HalfOfScore(LateSubmissionPlugin):
    """A late penalty that depends on the notebook's score, so that a stale score shows."""

    def late_submission_penalty(self, student_id, score, total_seconds_late):
        return score / 2


def save_auto_grades_and_late_penalty(path) -> None:
    """nbgrader's SaveAutoGrades then AssignLatePenalties on alice's notebook, as autograde runs them."""
    resources = {"nbgrader": {"notebook": NOTEBOOK, "assignment": ASSIGNMENT, "student": LATE, "db_url": url(path)}}
    nb, resources = SaveAutoGrades().preprocess(submitted_notebook(), resources)
    AssignLatePenalties(plugin_class=HalfOfScore).preprocess(nb, resources)


def test_the_late_penalty_reads_the_new_scores_as_with_plain_nbgrader(template, tmp_path):
    plain, run = (shutil.copy(template, tmp_path / f"{name}.db") for name in ("plain", "run"))
    save_auto_grades_and_late_penalty(plain)
    with run_gradebooks(url(run)):
        with run_gradebook(run) as gb:       # the notebook and its old score loaded in an earlier block
            old = gb.find_submission_notebook(NOTEBOOK, ASSIGNMENT, LATE).score
        save_auto_grades_and_late_penalty(run)

    assert old == sum(PRIOR.values()), "the earlier block should have read the previous score"
    expected = nbgrader_rows(plain)
    assert {n: row[3] for n, row in expected["grades"].items()} == NEW, \
        "plain nbgrader should give the auto scores this test is written for"
    assert expected["penalty"] == sum(s or 0 for s in NEW.values()) / 2 != old / 2, \
        "plain nbgrader's late penalty should be half the new score (and differ from half the old one)"
    got = nbgrader_rows(run)
    assert got["grades"] == expected["grades"], \
        "auto_score / needs_manual_grade of each grade should be what plain nbgrader saves"
    assert got["comments"] == expected["comments"], "auto comments should be what plain nbgrader saves"
    assert got["penalty"] == expected["penalty"], \
        f"the late penalty should be computed from the new score as nbgrader does, got {got['penalty']}"


@contextlib.contextmanager
def statements():
    """The SQL statements every engine runs meanwhile."""
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)
    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", record)


def reads_of(table: str, seen: list[str]) -> int:
    return sum(1 for s in seen if s.lstrip().startswith("SELECT") and re.search(rf"\bFROM {table}\b", s))


def test_save_auto_grades_reads_the_grades_and_the_comments_once_per_notebook(template, tmp_path):
    resources = lambda path: {"nbgrader": {"notebook": NOTEBOOK, "assignment": ASSIGNMENT, "student": LATE,
                                           "db_url": url(path)}}
    plain, run = (shutil.copy(template, tmp_path / f"{name}.db") for name in ("plain", "run"))
    with statements() as by_nbgrader:
        SaveAutoGrades().preprocess(submitted_notebook(), resources(plain))
    with run_gradebooks(url(run)):
        run_gradebook(run)                   # opened before: what a run does once is not counted
        with statements() as by_run:
            SaveAutoGrades().preprocess(submitted_notebook(), resources(run))

    assert reads_of("grade", by_nbgrader) >= len(POINTS) and reads_of("comment", by_nbgrader) >= len(COMMENTED), \
        "plain nbgrader should read one grade per grade cell, one comment per solution or task cell"
    assert (reads_of("grade", by_run), reads_of("comment", by_run)) == (1, 1), \
        f"the run's gradebook should read the notebook's grades once and its comments once:\n" + "\n".join(by_run)
    assert nbgrader_rows(run) == nbgrader_rows(plain), "both should save the same grades and comments"


def test_the_journal_mode_is_back_to_delete_after_the_run(db):
    journal = lambda: sql(db, "PRAGMA journal_mode")[0][0]
    assert journal() == "delete", "nbgrader's gradebook should start in rollback-journal mode"
    with run_gradebooks(url(db)):
        with run_gradebook(db) as gb:
            gb.find_grade("test1", NOTEBOOK, ASSIGNMENT, LATE).auto_score = 1.0
        assert journal() == "wal", "during the run, the database should be in WAL mode"
    assert journal() == "delete", "after the run, the journal mode should be back to nbgrader's (delete)"


def test_a_block_whose_commit_fails_leaves_the_next_block_working(tmp_path):
    """A commit that fails at the end of a block (here: two students with the same id, which
    nbgrader's schema refuses) is rolled back, so that the next notebook's block still saves."""
    import sqlite3

    from nbgrader.api import Student
    from sqlalchemy.exc import IntegrityError

    url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    with Gradebook(url) as gb:
        gb.add_student("zoe")
    with run_gradebooks(url):
        book = importlib.import_module("nbgrader.preprocessors.saveautogrades").Gradebook(url)
        assert isinstance(book, RunGradebook)
        with pytest.raises(IntegrityError):
            with book:
                book.db.add(Student(id="zoe"))       # deferred: fails only when the block commits
        with book:
            book.add_student("yann")
    with sqlite3.connect(tmp_path / "gradebook.db") as db:
        students = sorted(row[0] for row in db.execute("select id from student"))
    assert students == ["yann", "zoe"], students
