"""Scores back to the platform (autograder/lti/ags.py, outbox.py, passback.py, push.py, cli.py)
against the test platform over real HTTP: the AGS flow (one access token reused, one line item per
assignment, a resubmission replacing the score), the outbox (the platform down during a burst, a
restart, 500 and 429 with Retry-After, refused scores kept and shown by `lti status`, a slow
platform), `lti push` of nbgrader's scores, a manual grade included, and `nbgrader release_feedback`
with the kit's LtiReleaseFeedback (what formgrader's Release Feedback button runs)."""
from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

import pytest

from autograder.lti import outbox, store
from autograder.lti.passback import ScorePassback, drain
from autograder.lti.settings import registration
from lti_platform import Platform
from lti_support import cli, launch_and_record, tool_jwks, wait_until, write_course

CLASS = {f"moodle-user-{100 + i}": f"etudiant{i:02d}" for i in range(1, 13)}
ASSIGNMENT = "devoir1"
T0 = datetime(2026, 11, 20, 14, 30, 5, 123456, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def launched():
    """The platform, and a course whose class launched the tool once (the slow part: nbgrader's
    gradebook made, the tool's keyset served by its command)."""
    import tempfile
    from pathlib import Path

    platform = Platform().start()
    for sub, name in CLASS.items():
        platform.enrol(sub, name, name.capitalize(), "Test", f"{name}@univ-exemple.fr")
    with tempfile.TemporaryDirectory() as tmp:
        course = write_course(Path(tmp) / "cours", platform)
        with tool_jwks(course, platform):
            launch_and_record(platform, course, CLASS)
            yield platform, course
    platform.stop()


@pytest.fixture
def platform(launched):
    platform = launched[0]
    if platform._server is None:            # a test stopped it and failed before starting it again
        platform.start()
    platform.clear_gradebook()
    return platform


@pytest.fixture
def course(launched, platform):
    """The launched course with an empty outbox and no line item known."""
    course = launched[1]
    with store.connect(registration(course).state_file) as db, store.transaction(db):
        db.execute("DELETE FROM outbox")
        db.execute("DELETE FROM lineitems")
    return course


@pytest.fixture
def passback(course):
    started = []

    def start() -> ScorePassback:
        started.append(ScorePassback(course).start())
        return started[-1]

    yield start
    for p in started:
        p.stop()


def graded(platform: Platform, count: int) -> bool:
    return sum(platform.grade(ASSIGNMENT, sub) is not None for sub in CLASS) >= count


def test_scores_reach_the_platform_once_with_one_token_and_one_lineitem(platform, course, passback):
    sender = passback()
    subs = list(CLASS)[:5]
    for i, sub in enumerate(subs):
        assert sender.released(ASSIGNMENT, CLASS[sub], 10 + i, 22, T0 + timedelta(minutes=i))
    wait_until(lambda: graded(platform, 5), 30, "the five scores did not all reach the platform")
    for i, sub in enumerate(subs):
        assert platform.posts_for(ASSIGNMENT, sub) == [platform.results[platform.lineitem_of(ASSIGNMENT)["id"]][sub]]
        body = platform.posts_for(ASSIGNMENT, sub)[0]
        assert (body["scoreGiven"], body["scoreMaximum"], body["activityProgress"], body["gradingProgress"]) == \
            (10 + i, 22, "Completed", "FullyGraded"), body
        assert datetime.fromisoformat(body["timestamp"]) == T0 + timedelta(minutes=i), body["timestamp"]
        assert "\n" not in body["comment"] and f"{10 + i}/22 pour {ASSIGNMENT}" in body["comment"], body["comment"]
    assert platform.token_requests == 1, "the access token was not reused"
    assert platform.lineitem_creations == 1 and platform.lineitem_of(ASSIGNMENT)["scoreMaximum"] == 22
    # The same graded submission released again (serve restarted, feedback released twice): not posted again.
    assert not sender.released(ASSIGNMENT, CLASS[subs[0]], 10, 22, T0)
    time.sleep(0.5)
    assert len(platform.score_posts) == 5


def test_a_resubmission_replaces_the_score(platform, course, passback):
    sender = passback()
    sub = next(iter(CLASS))
    sender.released(ASSIGNMENT, CLASS[sub], 9, 22, T0)
    wait_until(lambda: platform.grade(ASSIGNMENT, sub) == 9, 30, "the first score did not arrive")
    sender.released(ASSIGNMENT, CLASS[sub], 21, 22, T0 + timedelta(hours=1))
    wait_until(lambda: platform.grade(ASSIGNMENT, sub) == 21, 30, "the resubmission's score did not replace it")
    assert platform.lineitem_creations == 1


def test_the_platform_down_during_a_burst_gets_every_score_once_when_back(platform, course, passback):
    sender = passback()
    platform.stop()
    started = time.monotonic()
    for i, (sub, name) in enumerate(CLASS.items()):
        sender.released(ASSIGNMENT, name, i, 22, T0 + timedelta(seconds=i))
    assert time.monotonic() - started < 5, "recording twelve scores waited on the platform"
    time.sleep(1.5)                                       # a few tries fail meanwhile
    status = cli(course, "status")
    assert f"{len(CLASS)} pending" in status.stdout and "unreachable" in status.stdout, status.stdout
    platform.start()
    wait_until(lambda: graded(platform, len(CLASS)), 30, "not every score arrived once the platform was back")
    time.sleep(0.5)
    for i, sub in enumerate(CLASS):
        assert [p["scoreGiven"] for p in platform.posts_for(ASSIGNMENT, sub)] == [i], f"{sub}: not posted once"


def test_a_restart_resumes_what_was_pending(platform, course, passback):
    first = passback()
    platform.stop()
    for i, name in enumerate(list(CLASS.values())[:4]):
        first.released(ASSIGNMENT, name, 20 - i, 22, T0)
    first.stop()                                          # serve stops with four scores unsent
    platform.start()
    passback()                                            # serve starts again
    wait_until(lambda: graded(platform, 4), 30, "the restarted sender did not send what was pending")
    assert sorted(len(platform.posts_for(ASSIGNMENT, sub)) for sub in list(CLASS)[:4]) == [1, 1, 1, 1]


def test_500_and_429_are_retried_and_retry_after_is_honoured(platform, course, passback):
    platform.fail_next(2, 500)
    platform.fail_next(1, 429, retry_after="2")
    sender = passback()
    sub = next(iter(CLASS))
    sender.released(ASSIGNMENT, CLASS[sub], 15, 22, T0)
    wait_until(lambda: platform.grade(ASSIGNMENT, sub) == 15, 30, "the score did not arrive after 500, 500, 429")
    statuses = [(t, status) for t, method, path, status in platform.requests if method == "POST"]
    after_429 = next(i for i, (_, status) in enumerate(statuses) if status == 429)
    waited = statuses[after_429 + 1][0] - statuses[after_429][0]
    assert waited >= 1.9, f"the next request came {waited:.2f} s after a 429 with Retry-After: 2"
    assert [s for _, s in statuses][:3] == [500, 500, 429]


def test_refused_scores_are_kept_with_the_platforms_reason_and_the_others_go(platform, course, passback):
    subs = list(CLASS)
    platform.refuse_user(subs[1])
    sender = passback()
    for sub in subs[:3]:
        sender.released(ASSIGNMENT, CLASS[sub], 11, 22, T0)
    wait_until(lambda: platform.grade(ASSIGNMENT, subs[0]) == 11 and platform.grade(ASSIGNMENT, subs[2]) == 11, 30,
               "the other students' scores did not arrive")
    platform.delete_lineitem(ASSIGNMENT)                  # the teacher deletes the column
    sender.released(ASSIGNMENT, CLASS[subs[3]], 12, 22, T0)
    wait_until(lambda: _count(course, outbox.REFUSED) == 2, 30, "the two refusals were not recorded")
    status = cli(course, "status").stdout
    assert f"refused  {ASSIGNMENT} {CLASS[subs[1]]} 11/22" in status and "User not found in course" in status, status
    assert f"refused  {ASSIGNMENT} {CLASS[subs[3]]} 12/22" in status and "line item was not found" in status, status
    assert "2 posted" in status, status


def _count(course, status: str) -> int:
    with store.connect(registration(course).state_file) as db:
        return sum(e.status == status for e in outbox.entries(db))


def test_a_slow_platform_never_slows_recording(platform, course, passback):
    platform.delay = 1.0
    sender = passback()
    times = []
    for i, name in enumerate(list(CLASS.values())[:6]):
        started = time.monotonic()
        sender.released(ASSIGNMENT, name, i, 22, T0)
        times.append(time.monotonic() - started)
    assert max(times) < 0.5, f"released() took {max(times):.2f} s with a platform answering in 1 s"


def test_the_access_token_is_renewed_when_it_expires(platform, course, passback):
    platform.token_lifetime = 33           # reused for 3 s (renewed 30 s before it expires)
    sender = passback()
    subs = list(CLASS)
    sender.released(ASSIGNMENT, CLASS[subs[0]], 1, 22, T0)
    sender.released(ASSIGNMENT, CLASS[subs[1]], 2, 22, T0)
    wait_until(lambda: graded(platform, 2), 30, "the first two scores did not arrive")
    assert platform.token_requests == 1, "the token was not reused within its lifetime"
    time.sleep(3.5)
    sender.released(ASSIGNMENT, CLASS[subs[2]], 3, 22, T0)
    wait_until(lambda: graded(platform, 3), 30, "the third score did not arrive")
    assert platform.token_requests == 2, "the expired token was not renewed (or renewed too often)"


def test_a_score_waits_for_the_students_first_launch(platform, course):
    platform.enrol("moodle-user-900", "tardif", "Tom", "Tardif", "tom@univ-exemple.fr")
    reg = registration(course)
    ScorePassback(course).released(ASSIGNMENT, "tardif", 17, 22, T0)
    assert drain(reg, time.monotonic() + 10).waiting, "a score for a student never launched was not kept waiting"
    assert "waiting for the student's first launch" in cli(course, "status").stdout
    launch_and_record(platform, course, ["moodle-user-900"])
    assert len(drain(reg, time.monotonic() + 10).posted) == 1
    assert platform.grade(ASSIGNMENT, "moodle-user-900") == 17


def _gradebook_with_scores(course, students: dict[str, tuple[float, float]], assignment: str = ASSIGNMENT) -> None:
    """nbgrader's gradebook of an assignment of two notebooks (4 + 6 points), each student's
    submission with these automatic scores, through nbgrader's API."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        gb.add_assignment(assignment)
        for nb, points in (("partie1", 4), ("partie2", 6)):
            gb.add_notebook(nb, assignment)
            gb.add_grade_cell("test_" + nb, nb, assignment, max_score=points, cell_type="code")
        for i, (student, (first, second)) in enumerate(students.items()):
            gb.add_submission(assignment, student).timestamp = (T0 + timedelta(minutes=i)).replace(tzinfo=None)
            for nb, score in (("partie1", first), ("partie2", second)):
                grade = gb.find_grade("test_" + nb, nb, assignment, student)
                grade.auto_score = score
            gb.db.commit()


def test_push_sends_nbgraders_scores_and_a_manual_grade(platform, course):
    names = list(CLASS.values())[:3]
    _gradebook_with_scores(course, {names[0]: (4, 6), names[1]: (2, 3), names[2]: (0, 6)})
    pushed = cli(course, "push", ASSIGNMENT)
    assert pushed.returncode == 0, pushed.stdout + pushed.stderr
    assert "3 scores to send" in pushed.stdout and "posted 3" in pushed.stdout, pushed.stdout
    subs = {name: sub for sub, name in CLASS.items()}
    assert [platform.grade(ASSIGNMENT, subs[n]) for n in names] == [10, 5, 6]
    # A manual grade in formgrader (nbgrader's manual_score over the automatic one), then push again.
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        gb.find_grade("test_partie1", "partie1", ASSIGNMENT, names[1]).manual_score = 4
        gb.db.commit()
    pushed = cli(course, "push", ASSIGNMENT)
    assert "1 scores to send, 2 already sent" in pushed.stdout and "posted 1" in pushed.stdout, pushed.stdout
    assert platform.grade(ASSIGNMENT, subs[names[1]]) == 7
    assert cli(course, "push").stdout.startswith(f"{ASSIGNMENT}: 0 scores to send, 3 already sent")
    assert len(platform.score_posts) == 4, "a score was posted twice"
    with sqlite3.connect(course / "lti" / "lti.sqlite") as db:
        assert db.execute("SELECT COUNT(*) FROM outbox WHERE status = 'posted'").fetchone()[0] == 3


def test_the_same_submission_from_serve_and_from_push_is_one_entry(course):
    """serve gives nbgrader's timestamp (naive UTC, or aware), push reads it from the gradebook: one key."""
    reg = registration(course)
    with store.connect(reg.state_file) as db:
        assert outbox.record(db, "etudiant01", ASSIGNMENT, T0.replace(tzinfo=None), 5, 22, "x")
        assert not outbox.record(db, "etudiant01", ASSIGNMENT, T0, 5, 22, "y")
        assert not outbox.record(db, "etudiant01", ASSIGNMENT, T0.isoformat(), 5, 22, "z")
        assert len(outbox.entries(db)) == 1


def test_release_feedback_queues_the_released_students_changed_scores(platform, course, tmp_path):
    """`nbgrader release_feedback` with LtiReleaseFeedback: the pages are released as nbgrader
    releases them, and the released students' scores (only theirs) are queued, then posted; a
    second release queues nothing; after a manual grade, only that score."""
    from nbgrader.api import Gradebook

    assignment = "devoir_retour"
    names = list(CLASS.values())[3:6]
    _gradebook_with_scores(course, {names[0]: (4, 6), names[1]: (2, 3), names[2]: (1, 1)}, assignment)
    for name in names[:2]:                       # nbgrader generate_feedback's output for two of the three
        folder = course / "feedback" / name / assignment
        folder.mkdir(parents=True)
        (folder / "partie1.html").write_text("<p>retour</p>")
        (folder / "timestamp.txt").write_text("2026-11-20 14:30:05.123456 UTC")
        (folder / "submission_secret.txt").write_text(f"secret-{name}")

    def release() -> str:
        done = subprocess.run([sys.executable, "-m", "nbgrader", "release_feedback", assignment,
                               f"--Exchange.root={tmp_path}",
                               "--ExchangeFactory.release_feedback=autograder.nbgrader_exchange.LtiReleaseFeedback"],
                              cwd=course, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout + done.stderr

    out = release()
    assert f"LTI: 2 score(s) of {assignment} queued for the platform ({names[0]}, {names[1]}), 0 unchanged" in out, out
    assert len(list((tmp_path / "cours_lti" / "feedback").glob("*.html"))) == 2, "nbgrader's release is done as before"
    assert len(drain(registration(course), time.monotonic() + 10).posted) == 2
    subs = {name: sub for sub, name in CLASS.items()}
    assert [platform.grade(assignment, subs[n]) for n in names] == [10, 5, None]
    assert f"0 score(s) of {assignment} queued for the platform (none), 2 unchanged" in release()
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        gb.find_grade("test_partie2", "partie2", assignment, names[1]).manual_score = 6
        gb.db.commit()
    assert f"1 score(s) of {assignment} queued for the platform ({names[1]}), 1 unchanged" in release()
    assert len(drain(registration(course), time.monotonic() + 10).posted) == 1
    assert platform.grade(assignment, subs[names[1]]) == 8
