"""The LTI authenticator in a real JupyterHub 6.1.1 (with configurable-http-proxy) on 127.0.0.1:
the whole OIDC flow over HTTP from the test platform, as a browser follows it (redirects, the
platform's auto-posted form, cookies). A good launch logs the student in and fills nbgrader's
student table; each bad launch gets no login, a French page and one English line in the hub's log.

No Unix account and no single-user server: the deployment's end-to-end test adds them.
Missing JupyterHub or configurable-http-proxy is a failure, not a skip: scripts/setup.sh installs both.
"""
from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from lti_platform import LTI, Platform, Tamper, free_port, new_key
from lti_support import auto_post_form, cli, wait_for, write_course

STUDENTS = {"moodle-user-201": ("claire.dupont", "Claire", "Dupont"),
            "moodle-user-202": ("yanis.benali", "Yanis", "Benali")}


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    """(hub URL, platform, course, hub log) with the hub running until the module's tests are done."""
    proxy = shutil.which("configurable-http-proxy")
    assert proxy, "configurable-http-proxy is missing (npm install -g configurable-http-proxy@5.3.0; scripts/setup.sh)"
    tmp = tmp_path_factory.mktemp("hub")
    platform = Platform().start()
    for sub, (name, first, last) in STUDENTS.items():
        platform.enrol(sub, name, first, last, f"{name}@univ-exemple.fr")
    course = write_course(tmp / "cours", platform)
    made = cli(course, "keys")
    assert made.returncode == 0, made.stderr
    port, hub_port, api_port = free_port(), free_port(), free_port()
    url = f"http://127.0.0.1:{port}"
    platform.tool_redirect_uris.append(f"{url}/hub/lti/launch")
    platform.tool_jwks_url = f"{url}/hub/lti/jwks"
    (tmp / "jupyterhub_config.py").write_text(f"""
c = get_config()  # noqa: F821
c.JupyterHub.bind_url = {url + '/'!r}
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {hub_port}
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{api_port}"
c.ConfigurableHTTPProxy.command = [{proxy!r}]
c.JupyterHub.db_url = "sqlite:///{tmp / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = "{tmp / 'cookie_secret'}"
c.JupyterHub.authenticator_class = "autograder.lti.hub.LtiAuthenticator"
c.LtiAuthenticator.course_dir = {str(course)!r}
""")
    log = tmp / "hub.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "jupyterhub", "-f", str(tmp / "jupyterhub_config.py")],
                                cwd=tmp, stdout=out, stderr=subprocess.STDOUT)
    try:
        try:
            wait_for(f"{url}/hub/api", 60)
        except AssertionError:
            raise AssertionError(f"JupyterHub did not start:\n{log.read_text()[-3000:]}") from None
        yield url, platform, course, log
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        platform.stop()


def launch(url: str, platform: Platform, sub: str, tamper: Tamper | None = None):
    """The student clicks the activity: their browser session after the launch, and the launch's answer."""
    browser = requests.Session()
    login = browser.get(f"{url}/hub/lti/login", allow_redirects=False,
                        params=platform.login_initiation(sub, f"{url}/hub/home"))
    assert login.status_code == 302, f"the hub's login initiation answered {login.status_code}: {login.text[:300]}"
    platform.tamper = tamper
    page = browser.get(login.headers["Location"], timeout=10)
    assert page.status_code == 200, page.text
    action, fields = auto_post_form(page.text)
    answer = browser.post(action, data=fields, allow_redirects=False)
    return browser, answer, fields


def logged_in_as(url: str, browser: requests.Session) -> str | None:
    home = browser.get(f"{url}/hub/home", allow_redirects=False)
    if home.status_code != 200:
        return None
    return next((name for name, _, _ in STUDENTS.values() if name in home.text), "?")


def test_two_students_launch_into_the_hub_and_into_nbgraders_student_table(hub):
    url, platform, course, _ = hub
    for sub, (name, first, last) in STUDENTS.items():
        browser, answer, _ = launch(url, platform, sub)
        assert answer.status_code == 302 and answer.headers["Location"] == "/hub/home", \
            (answer.status_code, answer.headers.get("Location"), answer.text[:300])
        assert logged_in_as(url, browser) == name
    with sqlite3.connect(course / "gradebook.db") as db:
        rows = db.execute("SELECT id, first_name, last_name, email FROM student ORDER BY id").fetchall()
    assert rows == sorted((n, f, l, f"{n}@univ-exemple.fr") for n, f, l in STUDENTS.values()), rows


def test_the_hub_serves_the_tools_keyset(hub):
    url, _, course, _ = hub
    served = requests.get(f"{url}/hub/lti/jwks", timeout=10).json()
    assert served == json.loads(cli(course, "jwks").stdout)


BAD = {
    "bad_signature": lambda: Tamper(key=new_key()[0]),
    "expired": lambda: Tamper(claims={"exp": int(time.time()) - 600, "iat": int(time.time()) - 900}),
    "wrong_audience": lambda: Tamper(claims={"aud": "un-autre-outil", "azp": None}),
    "unknown_deployment": lambda: Tamper(claims={LTI + "deployment_id": "un-autre-deploiement"}),
}


@pytest.mark.parametrize("code", sorted(BAD))
def test_a_bad_launch_logs_no_one_in(hub, code):
    url, platform, _, log = hub
    before = log.read_text()
    browser, answer, _ = launch(url, platform, "moodle-user-201", BAD[code]())
    assert answer.status_code == 403, (answer.status_code, answer.text[:300])
    assert "Connexion refusée" in answer.text and "Moodle ou Canvas" in answer.text, answer.text
    assert logged_in_as(url, browser) is None, "a refused launch logged the student in"
    wait_for_line = time.monotonic() + 5
    while f"LTI launch refused ({code})" not in log.read_text()[len(before):] and time.monotonic() < wait_for_line:
        time.sleep(0.1)
    new_lines = [line for line in log.read_text()[len(before):].splitlines() if "LTI launch refused" in line]
    assert len(new_lines) == 1 and f"LTI launch refused ({code})" in new_lines[0], new_lines


def test_a_replayed_launch_logs_no_one_in(hub):
    url, platform, _, log = hub
    browser, answer, fields = launch(url, platform, "moodle-user-202")
    assert answer.status_code == 302
    thief = requests.Session()
    again = thief.post(f"{url}/hub/lti/launch", data=fields, allow_redirects=False)
    assert again.status_code == 403 and "Connexion refusée" in again.text
    assert logged_in_as(url, thief) is None
    assert "LTI launch refused (bad_state)" in log.read_text()


def test_the_hubs_login_form_logs_no_one_in(hub):
    url, _, _, log = hub
    browser = requests.Session()
    page = browser.get(f"{url}/hub/lti/login")
    assert page.status_code == 200 and "depuis ton cours" in page.text
    browser.get(f"{url}/hub/login")
    xsrf = browser.cookies.get("_xsrf")
    assert xsrf, "the hub's login page set no _xsrf cookie"
    answer = browser.post(f"{url}/hub/login", data={"username": "claire.dupont", "password": "x", "_xsrf": xsrf},
                          allow_redirects=False)
    assert answer.status_code == 403, answer.status_code
    assert "Failed login for 'claire.dupont'" in log.read_text(), "the form was not refused by the authenticator"
    assert logged_in_as(url, browser) is None
