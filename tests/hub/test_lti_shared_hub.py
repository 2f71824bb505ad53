"""Students launched from a learning platform into the course's shared JupyterHub, their scores
back in the platform's gradebook, end to end (docs/deploy.md, "Launched from Moodle or Canvas"):
the deployment of test_shared_hub.py (install.sh, real Unix accounts, a PostgreSQL gradebook,
setup-course.sh, serve started from its unit as the instructor's account, JupyterHub on 127.0.0.1)
with deploy/setup-lti.sh registering the test platform (tests/lti_platform.py, on 127.0.0.1,
written from LTI 1.3 Core, the Security Framework and AGS 2.0), Moodle's claims.

- two students click the activity on the platform's course page in Chromium and land in their own
  JupyterLab, logged in as their Unix account, their name and e-mail in nbgrader's student table;
  each fetches with the Assignment List, writes step 1 (one right, one with the seed's summed
  gradient) and submits; serve grades; each score reaches the platform's gradebook, equal to
  nbgrader's, posted once;
- the platform stopped during a burst of submissions: every latest score arrives once it is back,
  none twice; a resubmission replaces the score;
- a manual grade changed as formgrader changes it is sent by `lti push`; another, by formgrader's
  Release Feedback, clicked by the instructor logged in with their password;
- bad launches (bad signature, expired, wrong audience), a platform user named as the instructor's
  account or as no account, a student's password on the hub's form: no login, the French page.

The shared environment of test_shared_hub.py (installed once, its prefix from tests/hub/deployment.py),
accounts (kitlti*) and groups of its own. Missing Chromium, PostgreSQL or root is a failure, not a skip.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import time

import pytest

from autograder.nbgrader_cli import ROOT
from lti_platform import Platform, Tamper, new_key

from .deployment import COURSE_ID, PREFIX, Hub, Service, deploy, free_port, graded_lines, run, tear_down
from .lab import ASSIGNMENT, NOTEBOOK, NOTEBOOK_ID, chromium, submit_step_one, write_answers

GROUPS = ("kitlti-students", "kitlti-instructors")
NAMES = {"instructor": ["kitltiprof"], "students": ["kitltialice", "kitltibruno"]}
# the platform's users: account (Moodle's username) -> (sub, first name, last name)
PEOPLE = {"kitltialice": ("moodle-501", "Alice", "Martin"), "kitltibruno": ("moodle-502", "Bruno", "Lefèvre")}
TEACHER, STRANGER = "moodle-590", "moodle-591"     # named as the instructor's account; as no account
SERVE_START_S, GRADED_S, POSTED_S, SPAWN_MS = 300, 300, 90, 180_000
SHOTS = ROOT / "artifacts" / "hub-lti"


class LtiCourse:
    def __init__(self, deployment, hub: Hub, serve: Service, platform: Platform, setup_output: str):
        self.deployment, self.hub, self.serve, self.platform = deployment, hub, serve, platform
        self.setup_output = setup_output

    def sub(self, account) -> str:
        return PEOPLE[account.name][0]

    def scores(self) -> dict[str, tuple[float, float]]:
        """nbgrader's (score less its late penalty, max score) of each student, read as the instructor."""
        return {student: (score, total) for student, (score, total, _) in self.deployment.gradebook()[ASSIGNMENT].items()}

    def wait_for_platform(self, expected: dict[str, float], what: str) -> None:
        deadline = time.monotonic() + POSTED_S
        while True:
            seen = {name: self.platform.grade(ASSIGNMENT, PEOPLE[name][0]) for name in expected}
            if seen == expected:
                return
            if time.monotonic() > deadline:
                status = self.deployment.as_instructor("python", "-m", "autograder", "lti", "status", "--all")
                raise AssertionError(f"{what}: the platform holds {seen}, nbgrader {expected}\n{status}\n"
                                     f"{self.serve.output[-3000:]}")
            time.sleep(0.3)

    def posts(self, account) -> list[dict]:
        return self.platform.posts_for(ASSIGNMENT, self.sub(account))

    def latest_entry_stamp(self, account) -> str:
        inbound = self.deployment.exchange / COURSE_ID / "inbound"
        entries = sorted(inbound.glob(f"{account.name}+{ASSIGNMENT}+*"))
        assert entries, f"no inbound entry of {account.name}"
        return (entries[-1] / "timestamp.txt").read_text().strip()

    def wait_graded(self, account, stamp: str) -> str:
        """serve's line for that submission of `account` (graded once)."""
        out = self.serve.wait_for(f"submitted {stamp[:19]}", timeout=GRADED_S)
        lines = [line for line in graded_lines(out, account.name) if f"submitted {stamp[:19]}" in line]
        assert len(lines) == 1, f"{account.name}'s submission of {stamp} graded {len(lines)} times"
        return lines[0]


@pytest.fixture(scope="module")
def lti():
    assert os.getuid() == 0, "the end-to-end test creates Unix accounts: it runs as root (CI does)"
    ports = {name: free_port() for name in ("hub", "api", "proxy_api")}
    hub_url = f"http://127.0.0.1:{ports['hub']}"
    platform = Platform(deployment_id="3").start()
    for account, (sub, first, last) in PEOPLE.items():
        platform.enrol(sub, account, first, last, f"{first.lower()}.{account}@univ-exemple.fr")
    platform.enrol(TEACHER, NAMES["instructor"][0], "Paule", "Rof", "paule.rof@univ-exemple.fr")
    platform.enrol(STRANGER, "kitltinobody", "Nadia", "Personne", "nadia@univ-exemple.fr")
    platform.tool_login_url, platform.tool_jwks_url = f"{hub_url}/hub/lti/login", f"{hub_url}/hub/lti/jwks"
    platform.tool_redirect_uris.append(f"{hub_url}/hub/lti/launch")
    platform.tool_target_link_uri = f"{hub_url}/"
    deployment = hub = serve = None
    try:
        deployment = deploy(NAMES, hub_url, PREFIX, GROUPS)
        setup = run(["bash", str(ROOT / "deploy" / "setup-lti.sh"), "--course-dir", str(deployment.course),
                     "--claims", "moodle", "--issuer", platform.issuer, "--client-id", platform.client_id,
                     "--deployment-id", platform.deployment_id, "--jwks-url", platform.jwks_url,
                     "--auth-url", platform.auth_url, "--token-url", platform.token_url, "--prefix", str(PREFIX),
                     "--no-systemd"], timeout=300)
        # The instructor shortens the back-off after a failure, so that the test waits seconds, not minutes.
        deployment.as_instructor("sh", "-c", "printf 'c.LtiPlatform.retry_first_seconds = 0.5\\n"
                                             "c.LtiPlatform.retry_max_seconds = 3.0\\n' >> nbgrader_config.py")
        deployment.as_instructor("nbgrader", "release_assignment", ASSIGNMENT)
        serve = Service(deployment.unit, deployment.root / "serve.log")
        hub = Hub(deployment.root, PREFIX, ports, lti=True)
        yield LtiCourse(deployment, hub, serve, platform, setup)
    finally:
        for thing in (serve, hub):
            if thing is not None:
                thing.stop()
        platform.stop()
        if deployment is not None:
            SHOTS.mkdir(parents=True, exist_ok=True)
            for log in ("serve.log", "jupyterhub.log"):
                if (deployment.root / log).exists():
                    shutil.copy(deployment.root / log, SHOTS / log)
        try:
            tear_down(deployment, NAMES)
        finally:
            for group in GROUPS:
                subprocess.run(["groupdel", group], capture_output=True)


# --- the browser -----------------------------------------------------------------------------------------

def _new_page(browser):
    from browser.assignment_list import TIMEOUT_MS

    page = browser.new_context(viewport={"width": 1280, "height": 1000}).new_page()
    page.set_default_timeout(TIMEOUT_MS)
    return page


def _click_the_activity(page, platform: Platform, sub: str) -> None:
    """On the platform's course page, the student clicks the tool's link (the launch follows by itself)."""
    page.goto(platform.course_page_url(sub))
    page.locator("#activite").click()


def _launched_into_lab(page, lti: LtiCourse, account) -> None:
    from playwright.sync_api import expect

    _click_the_activity(page, lti.platform, lti.sub(account))
    page.wait_for_url(re.compile(rf".*/user/{account.name}/lab.*"), timeout=SPAWN_MS)
    expect(page.get_by_role("menuitem", name="Nbgrader", exact=True)).to_be_visible(timeout=SPAWN_MS)


STUDENT_TABLE = """
import json
from autograder.nbgrader_settings import gradebook_url
from nbgrader.api import Gradebook
with Gradebook(gradebook_url('.')) as gb:
    print(json.dumps({s.id: [s.first_name, s.last_name, s.email] for s in gb.students}))
"""


def test_setup_lti_registers_the_platform_and_makes_the_tools_key_as_the_instructor(lti):
    d = lti.deployment
    key, state = d.course / "lti" / "tool_key.pem", d.course / "lti" / "lti.sqlite"
    for path in (key, state):
        info = path.stat()
        assert (info.st_uid, stat.S_IMODE(info.st_mode)) == (d.instructor.home.stat().st_uid, 0o600), \
            f"{path}: owner uid {info.st_uid}, mode {oct(info.st_mode)}"
    assert f"{lti.hub.url}/hub/lti/login" in lti.setup_output and f"{lti.hub.url}/hub/lti/jwks" in lti.setup_output
    import requests

    served = requests.get(f"{lti.hub.url}/hub/lti/jwks", timeout=10).json()
    assert served == json.loads(d.as_instructor("python", "-m", "autograder", "lti", "jwks")), \
        "the hub serves the keyset of the key setup-lti.sh made"


def test_two_students_launched_from_the_platform_submit_and_their_scores_reach_its_gradebook(lti):
    from playwright.sync_api import expect, sync_playwright
    from browser.assignment_list import TIMEOUT_MS, step_one_answers

    SHOTS.mkdir(parents=True, exist_ok=True)
    expect.set_options(timeout=TIMEOUT_MS)
    d = lti.deployment
    alice, bruno = d.students
    answers = {alice.name: step_one_answers(seed_gradient=False), bruno.name: step_one_answers(seed_gradient=True)}
    lti.serve.wait_for("serving ", timeout=SERVE_START_S)
    assert "scores go to the LTI platform" in lti.serve.output, lti.serve.output[-2000:]
    with sync_playwright() as pw:
        browser = chromium(pw)
        try:
            pages = {}
            for account in (alice, bruno):
                pages[account.name] = _new_page(browser)
                _launched_into_lab(pages[account.name], lti, account)
            table = json.loads(d.instructor.python(STUDENT_TABLE, cwd=d.course).strip().splitlines()[-1])
            for account in (alice, bruno):
                sub, first, last = PEOPLE[account.name]
                assert table.get(account.name) == [first, last, f"{first.lower()}.{account.name}@univ-exemple.fr"], table
                submit_step_one(pages[account.name], COURSE_ID, account, answers[account.name], SHOTS)
        finally:
            browser.close()
    for account in (alice, bruno):
        lti.wait_graded(account, lti.latest_entry_stamp(account))
    scores = lti.scores()
    assert scores[alice.name][0] > scores[bruno.name][0], scores
    lti.wait_for_platform({a.name: scores[a.name][0] for a in (alice, bruno)}, "the first scores")
    item = lti.platform.lineitem_of(ASSIGNMENT)
    assert item["scoreMaximum"] == scores[alice.name][1] and lti.platform.lineitem_creations == 1, item
    for account in (alice, bruno):
        posts = lti.posts(account)
        assert len(posts) == 1, posts
        assert posts[0]["scoreMaximum"] == scores[account.name][1] and posts[0]["gradingProgress"] == "FullyGraded"
    assert f"LTI launch: {alice.name}" in lti.hub.log and f"LTI launch: {bruno.name}" in lti.hub.log
    assert "not recorded" not in lti.hub.log, lti.hub.log[-3000:]


def _submit(lti: LtiCourse, account, seed_gradient: bool) -> str:
    """`account` writes step 1 (right, or with the seed's gradient) and submits as nbgrader submit does; its stamp."""
    from browser.assignment_list import step_one_answers

    write_answers(account, ASSIGNMENT, {NOTEBOOK: step_one_answers(seed_gradient=seed_gradient)})
    account.run("nbgrader", "submit", ASSIGNMENT)
    return lti.latest_entry_stamp(account)


def test_the_platform_stopped_during_a_burst_receives_every_score_once_back(lti):
    d, platform = lti.deployment, lti.platform
    alice, bruno = d.students
    before = {a.name: len(lti.posts(a)) for a in (alice, bruno)}
    platform.stop()
    last = {}
    for account, burst in ((alice, (False, True)), (bruno, (True, False))):   # each ends where the other began
        for seed_gradient in burst:
            last[account.name] = _submit(lti, account, seed_gradient)
    for account in (alice, bruno):
        lti.wait_graded(account, last[account.name])
    status = d.as_instructor("python", "-m", "autograder", "lti", "status")
    for account in (alice, bruno):
        assert re.search(rf"^pending  {ASSIGNMENT} {account.name} ", status, re.M), status
    assert {a.name: len(lti.posts(a)) for a in (alice, bruno)} == before, "nothing reached a stopped platform"

    platform.start()
    scores = lti.scores()
    lti.wait_for_platform({a.name: scores[a.name][0] for a in (alice, bruno)}, "after the platform came back")
    assert scores[alice.name][0] < scores[bruno.name][0], scores
    time.sleep(6)   # more than the sender's poll: a second post would have come by now
    for account in (alice, bruno):
        posts = lti.posts(account)
        stamps = [p["timestamp"] for p in posts]
        assert len(stamps) == len(set(stamps)), f"a graded submission was posted twice: {stamps}"
        assert len(posts) == before[account.name] + 1, f"only the latest submission's score goes: {stamps}"


def test_a_resubmission_replaces_the_score(lti):
    alice = lti.deployment.students[0]
    was = lti.platform.grade(ASSIGNMENT, lti.sub(alice))
    lti.wait_graded(alice, _submit(lti, alice, seed_gradient=False))
    now = lti.scores()[alice.name][0]
    assert now != was, (was, now)
    lti.wait_for_platform({alice.name: now}, "after alice's resubmission")


MANUAL_GRADE = """
import json, sys
from autograder.nbgrader_settings import gradebook_url
from nbgrader.api import Gradebook
student, notebook, grade_id = sys.argv[1:4]
with Gradebook(gradebook_url('.')) as gb:
    grade = gb.find_grade(grade_id, notebook, 'descente_gradient', student)
    grade.manual_score = 0.0 if grade.score > 0 else grade.max_score
    gb.db.commit()
    print(json.dumps(grade.score))
"""


def _grade_by_hand(lti: LtiCourse, account, grade_id: str) -> float:
    """A manual grade, as formgrader sets it (nbgrader's Gradebook API, as the instructor): the new score."""
    d = lti.deployment
    before = lti.scores()[account.name][0]
    d.instructor.run(f"{PREFIX}/venv/bin/python", "-c", MANUAL_GRADE, account.name, NOTEBOOK_ID, grade_id, cwd=d.course)
    after = lti.scores()[account.name][0]
    assert after != before, f"the manual grade changed nothing ({before})"
    return after


def test_a_manual_grade_is_sent_by_lti_push(lti):
    alice, bruno = lti.deployment.students
    bruno_posts = len(lti.posts(bruno))
    score = _grade_by_hand(lti, alice, "test_entrainement")
    out = lti.deployment.as_instructor("python", "-m", "autograder", "lti", "push", ASSIGNMENT, "--wait", "30")
    assert "posted 1," in out, out
    assert lti.platform.grade(ASSIGNMENT, lti.sub(alice)) == score
    assert len(lti.posts(bruno)) == bruno_posts, "an unchanged score is not sent again"


def test_formgraders_release_feedback_sends_a_changed_score(lti):
    """The instructor logs in with their password (the hub's form), opens formgrader and clicks
    Release Feedback: the manual grade changed since reaches the platform."""
    from playwright.sync_api import expect, sync_playwright

    d = lti.deployment
    alice, bruno = d.students
    alice_posts = len(lti.posts(alice))
    score = _grade_by_hand(lti, bruno, "test_entrainement")
    prof = d.instructor
    with sync_playwright() as pw:
        browser = chromium(pw)
        try:
            page = _new_page(browser)
            page.goto(f"{lti.hub.url}/hub/login")
            page.locator("#username_input").fill(prof.name)
            page.locator("#password_input").fill(prof.password)
            page.locator("#login_submit").click()
            page.wait_for_url(re.compile(rf".*/user/{prof.name}/lab.*"), timeout=SPAWN_MS)
            page.goto(f"{lti.hub.url}/user/{prof.name}/formgrader/manage_assignments")
            row = page.locator("tr").filter(has=page.locator("td.name", has_text=ASSIGNMENT))
            page.screenshot(path=str(SHOTS / "formgrader_manage_assignments.png"))
            row.locator("td.release-feedback a").click()
            modal = page.locator("#success-modal")
            expect(modal).to_be_visible(timeout=120_000)
            page.screenshot(path=str(SHOTS / "formgrader_release_feedback.png"))
            log = modal.inner_text()
        finally:
            browser.close()
    assert "LTI: 1 score(s) of descente_gradient queued for the platform" in log, log
    lti.wait_for_platform({bruno.name: score}, "after formgrader's Release Feedback")
    assert len(lti.posts(alice)) == alice_posts, "an unchanged score is not sent again"


BAD = {
    "bad_signature": lambda: Tamper(key=new_key()[0]),
    "expired": lambda: Tamper(claims={"exp": int(time.time()) - 600, "iat": int(time.time()) - 900}),
    "wrong_audience": lambda: Tamper(claims={"aud": "un-autre-outil", "azp": None}),
}


def test_a_bad_launch_logs_no_one_in_and_shows_the_french_page(lti):
    from playwright.sync_api import sync_playwright

    d, platform, hub = lti.deployment, lti.platform, lti.hub
    alice = d.students[0]
    cases = [(code, lti.sub(alice), tamper()) for code, tamper in BAD.items()]
    cases += [("not_allowed", TEACHER, None), ("not_allowed", STRANGER, None)]
    with sync_playwright() as pw:
        browser = chromium(pw)
        try:
            for code, sub, tamper in cases:
                before = hub.log
                page = _new_page(browser)
                platform.tamper = tamper
                _click_the_activity(page, platform, sub)
                page.wait_for_load_state()
                assert page.locator("h1").inner_text() == "Connexion refusée", (code, page.content()[:500])
                assert "enseignant" in page.locator("body").inner_text(), code
                deadline = time.monotonic() + 10
                while f"LTI launch refused ({code})" not in hub.log[len(before):] and time.monotonic() < deadline:
                    time.sleep(0.2)
                assert f"LTI launch refused ({code})" in hub.log[len(before):], (code, hub.log[len(before):][-2000:])
                page.goto(f"{hub.url}/hub/home")
                assert "/hub/login" in page.url, f"{code}: logged in after a refused launch ({page.url})"
                page.context.close()

            page = _new_page(browser)          # a student's own password on the hub's form: instructors only
            page.goto(f"{hub.url}/hub/login")
            page.locator("#username_input").fill(alice.name)
            page.locator("#password_input").fill(alice.password)
            page.locator("#login_submit").click()
            page.wait_for_load_state()
            page.goto(f"{hub.url}/hub/home")
            assert "/hub/login" in page.url, f"a student logged in with a password ({page.url})"
        finally:
            browser.close()
    assert f"{d.instructor.name!r} may not log in here" in hub.log, "the launch named as the instructor was refused"
    assert f"{alice.name!r} may not log in here (a password login is for" in hub.log
