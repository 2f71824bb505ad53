"""serve's policies (`c.ServicePolicy` in nbgrader_config.py) and the submissions it refuses, with
a real nbgrader exchange and students running the real nbgrader commands.

- feedback on at most N submissions per student and window: the next one waits for its slot;
- hidden checks' messages hidden before the due date: the page says the check failed, the
  gradebook and autograded/ keep everything;
- a student id that is not a plain name: not collected, a French note as its feedback; a
  notebook that is not one, or too large: scored 0 with its reason; none stops anyone else's
  grading.
"""
from __future__ import annotations

import html
import json
import shutil
import time
from datetime import datetime, timedelta, timezone


from autograder.grader.submission_files import MAX_CELLS
from autograder.service.policy import HIDDEN_BEFORE_DEADLINE, RELEASES_FILE, plain_name
from service_support import (ASSIGNMENT, Process, Student, course_id, error_in_page, graded_lines,
                             make_course_with_exchange, notebooks_of)
from test_service import RIGHT, WRONG, kit_scores, submission_scores

WINDOW = 45   # seconds: the policy's hour, shortened for the test (longer than a `nbgrader submit`)
STEP1, STEP2 = "etape1_numpy", "etape2_autograd"



def with_policy(course, **traits) -> None:
    with open(course / "nbgrader_config.py", "a") as config:
        for name, value in traits.items():
            config.write(f"c.ServicePolicy.{name} = {value!r}\n")


def set_due_date(course, due: datetime) -> None:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        gb.update_or_create_assignment(ASSIGNMENT, duedate=due.astimezone(timezone.utc).replace(tzinfo=None))


def test_plain_names():
    assert all(plain_name(s) for s in ("alice", "jean.dupont", "e12345", "m_a-x@ecole"))
    assert not any(plain_name(s) for s in ("..", "a..b", ".cache", "a b", "a+b", "élodie", "a/b", "", "x" * 101))


def test_feedback_per_hour_and_hidden_messages_before_the_due_date(tmp_path, processes):
    expected, messages = kit_scores(tmp_path / "ref", notebooks_of(WRONG))
    right, _ = kit_scores(tmp_path / "ref2", notebooks_of(RIGHT))
    course = make_course_with_exchange(tmp_path)
    with_policy(course, feedback_per_hour=1, limit_window_seconds=float(WINDOW), hidden_messages_before_deadline=False)
    set_due_date(course, datetime.now(timezone.utc) + timedelta(days=7))
    serve = Process(["serve", ASSIGNMENT], course, tmp_path / "serve.log")
    processes.append(serve)
    chloe = Student("chloe", tmp_path, tmp_path / "exchange")
    chloe.fetch()
    serve.wait_for("serving ", timeout=180)

    # 1. A mistake in step 1 (the gradient summed): graded. 2. At once a second submission, right:
    #    over the limit of one per window, it waits for the next slot.
    chloe.fill(notebooks_of(WRONG))
    chloe.submit()
    serve.wait_for("graded chloe", timeout=120)
    first_seen = time.monotonic()
    chloe.fill(notebooks_of(RIGHT))
    chloe.submit()
    serve.wait_for("chloe: feedback on 1 submission(s)", timeout=60)
    assert len(graded_lines(serve.output)) == 1

    # The first one's page hides the hidden check's message; the gradebook and autograded/ do not.
    assert submission_scores(course) == {"chloe": expected}, "the policy must not change the score"
    page, = [p for ps in chloe.fetch_feedback().values() for p in ps if p.stem == STEP1]
    assert error_in_page(page.read_text(encoding="utf-8"), "test_gradient") == f"AssertionError: {HIDDEN_BEFORE_DEADLINE}"
    autograded = json.loads((course / "autograded" / "chloe" / ASSIGNMENT / f"{STEP1}.ipynb").read_text())
    kept = [o["evalue"] for c in autograded["cells"] for o in c.get("outputs", [])
            if c["metadata"].get("nbgrader", {}).get("grade_id") == "test_gradient" and o["output_type"] == "error"]
    assert kept == [messages["test_gradient"]], "autograded/ keeps the check's own message"
    summary = html.unescape((course / "feedback" / "chloe" / ASSIGNMENT / "resume.html").read_text(encoding="utf-8"))
    assert HIDDEN_BEFORE_DEADLINE in summary and messages["test_gradient"].splitlines()[0] not in summary, \
        "the kit's summary page released with nbgrader's hides the message too"

    out = serve.wait_for("graded chloe", timeout=WINDOW + 120, count=2)
    waited = time.monotonic() - first_seen
    assert waited >= WINDOW - 1, f"graded {waited:.1f} s after the first feedback, before its slot:\n{out}"
    assert submission_scores(course) == {"chloe": right}
    # on disk for a restart: the second release only (the first is older than the window)
    assert len(json.loads((course / RELEASES_FILE).read_text())[ASSIGNMENT]["chloe"]) == 1
    assert serve.interrupt() == 0, serve.output


def test_a_due_date_set_while_serve_runs_counts_from_the_next_page(tmp_path, monkeypatch):
    """serve's reading of the due date (the hidden-messages policy), before its first submission and
    once its run gradebook is open, follows the real `nbgrader db assignment add --duedate`."""
    from autograder.grader.gradebook import run_gradebooks
    from autograder.nbgrader_cli import nbgrader
    from autograder.service.grading import Grading

    course = make_course_with_exchange(tmp_path, release=False)
    monkeypatch.chdir(course)
    grading = Grading(course, ASSIGNMENT, pool=None, jobs=1, wake=lambda: None)
    assert grading.duedate() is None, "generate_assignment set no due date"
    for due in ("2031-01-02 03:04:05", "2020-06-07 08:09:10"):
        with run_gradebooks(f"sqlite:///{course / 'gradebook.db'}"):
            before = grading.duedate()
            nbgrader("db", "assignment", "add", ASSIGNMENT, f"--duedate={due} UTC", root=course)
            after = grading.duedate()
        expected = datetime.fromisoformat(due).replace(tzinfo=timezone.utc).timestamp()
        assert before != expected and after == expected, (due, before, after)


def test_a_student_id_that_is_not_a_plain_name_and_a_notebook_that_is_not_one(tmp_path, processes):
    from nbgrader.utils import notebook_hash

    course = make_course_with_exchange(tmp_path)
    exchange, elsewhere = tmp_path / "exchange", tmp_path / "exchange_elsewhere"
    shutil.copytree(exchange, elsewhere)     # the same release, in an exchange serve does not watch
    serve = Process(["serve", ASSIGNMENT], course, tmp_path / "serve.log")
    processes.append(serve)
    students = {"mallory": Student("mallory", tmp_path, elsewhere),
                **{name: Student(name, tmp_path, exchange) for name in ("oscar", "alice")}}
    for student in students.values():
        student.fetch()
        student.fill(notebooks_of(RIGHT))
    (students["oscar"].folder / f"{STEP1}.ipynb").write_text("ceci n'est pas un notebook", encoding="utf-8")
    too_large = notebooks_of(RIGHT)[f"{STEP2}.ipynb"]       # more cells than the grader sanitizes
    too_large["cells"] += [{"cell_type": "code", "metadata": {}, "source": "", "outputs": [], "execution_count": None}
                           for _ in range(MAX_CELLS + 1 - len(too_large["cells"]))]
    (students["oscar"].folder / f"{STEP2}.ipynb").write_text(json.dumps(too_large), encoding="utf-8")
    serve.wait_for("serving ", timeout=180)

    # mallory's submission, moved into the watched exchange as if the student id were ".."
    students["mallory"].submit()
    inbound = exchange / course_id() / "inbound"
    entry, = (elsewhere / course_id() / "inbound").glob("mallory+*")
    hostile = inbound / entry.name.replace("mallory", "..", 1)
    entry.rename(hostile)
    students["oscar"].submit()
    students["alice"].submit()
    out = serve.wait_for("graded ", timeout=180, count=2)
    out = serve.wait_for("refused ", timeout=60)
    assert {line.split()[1] for line in graded_lines(out)} == {"oscar", "alice"}, out
    assert not (course / ASSIGNMENT).exists(), "collected as submitted/../ (the course root)"
    assert sorted(p.name for p in (course / "submitted").iterdir()) == ["alice", "oscar"]
    secret = (hostile / "submission_secret.txt").read_text()
    note = (exchange / course_id() / "feedback" / f"{notebook_hash(secret=secret, notebook_id=STEP1)}.html").read_text()
    assert "Rendu refusé" in note and "n'est pas un nom simple" in note

    oscar_line, = [line for line in graded_lines(out) if line.split()[1] == "oscar"]
    assert STEP1 in oscar_line and STEP2 in oscar_line, oscar_line   # the console says which notebooks scored 0
    pages = {p.stem: " ".join(html.unescape(p.read_text(encoding="utf-8")).split())   # messages are shown wrapped
             for ps in students["oscar"].fetch_feedback().values() for p in ps}
    assert f"{STEP1}.ipynb n'est pas un notebook lisible" in pages[STEP1]
    assert f"{STEP2}.ipynb a {MAX_CELLS + 1} cellules (au plus {MAX_CELLS})" in pages[STEP2]
    scores = submission_scores(course)
    assert scores["alice"] == 22 and scores["oscar"] < scores["alice"], scores
    assert serve.proc.poll() is None and serve.interrupt() == 0, serve.output
