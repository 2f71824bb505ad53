"""A real course on a shared JupyterHub, end to end, as docs/deploy.md deploys it: real Unix
accounts (an instructor, two students), JupyterHub 6 with PAM on 127.0.0.1 spawning each student's
server as that student from the kit's shared environment, nbgrader's exchange at a fixed place,
a PostgreSQL gradebook on a server started here, `serve` started from its systemd unit as the
instructor's account (never root), Chromium driven by Playwright as each student.

- each student logs in, fetches with the Assignment List, writes step 1 (one right, one with the
  seed's summed gradient), submits; serve grades both; each fetches their feedback in the browser
  and reads their own French message;
- as each student's account: another student's submission, released feedback and fetched
  feedback, the course's source/ and autograded/, and the gradebook cannot be read;
- a second assignment released while serve runs is served and a submission to it graded;
- bad input: a submission forged under another student's name, a submission holding a link, the
  exchange's modes changed by hand, serve killed mid-grading and started again by its unit.

The slowest tests of the suite (the shared environment's install, then minutes of real servers).
Missing Chromium, PostgreSQL or root is a failure, not a skip: CI installs them and runs as root.
"""
from __future__ import annotations

import html
import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from autograder.courses.descente_gradient.checks.feedback import feedback
from autograder.courses.descente_gradient.course import STEPS
from autograder.nbgrader_cli import ROOT
from autograder.sample_classes import solutions

from .deployment import COURSE_ID, PREFIX, Deployment, Hub, Service, deploy, graded_lines, tear_down
from .lab import ASSIGNMENT, NOTEBOOK, NOTEBOOK_ID, account_uid, chromium, submit_step_one, write_answers

SECOND = "moyenne_variance"
NAMES = {"instructor": ["kite2eprof"], "students": ["kite2ealice", "kite2ebruno"]}
SUM_MESSAGE = "AssertionError: " + feedback("gradient_sum", n=4)
SERVE_START_S, GRADED_S, SPAWN_MS = 300, 300, 180_000
SHOTS = ROOT / "artifacts" / "hub"


@pytest.fixture(scope="module")
def course():
    """The deployed course, JupyterHub up, step 1's assignment released, serve running from its unit."""
    assert os.getuid() == 0, "the end-to-end test creates Unix accounts: it runs as root (CI does)"
    deployment = hub = serve = None
    try:
        deployment = deploy(NAMES, hub_url="http://127.0.0.1:8000")
        deployment.as_instructor("nbgrader", "release_assignment", ASSIGNMENT)
        serve = Service(deployment.unit, deployment.root / "serve.log")
        hub = Hub(deployment.root)
        yield Course(deployment, hub, serve)
    finally:
        for thing in (serve, hub):
            if thing is not None:
                thing.stop()
        tear_down(deployment, NAMES)


class Course:
    def __init__(self, deployment: Deployment, hub: Hub, serve: Service):
        self.deployment, self.hub, self.serve = deployment, hub, serve

    def restart_serve(self, sig: int) -> Service:
        self.serve.stop(sig)
        self.serve = Service(self.deployment.unit, self.deployment.root / "serve.log")
        return self.serve

    def gradebook(self) -> dict:
        return self.deployment.gradebook()


# --- the browser ---------------------------------------------------------------------------------

def _log_in(page, hub_url: str, account) -> None:
    """JupyterHub's login form, then the student's own server (spawned as them) opens JupyterLab."""
    from playwright.sync_api import expect

    page.goto(f"{hub_url}/hub/login")
    page.locator("#username_input").fill(account.name)
    page.locator("#password_input").fill(account.password)
    page.locator("#login_submit").click()
    page.wait_for_url(re.compile(rf".*/user/{account.name}/lab.*"), timeout=SPAWN_MS)
    expect(page.get_by_role("menuitem", name="Nbgrader", exact=True)).to_be_visible(timeout=SPAWN_MS)


def _read_feedback(page, account) -> tuple[str, str]:
    """Fetch Feedback, open the step's page from the list: (the gradient test's error text, or
    "" when it passed; its score heading)."""
    from playwright.sync_api import expect
    from browser.assignment_list import NBGRADER_MS, list_item

    submitted = list_item(page, "submitted", ASSIGNMENT)
    submitted.get_by_role("button", name="Fetch Feedback").click()
    view = submitted.get_by_text("(view feedback)")
    expect(view).to_be_visible(timeout=NBGRADER_MS)
    view.click()
    page.locator(".jp-DirListing-item").filter(has_text=f"{NOTEBOOK_ID}.html").dblclick()
    frame = page.frame_locator(".jp-HTMLViewer iframe")
    expect(frame.locator("h4")).to_contain_text(NOTEBOOK_ID)
    gradient_test = frame.locator(".cell").filter(has=frame.locator("a[name='test_gradient']"))
    heading = gradient_test.locator(".panel-heading").inner_text()
    errors = gradient_test.locator(".output_error")
    page.screenshot(path=str(SHOTS / f"{account.name}_2_feedback.png"))
    return (errors.first.inner_text() if errors.count() else ""), heading


def _points(step: str, grade_id: str) -> float:
    """A test cell's points, as the release notebook gives them."""
    nb = json.loads((ROOT / "release" / ASSIGNMENT / STEPS[step].filename).read_text(encoding="utf-8"))
    return float(next(c["metadata"]["nbgrader"]["points"] for c in nb["cells"]
                      if c["metadata"].get("nbgrader", {}).get("grade_id") == grade_id))


def test_students_submit_in_the_browser_and_read_their_own_feedback(course):
    from playwright.sync_api import expect, sync_playwright
    from browser.assignment_list import TIMEOUT_MS, step_one_answers

    SHOTS.mkdir(parents=True, exist_ok=True)
    expect.set_options(timeout=TIMEOUT_MS)
    alice, bruno = course.deployment.students
    answers = {alice.name: step_one_answers(seed_gradient=False), bruno.name: step_one_answers(seed_gradient=True)}
    course.serve.wait_for("serving ", timeout=SERVE_START_S)
    assert course.serve.user == course.deployment.instructor.name != "root"
    with sync_playwright() as pw:
        browser = chromium(pw)
        try:
            pages = {}
            for account in (alice, bruno):
                page = browser.new_context(viewport={"width": 1280, "height": 1000}).new_page()
                page.set_default_timeout(TIMEOUT_MS)
                _log_in(page, course.hub.url, account)
                submit_step_one(page, COURSE_ID, account, answers[account.name], SHOTS)
                pages[account.name] = page
            out = course.serve.wait_for("graded ", timeout=GRADED_S, count=2)
            for account in (alice, bruno):
                line, = graded_lines(out, account.name)
            seen = {account.name: _read_feedback(pages[account.name], account) for account in (alice, bruno)}
        finally:
            browser.close()
    points = _points("etape1", "test_gradient")
    assert seen[alice.name] == ("", seen[alice.name][1]) and f"Score: {points} / {points}" in seen[alice.name][1], seen
    error, heading = seen[bruno.name]
    assert " ".join(SUM_MESSAGE.split()) in " ".join(error.split()) and f"Score: 0.0 / {points}" in heading, seen
    assert "verifier(" not in error and "BEGIN HIDDEN" not in error, "hidden test source must not reach the student"

    scores = course.gradebook()[ASSIGNMENT]
    assert scores[alice.name][0] > scores[bruno.name][0], scores
    for account in (alice, bruno):   # the kit's summary page came with nbgrader's (FetchFeedbackWithSummary)
        summary, = (account.home / ASSIGNMENT / "feedback").glob("*/resume.html")
        text = " ".join(html.unescape(summary.read_text(encoding="utf-8")).split())
        assert summary.stat().st_uid == account_uid(account) and "Étape 1" in text, summary
        mistake = " ".join(feedback("gradient_sum", n=4).split())[:80]
        assert (mistake in text) == (account is bruno), "each summary names its own student's mistake"
    assert "Traceback" not in course.serve.output, course.serve.output[-3000:]


# --- what each account can read -----------------------------------------------------------------

PROBE = """
import json, sys
import psycopg2
out = {}
for label, path in json.loads(sys.argv[1]).items():
    try:
        if label.startswith("list "):
            __import__("os").listdir(path)
        else:
            open(path, "rb").read(1)
        out[label] = "read"
    except OSError as exc:
        out[label] = type(exc).__name__
for label, role in json.loads(sys.argv[2]).items():
    try:
        psycopg2.connect(host=sys.argv[3], port=int(sys.argv[4]), user=role, dbname="gradebook").close()
        out[label] = "read"
    except psycopg2.OperationalError as exc:
        out[label] = "refused"
print(json.dumps(out))
"""


def _entry(exchange: Path, student: str, assignment: str = ASSIGNMENT) -> Path:
    entries = sorted((exchange / COURSE_ID / "inbound").glob(f"{student}+{assignment}+*"))
    assert entries, f"no inbound entry of {student}"
    return entries[-1]


def _released_page(exchange: Path, entry: Path) -> Path:
    from nbgrader.utils import notebook_hash

    secret = (entry / "submission_secret.txt").read_text()
    return exchange / COURSE_ID / "feedback" / f"{notebook_hash(secret=secret, notebook_id=NOTEBOOK_ID)}.html"


def test_a_student_cannot_read_what_is_not_theirs(course):
    d = course.deployment
    alice, bruno = d.students
    for reader, owner in ((alice, bruno), (bruno, alice)):
        entry = _entry(d.exchange, owner.name)
        theirs = {
            "list inbound": d.exchange / COURSE_ID / "inbound",
            "list released feedback": d.exchange / COURSE_ID / "feedback",
            "their submission": entry / NOTEBOOK,
            "their submission's secret": entry / "submission_secret.txt",
            "their released feedback": _released_page(d.exchange, entry),
            "their fetched feedback": next((owner.home / ASSIGNMENT / "feedback").glob(f"*/{NOTEBOOK_ID}.html")),
            "their notebook": owner.home / ASSIGNMENT / NOTEBOOK,
            "the solutions (source/)": d.course / "source" / ASSIGNMENT / NOTEBOOK,
            "the course's config": d.course / "nbgrader_config.py",
            "their autograded notebook": d.course / "autograded" / owner.name / ASSIGNMENT / NOTEBOOK,
            "their submitted notebook": d.course / "submitted" / owner.name / ASSIGNMENT / NOTEBOOK,
        }
        mine = {"my submission": _entry(d.exchange, reader.name) / NOTEBOOK,
                "my released feedback": _released_page(d.exchange, _entry(d.exchange, reader.name))}
        for label, path in {**theirs, **mine}.items():
            assert label.startswith("list ") or path.is_file(), f"{label}: {path} should exist for the check to mean anything"
        roles = {"the gradebook as the instructor's role": d.instructor.name, "the gradebook as my own role": reader.name}
        out = reader.run(f"{PREFIX}/venv/bin/python", "-c", PROBE,
                         json.dumps({k: str(v) for k, v in {**theirs, **mine}.items()}), json.dumps(roles),
                         str(d.postgres.socket), str(d.postgres.port))
        seen = json.loads(out.strip().splitlines()[-1])
        read = {label for label, what in seen.items() if what == "read"}
        assert read == set(mine), f"as {reader.name}: read {sorted(read - set(mine))}, could not read " \
                                  f"{sorted(set(mine) - read)}; all: {seen}"


# --- the term: a second assignment --------------------------------------------------------------

def test_a_second_assignment_released_while_serve_runs_is_graded(course):
    d = course.deployment
    bruno = d.students[1]
    d.as_instructor("nbgrader", "release_assignment", SECOND)
    course.serve.wait_for(f"serving {SECOND} too", timeout=120)
    bruno.run("nbgrader", "fetch_assignment", SECOND)
    notebooks = sorted(p.name for p in (d.course / "source" / SECOND).glob("*.ipynb"))
    write_answers(bruno, SECOND, {name: solutions(ROOT / "source" / SECOND / name) for name in notebooks})
    bruno.run("nbgrader", "submit", SECOND)
    out = course.serve.wait_for(f"  {SECOND}  ", timeout=GRADED_S)
    line, = graded_lines(out, bruno.name, SECOND)
    earned, total = line.split()[2].split("/")
    assert float(earned) == float(total) > 0, f"the right answers earn every point: {line}"
    assert course.gradebook()[SECOND][bruno.name][0] == float(total)


# --- formgrader, beside the kit -----------------------------------------------------------------

def _formgrader_action(page, hub_url: str, instructor: str, action: str) -> None:
    """Manage Assignments in formgrader: the action's link on the assignment's row, then its modal."""
    from playwright.sync_api import expect

    page.goto(f"{hub_url}/user/{instructor}/formgrader/manage_assignments")
    row = page.locator("tr").filter(has=page.get_by_text(ASSIGNMENT, exact=True))
    row.locator(f".{action} a").click()
    modal = page.locator("#success-modal")
    expect(modal).to_be_visible(timeout=180_000)
    expect(modal).to_contain_text("Successfully")
    page.screenshot(path=str(SHOTS / f"formgrader_{action}.png"))


def test_formgrader_generate_feedback_manual_grade_and_release_keep_the_kits_pages(course):
    """The instructor in formgrader (as docs/deploy.md sets it up): a manual grade with a comment on
    bruno's gradient, Generate Feedback, Release Feedback. nbgrader's pages show no hidden test;
    the kit's summary page is written again by nbgrader's post-convert hook with the manual grade and
    the comment, released with nbgrader's pages and fetched by bruno."""
    from playwright.sync_api import expect, sync_playwright
    from browser.assignment_list import TIMEOUT_MS

    d = course.deployment
    bruno = d.students[1]
    comment = "Revois la moyenne : ton gradient additionne les quatre termes au lieu d'en faire la moyenne."
    before = course.gradebook()[ASSIGNMENT][bruno.name][0]
    assert f"{NOTEBOOK_ID}:test_gradient" in graded_lines(course.serve.output, bruno.name)[0], \
        "the autograder gave bruno's summed gradient 0: the manual grade adds to his score"
    with sync_playwright() as pw:
        browser = chromium(pw)
        try:
            page = browser.new_context(viewport={"width": 1280, "height": 1000}).new_page()
            page.set_default_timeout(TIMEOUT_MS)
            _log_in(page, course.hub.url, d.instructor)
            # Manage Students > bruno > the assignment: his notebooks, each a link to its grading view
            page.goto(f"{course.hub.url}/user/{d.instructor.name}/formgrader/manage_students/{bruno.name}/{ASSIGNMENT}")
            page.get_by_role("link", name=NOTEBOOK_ID, exact=True).click()
            saved = ("/formgrader/api/grade/", "/formgrader/api/comment/")
            for field, value, api in ((page.locator("input.score#test_gradient"), "1.5", saved[0]),
                                      (page.locator("textarea#gradient-comment"), comment, saved[1])):
                # formgrader's views are bound once the grades are loaded: each then shows a placeholder
                expect(field).to_have_attribute("placeholder", re.compile(".+"), timeout=60_000)
                with page.expect_response(lambda r, api=api: api in r.url and r.request.method == "PUT") as put:
                    field.fill(value)
                    field.dispatch_event("change")   # formgrader saves a field on its change event
                assert put.value.ok, f"formgrader could not save {value!r}: {put.value.status}"
            page.screenshot(path=str(SHOTS / "formgrader_manual_grade.png"))
            _formgrader_action(page, course.hub.url, d.instructor.name, "generate-feedback")
            _formgrader_action(page, course.hub.url, d.instructor.name, "release-feedback")
        finally:
            browser.close()

    assert course.gradebook()[ASSIGNMENT][bruno.name][0] == before + 1.5, "formgrader saved the manual grade"
    pages = d.course / "feedback" / bruno.name / ASSIGNMENT
    for page_path in pages.glob("*.html"):
        text = page_path.read_text(encoding="utf-8")
        assert "BEGIN HIDDEN TESTS" not in text and "verifier(" not in text, f"{page_path.name} shows hidden tests"
    bruno.run("nbgrader", "fetch_feedback", ASSIGNMENT)
    latest = sorted((bruno.home / ASSIGNMENT / "feedback").iterdir())[-1]
    summary = " ".join(html.unescape((latest / "resume.html").read_text(encoding="utf-8")).split())
    assert comment in summary and "1.5" in summary, "the summary page shows the instructor's grade and comment"


# --- the doctor ---------------------------------------------------------------------------------

def test_the_doctor_finds_the_deployment_ready_and_names_what_breaks_it(course):
    d = course.deployment
    doctor = [f"{PREFIX}/venv/bin/python", "-m", "autograder", "--course-dir", str(d.course), "doctor",
              "--account", d.instructor.name, "--student", d.students[0].name]
    out = subprocess.run(doctor, capture_output=True, text=True, timeout=300, cwd="/")
    assert out.returncode == 0 and out.stdout.rstrip().endswith("ready"), out.stdout + out.stderr
    assert "FIX" not in out.stdout, out.stdout
    d.course.chmod(0o755)
    try:
        out = subprocess.run(doctor, capture_output=True, text=True, timeout=300, cwd="/")
    finally:
        d.course.chmod(0o700)
    fixes = [line for line in out.stdout.splitlines() if line.strip().startswith("FIX")]
    assert out.returncode == 1 and len(fixes) == 1 and f"chmod 0700 {d.course}" in fixes[0], out.stdout


# --- bad input ----------------------------------------------------------------------------------

def test_a_submission_forged_under_another_name_or_holding_a_link_is_refused(course):
    d = course.deployment
    alice, bruno = d.students
    before = course.gradebook()[ASSIGNMENT]
    bruno.run("nbgrader", "submit", ASSIGNMENT, f"--student={alice.name}")   # bruno's entry, naming alice
    out = course.serve.wait_for(f"is owned by account '{bruno.name}', not by the student it names", timeout=120)
    forged, = [line for line in out.splitlines() if line.startswith("refused ") and "is owned by account" in line]
    assert forged.startswith(f"refused {alice.name}+{ASSIGNMENT}+"), forged

    # an entry made by hand as nbgrader's submit makes one, its notebook a link to the instructor's solutions
    name = f"{bruno.name}+{ASSIGNMENT}+{time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime())}.000000 UTC+handmade01"
    target = d.course / "source" / ASSIGNMENT / NOTEBOOK
    bruno.run("sh", "-c", f"e='{d.exchange / COURSE_ID / 'inbound' / name}'; mkdir \"$e\" && "
                          f"ln -s '{target}' \"$e/{NOTEBOOK}\" && date -u '+%Y-%m-%d %H:%M:%S.000000 UTC' > \"$e/timestamp.txt\" "
                          "&& echo 0123456789abcdef > \"$e/submission_secret.txt\" && chmod 0750 \"$e\"")   # last, as nbgrader submit
    course.serve.wait_for("it holds a symbolic link", timeout=120)
    assert course.gradebook()[ASSIGNMENT] == before, "neither refused entry changed a grade"
    submitted = d.course / "submitted" / bruno.name / ASSIGNMENT / NOTEBOOK
    assert submitted.read_text(encoding="utf-8") != target.read_text(encoding="utf-8"), "the solutions were not collected"


def test_serve_killed_mid_grading_and_modes_changed_by_hand(course):
    """The unit restarts serve after a SIGKILL while it grades alice's new submission (her step 1
    sleeps, so the kill lands after the collect and before the release); meanwhile the instructor
    opened inbound to everyone by hand. The next start puts the mode back, grades the submission
    once, and loses nothing."""
    d = course.deployment
    alice = d.students[0]
    inbound = d.exchange / COURSE_ID / "inbound"
    slow = solutions(ROOT / "source" / ASSIGNMENT / NOTEBOOK)
    slow["avant"] = "import time\ntime.sleep(4)\n" + slow["avant"]
    write_answers(alice, ASSIGNMENT, {NOTEBOOK: slow})
    alice.run("nbgrader", "submit", ASSIGNMENT)
    stamp = (_entry(d.exchange, alice.name) / "timestamp.txt").read_text().strip()
    collected = d.course / "submitted" / alice.name / ASSIGNMENT / "timestamp.txt"
    deadline = time.monotonic() + 120
    while not (collected.is_file() and collected.read_text().strip() == stamp):
        assert time.monotonic() < deadline, "serve did not collect the new submission"
        time.sleep(0.05)
    before_kill = course.serve.output
    d.instructor.run("chmod", "0777", str(inbound))
    serve = course.restart_serve(signal.SIGKILL)
    graded_before = [line for line in graded_lines(before_kill, alice.name) if stamp[:19] in line]
    assert not graded_before, "the kill was meant to land mid-grading"
    out = serve.wait_for(f"submitted {stamp[:19]}", timeout=GRADED_S)
    assert re.search(rf"exchange: {re.escape(str(inbound))} had mode [0-7]?777, put back to 3733", out), out[-2000:]
    assert oct(inbound.stat().st_mode & 0o7777) == "0o3733"
    assert len([line for line in graded_lines(out, alice.name) if stamp[:19] in line]) == 1, "graded once"
    assert course.gradebook()[ASSIGNMENT][alice.name][2].startswith(stamp[:19]), "the gradebook holds it"
    alice.run("nbgrader", "fetch_feedback", ASSIGNMENT)
    assert list((alice.home / ASSIGNMENT / "feedback").glob(f"{stamp}/{NOTEBOOK_ID}.html")), "its feedback is fetched"
    bruno = d.students[1]
    assert len(graded_lines(serve.output, bruno.name)) == 1, \
        "bruno's one submission was graded once, whatever the refused entries and the restart"
