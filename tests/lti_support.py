"""What the LTI tests share: a course whose nbgrader_config.py registers the test platform, the
tool's keyset served by the real command (`lti jwks --serve`), and a launch as a browser makes it
(the platform's login initiation, its authentication request over HTTP, the form it answers with)."""
from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path

import requests

from autograder.nbgrader_cli import ROOT
from lti_platform import Platform, free_port

MOODLE_USERNAME = "https://purl.imsglobal.org/spec/lti/claim/ext#user_username"
CANVAS_LOGIN = "https://purl.imsglobal.org/spec/lti/claim/custom#login_id"


def write_course(root: Path, platform: Platform, **settings) -> Path:
    """A course root whose nbgrader_config.py registers `platform` (settings: more c.LtiPlatform.*)."""
    root.mkdir(parents=True, exist_ok=True)
    values = {"issuer": platform.issuer, "client_id": platform.client_id, "deployment_ids": [platform.deployment_id],
              "jwks_url": platform.jwks_url, "auth_login_url": platform.auth_url,
              "access_token_url": platform.token_url, "student_id_claim": MOODLE_USERNAME,
              "retry_first_seconds": 0.2, "retry_max_seconds": 1.0, "http_timeout_seconds": 5.0, **settings}
    lines = ["c = get_config()  # noqa: F821", f"c.CourseDirectory.root = {str(root)!r}",
             'c.CourseDirectory.course_id = "cours_lti"']
    lines += [f"c.LtiPlatform.{name} = {value!r}" for name, value in values.items()]
    (root / "nbgrader_config.py").write_text("\n".join(lines) + "\n")
    return root


def cli(course: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "autograder", "--course-dir", str(course), "lti", *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def wait_for(url: str, seconds: float = 30.0) -> None:
    """Until `url` answers 200 (a proxy may answer 404 before its route is there)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"no answer 200 at {url} after {seconds:.0f} s")
        time.sleep(0.1)


@contextlib.contextmanager
def tool_jwks(course: Path, platform: Platform):
    """The tool's key made (`lti keys`) and its keyset served (`lti jwks --serve`); the platform
    told where to fetch it."""
    made = cli(course, "keys")
    assert made.returncode == 0, f"lti keys failed: {made.stderr}"
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "autograder", "--course-dir", str(course), "lti", "jwks",
                             "--serve", "--port", str(port)], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        platform.tool_jwks_url = f"http://127.0.0.1:{port}/jwks"
        wait_for(platform.tool_jwks_url)
        yield platform.tool_jwks_url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


class _Form(HTMLParser):
    def __init__(self):
        super().__init__()
        self.action, self.fields = None, {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.action = attrs.get("action")
        elif tag == "input" and attrs.get("name"):
            self.fields[attrs["name"]] = attrs.get("value", "")


def auto_post_form(page: str) -> tuple[str, dict[str, str]]:
    """The action and fields of the form a platform's page posts by itself."""
    form = _Form()
    form.feed(page)
    assert form.action and "id_token" in form.fields, f"no id_token form in the platform's answer: {page[:300]}"
    return form.action, form.fields


def authenticate(redirect_url: str) -> tuple[str, dict[str, str]]:
    """The browser follows the tool's redirect to the platform's authentication request."""
    page = requests.get(redirect_url, timeout=10)
    assert page.status_code == 200, f"the platform refused the authentication request: {page.text}"
    return auto_post_form(page.text)


def launch_and_record(platform: Platform, course: Path, subs, redirect_uri: str = "http://127.0.0.1:9/hub/lti/launch"):
    """Each of `subs` launches the tool (the whole OIDC flow, validated) and is recorded as a hub records
    them; {sub: nbgrader student id}."""
    from autograder.lti.launch import LaunchValidator
    from autograder.lti.roster import record_launch
    from autograder.lti.settings import registration

    reg = registration(course)
    validator = LaunchValidator(reg)
    if redirect_uri not in platform.tool_redirect_uris:
        platform.tool_redirect_uris.append(redirect_uri)
    ids = {}
    for sub in subs:
        redirect = validator.begin(platform.login_initiation(sub, "http://127.0.0.1:9/hub/"), redirect_uri)
        _, fields = authenticate(redirect.url)
        launch = validator.finish(fields["id_token"], fields["state"], redirect.state)
        record_launch(reg, launch)
        ids[sub] = launch.student_id
    return ids


def wait_until(predicate, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"after {seconds:.0f} s: {what}")
        time.sleep(0.05)
