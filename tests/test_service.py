"""`python -m autograder serve`: grading as `nbgrader submit` brings submissions, embedded (no
queue). A real nbgrader exchange in a temporary folder, students running the real
`nbgrader fetch_assignment` / `submit` / `fetch_feedback`, serve as a subprocess, stopped with
SIGINT as Ctrl-C stops it."""
from __future__ import annotations

import html
import json
import re
import sqlite3
import time
from pathlib import Path


from autograder.grader.autograde import autograde_class
from service_support import (ASSIGNMENT, Process, Student, course_id, graded_lines, in_parallel,
                             make_course_with_exchange, notebooks_of)

RIGHT, WRONG = "alice_juste", "chloe_gradient_somme"   # sample students: all right; step 1's gradient summed


def kit_scores(where: Path, notebooks: dict[str, dict]) -> tuple[float, dict[str, str]]:
    """What the kit's own `autograde_class` gives these notebooks: the total, and the French
    message of each failing test cell ({grade_id: message})."""
    course = make_course_with_exchange(where, release=False)
    folder = course / "submitted" / "ref" / ASSIGNMENT
    folder.mkdir(parents=True)
    for name, nb in notebooks.items():
        (folder / name).write_text(json.dumps(nb), encoding="utf-8")
    (folder / "timestamp.txt").write_text("2026-01-01 09:00:00.000000 UTC")
    autograde_class(course, ASSIGNMENT, jobs=2, stream=open("/dev/null", "w"))
    messages = {}
    for path in (course / "autograded" / "ref" / ASSIGNMENT).glob("*.ipynb"):
        for cell in json.loads(path.read_text())["cells"]:
            for out in cell.get("outputs", []):
                if out.get("output_type") == "error":
                    messages[cell["metadata"]["nbgrader"]["grade_id"]] = out["evalue"]
    return submission_scores(course)["ref"], messages


def submission_scores(course: Path) -> dict[str, float]:
    """{student: total auto score} of the assignment in the course's gradebook."""
    with sqlite3.connect(course / "gradebook.db") as db:
        rows = db.execute("""select sa.student_id, sum(coalesce(g.manual_score, g.auto_score, 0))
                               from grade g join submitted_notebook sn on sn.id = g.notebook_id
                               join submitted_assignment sa on sa.id = sn.assignment_id
                               join assignment a on a.id = sa.assignment_id
                              where a.name = ? group by sa.student_id""", (ASSIGNMENT,)).fetchall()
    return {student: float(score) for student, score in rows}


def notebook_scores(course: Path) -> dict[str, tuple[float, float]]:
    """{notebook: (score, max score)} of the one submission in the course's gradebook."""
    with sqlite3.connect(course / "gradebook.db") as db:
        rows = db.execute("""select n.name, sum(coalesce(g.manual_score, g.auto_score, 0)), sum(gc.max_score)
                               from grade g join grade_cells gc on gc.id = g.cell_id
                               join submitted_notebook sn on sn.id = g.notebook_id
                               join notebook n on n.id = sn.notebook_id group by n.name""").fetchall()
    return {name: (float(score), float(total)) for name, score, total in rows}


def gradebook_submissions(course: Path) -> list[tuple]:
    with sqlite3.connect(course / "gradebook.db") as db:
        return db.execute("select student_id, timestamp from submitted_assignment").fetchall()



def test_a_submission_is_graded_and_its_feedback_fetched(tmp_path, processes):
    course = make_course_with_exchange(tmp_path)
    exchange = tmp_path / "exchange"
    alice, chloe = Student("alice", tmp_path, exchange), Student("chloe", tmp_path, exchange)
    serve = Process(["serve", ASSIGNMENT], course, tmp_path / "serve.log")
    processes.append(serve)
    in_parallel(alice.fetch, chloe.fetch)
    alice.fill(notebooks_of(RIGHT))
    chloe.fill(notebooks_of(WRONG))
    serve.wait_for("serving ", timeout=180)
    in_parallel(alice.submit, chloe.submit)
    out = serve.wait_for("graded ", timeout=120, count=2)
    lines = graded_lines(out)
    assert sorted(line.split()[1] for line in lines) == ["alice", "chloe"], out
    for line in lines:   # one line each: student, score, latency
        assert " s after submit" in line and "/" in line.split()[2], line

    feedback = {}
    in_parallel(lambda: feedback.update(alice=alice.fetch_feedback()),
                lambda: feedback.update(chloe=chloe.fetch_feedback()))
    names = sorted(step for step in notebooks_of(RIGHT))
    for student in ("alice", "chloe"):
        (timestamp, files), = feedback[student].items()   # one submission, its feedback
        assert sorted(f.stem + ".ipynb" for f in files) == names

    right_total, _ = kit_scores(tmp_path / "ref_right", notebooks_of(RIGHT))
    wrong_total, messages = kit_scores(tmp_path / "ref_wrong", notebooks_of(WRONG))
    scores = submission_scores(course)
    assert scores == {"alice": right_total, "chloe": wrong_total}
    assert wrong_total < right_total and messages
    (timestamp, files), = feedback["chloe"].items()
    page = "\n".join(html.unescape(f.read_text()) for f in files)
    for grade_id, message in messages.items():   # the kit's French message of each failing cell
        assert message.splitlines()[0] in page, (grade_id, message)

    assert serve.interrupt() == 0, serve.output   # Ctrl-C: a clean stop
    assert "stopped: 2 submission(s) graded" in serve.output


def test_restart_grades_what_arrived_while_down_and_nothing_twice(tmp_path, processes):
    course = make_course_with_exchange(tmp_path)
    exchange = tmp_path / "exchange"
    alice, bruno = Student("alice", tmp_path, exchange), Student("bruno", tmp_path, exchange)
    in_parallel(alice.fetch, bruno.fetch)
    alice.fill(notebooks_of(WRONG))
    bruno.fill(notebooks_of(RIGHT))
    in_parallel(alice.submit, bruno.submit)          # serve is not running

    first = Process(["serve", ASSIGNMENT], course, tmp_path / "serve1.log")
    processes.append(first)
    out = first.wait_for("graded ", timeout=180, count=2)
    assert "2 submission(s) waiting" in out, out
    assert first.interrupt() == 0, first.output
    assert sorted(line.split()[1] for line in graded_lines(first.output)) == ["alice", "bruno"]
    wrong = submission_scores(course)["alice"]
    stamps = {p: p.stat().st_mtime_ns for p in (course / "autograded").rglob("*.ipynb")}

    alice.fill(notebooks_of(RIGHT))
    alice.submit()                                     # while serve is down again: her second submission
    second = Process(["serve", ASSIGNMENT], course, tmp_path / "serve2.log")
    processes.append(second)
    out = second.wait_for("graded ", timeout=180)
    assert "1 submission(s) waiting" in out, out
    time.sleep(3)                                      # time enough to grade bruno again, if it would
    assert second.interrupt() == 0, second.output
    assert [line.split()[1] for line in graded_lines(second.output)] == ["alice"], second.output
    assert submission_scores(course)["alice"] > wrong  # her latest submission is the one graded
    assert sorted(s for s, _ in gradebook_submissions(course)) == ["alice", "bruno"]
    unchanged = {p: t for p, t in stamps.items() if "bruno" in p.parts}
    assert unchanged and all(p.stat().st_mtime_ns == t for p, t in unchanged.items()), "bruno graded twice"
    feedback = alice.fetch_feedback()
    assert len(feedback) == 2                          # the feedback of each of her two submissions


def feedback_out(exchange: Path, entry: str) -> bool:
    """The feedback of every notebook of this inbound entry is in the exchange, under the names
    `nbgrader fetch_feedback` looks for."""
    from nbgrader.utils import notebook_hash

    folder = exchange / course_id() / "inbound" / entry
    secret = (folder / "submission_secret.txt").read_text()
    return all((exchange / course_id() / "feedback" / f"{notebook_hash(secret=secret, notebook_id=p.stem)}.html").is_file()
               for p in folder.glob("*.ipynb"))


def test_two_submissions_in_the_same_second_both_recorded_the_later_graded(tmp_path, processes):
    course = make_course_with_exchange(tmp_path)
    exchange = tmp_path / "exchange"
    alice = Student("alice", tmp_path, exchange)
    alice.fetch()
    serve = Process(["serve", ASSIGNMENT], course, tmp_path / "serve.log")
    processes.append(serve)
    serve.wait_for("serving ", timeout=180)
    inbound = exchange / course_id() / "inbound"
    alice.submit_at_once(notebooks_of(RIGHT), notebooks_of(WRONG))
    first, later = sorted((p.name for p in inbound.iterdir()), key=lambda entry: entry.split("+")[2])
    stamp = {entry: entry.split("+")[2] for entry in (first, later)}
    assert stamp[first][:19] == stamp[later][:19] and stamp[first] < stamp[later], stamp

    deadline = time.monotonic() + 120
    while not feedback_out(exchange, later):
        assert time.monotonic() < deadline, f"no feedback for the later submission:\n{serve.output}"
        time.sleep(0.1)
    time.sleep(2)                                      # time enough to grade the first one again, if it would
    assert serve.interrupt() == 0, serve.output

    assert sorted(p.name for p in inbound.iterdir()) == sorted([first, later])   # both recorded
    (student, graded_at), = gradebook_submissions(course)
    assert student == "alice" and str(graded_at)[:26] == stamp[later][:26], (graded_at, stamp)
    wrong_total, _ = kit_scores(tmp_path / "ref_wrong", notebooks_of(WRONG))
    right_total, _ = kit_scores(tmp_path / "ref_right", notebooks_of(RIGHT))
    assert submission_scores(course) == {"alice": wrong_total} and wrong_total < right_total
    assert 1 <= len(graded_lines(serve.output)) <= 2, serve.output   # the first too, when serve saw it alone
    pages = alice.fetch_feedback()[stamp[later]]   # each page reads the later submission's grades
    shown = {page.stem: tuple(float(x) for x in re.search(r"Score: ([0-9.]+) / ([0-9.]+)",
                                                          page.read_text(encoding="utf-8")).groups())
             for page in pages}
    assert shown == notebook_scores(course), shown


def test_sigint_on_an_idle_service_exits_0(tmp_path, processes):
    course = make_course_with_exchange(tmp_path)
    serve = Process(["serve", ASSIGNMENT], course, tmp_path / "serve.log")
    processes.append(serve)
    serve.wait_for("serving ", timeout=180)
    assert serve.interrupt() == 0, serve.output
    assert "stopped: 0 submission(s) graded" in serve.output
