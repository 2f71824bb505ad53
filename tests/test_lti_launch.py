"""LTI 1.3 launches (autograder/lti/launch.py, roster.py) against the test platform over real HTTP,
with real RS256 signatures: a good launch (Moodle's and Canvas's claim shapes) fills nbgrader's
student table; each bad launch of the Security Framework is refused with its code."""
from __future__ import annotations

import sqlite3
import time

import pytest

from autograder.lti.launch import LaunchRefused, LaunchValidator
from autograder.lti.roster import record_launch
from autograder.lti.settings import registration
from lti_platform import LTI, Platform, Tamper, new_key
from lti_support import CANVAS_LOGIN, authenticate, write_course

REDIRECT_URI = "http://127.0.0.1:9/hub/lti/launch"      # the tool's; the form comes back to the test
TARGET = "http://127.0.0.1:9/hub/"


@pytest.fixture
def platform():
    platform = Platform().start()
    platform.tool_redirect_uris.append(REDIRECT_URI)
    platform.enrol("moodle-user-101", "alice.martin", "Alice", "Martin", "alice.martin@univ-exemple.fr")
    platform.enrol("moodle-user-102", "bruno.petit", "Bruno", "Petit", "bruno.petit@univ-exemple.fr")
    yield platform
    platform.stop()


@pytest.fixture
def course(tmp_path, platform):
    return write_course(tmp_path / "cours", platform)


@pytest.fixture
def validator(course):
    return LaunchValidator(registration(course))


def launch(platform, validator, sub="moodle-user-101", tamper=None, params=None):
    """A student's click, as their browser carries it: the tool's login, the platform's form."""
    redirect = validator.begin(params or platform.login_initiation(sub, TARGET), REDIRECT_URI)
    platform.tamper = tamper
    action, fields = authenticate(redirect.url)
    assert action == REDIRECT_URI
    return fields, redirect.state


def refused(validator, fields, state) -> str:
    with pytest.raises(LaunchRefused) as caught:
        validator.finish(fields["id_token"], fields["state"], state)
    return caught.value.code


def test_a_good_launch_names_the_student_and_fills_nbgraders_student_table(platform, course, validator):
    fields, state = launch(platform, validator)
    got = validator.finish(fields["id_token"], fields["state"], state)
    assert (got.student_id, got.first_name, got.last_name, got.email, got.sub) == \
        ("alice.martin", "Alice", "Martin", "alice.martin@univ-exemple.fr", "moodle-user-101"), got
    assert got.lineitems_url == platform.lineitems_url and got.context_id == "cours-7"
    assert "https://purl.imsglobal.org/spec/lti-ags/scope/score" in got.ags_scopes
    record_launch(registration(course), got)
    with sqlite3.connect(course / "gradebook.db") as db:
        rows = db.execute("SELECT id, first_name, last_name, email FROM student").fetchall()
    assert rows == [("alice.martin", "Alice", "Martin", "alice.martin@univ-exemple.fr")], rows
    with sqlite3.connect(course / "lti" / "lti.sqlite") as db:
        assert db.execute("SELECT student_id, sub, lineitems_url FROM users").fetchall() == \
            [("alice.martin", "moodle-user-101", platform.lineitems_url)]


def test_record_launch_keeps_the_scores_link_when_the_gradebook_refuses(platform, tmp_path):
    """`lti record-launch` (what a hub running as root runs as the course's owner): the launch as JSON
    on stdin; a gradebook it cannot open is exit status 4, the LTI state written all the same."""
    import dataclasses
    import json
    import subprocess
    import sys

    from autograder.lti.as_owner import EXIT_STATUS

    course = write_course(tmp_path / "cours", platform)
    validator = LaunchValidator(registration(course))
    fields, state = launch(platform, validator)
    got = validator.finish(fields["id_token"], fields["state"], state)

    def record(db_url: str) -> subprocess.CompletedProcess:
        with open(course / "nbgrader_config.py", "a") as config:     # the last setting wins
            config.write(f"c.CourseDirectory.db_url = {db_url!r}\n")
        return subprocess.run([sys.executable, "-m", "autograder", "--course-dir", str(course), "lti", "record-launch"],
                              input=json.dumps(dataclasses.asdict(got)), capture_output=True, text=True, timeout=120,
                              cwd=course)

    refused_by_gradebook = record(f"sqlite:///{tmp_path / 'pas-de-dossier' / 'gradebook.db'}")
    assert refused_by_gradebook.returncode == EXIT_STATUS["gradebook"] == 4, refused_by_gradebook.stderr
    with sqlite3.connect(course / "lti" / "lti.sqlite") as db:
        assert db.execute("SELECT student_id, sub FROM users").fetchall() == [("alice.martin", "moodle-user-101")]
    done = record(f"sqlite:///{course / 'gradebook.db'}")
    assert done.returncode == 0, done.stderr
    with sqlite3.connect(course / "gradebook.db") as db:
        assert db.execute("SELECT id, email FROM student").fetchall() == [("alice.martin", "alice.martin@univ-exemple.fr")]


def test_canvas_claims_map_with_their_own_settings(platform, tmp_path):
    course = write_course(tmp_path / "canvas", platform, student_id_claim=CANVAS_LOGIN,
                          lms_user_id_claim="https://purl.imsglobal.org/spec/lti/claim/custom#canvas_user_id")
    validator = LaunchValidator(registration(course))
    fields, state = launch(platform, validator, "moodle-user-102")
    got = validator.finish(fields["id_token"], fields["state"], state)
    assert (got.student_id, got.lms_user_id) == ("bruno.petit", str(100000 + len("moodle-user-102"))), got
    record_launch(registration(course), got)
    with sqlite3.connect(course / "gradebook.db") as db:
        assert db.execute("SELECT id, lms_user_id FROM student").fetchall() == [("bruno.petit", got.lms_user_id)]


def test_the_platforms_keys_are_fetched_once_and_again_when_it_rotates_them(platform, validator):
    for sub in ("moodle-user-101", "moodle-user-102"):
        fields, state = launch(platform, validator, sub)
        validator.finish(fields["id_token"], fields["state"], state)
    assert platform.jwks_requests == 1, "the JWKS is not cached between launches"
    platform.rotate_key()
    validator.keys.min_refresh = 0.0
    fields, state = launch(platform, validator)
    assert validator.finish(fields["id_token"], fields["state"], state).student_id == "alice.martin"
    assert platform.jwks_requests == 2, "an unknown key id did not fetch the JWKS again"


def now() -> int:
    return int(time.time())


BAD_TOKENS = {
    "bad_signature": lambda p: Tamper(key=new_key()[0]),                        # the platform's kid, another key
    "unknown_key": lambda p: Tamper(key=new_key()[0], kid="cle-inconnue"),
    "expired": lambda p: Tamper(claims={"exp": now() - 3600, "iat": now() - 3900}),
    "wrong_audience": lambda p: Tamper(claims={"aud": "un-autre-outil", "azp": None}),
    "wrong_issuer": lambda p: Tamper(claims={"iss": "https://autre-plateforme.example"}),
    "unknown_deployment": lambda p: Tamper(claims={LTI + "deployment_id": "un-autre-deploiement"}),
    "wrong_message": lambda p: Tamper(claims={LTI + "message_type": "LtiDeepLinkingRequest"}),
    "not_yet_valid": lambda p: Tamper(claims={"iat": now() + 3600}),
    "missing_claim": lambda p: Tamper(claims={"nonce": None}),
}


@pytest.mark.parametrize("code", sorted(BAD_TOKENS))
def test_a_bad_id_token_is_refused_with_its_code(platform, validator, code):
    fields, state = launch(platform, validator, tamper=BAD_TOKENS[code](platform))
    assert refused(validator, fields, state) == code


@pytest.mark.parametrize("claims, code", [
    ({"iat": now() - 3600}, "expired"),                                    # issued too long ago, not yet expired
    ({LTI + "version": "1.1.0"}, "wrong_message"),
    ({"aud": ["outil-notebooks", "autre"], "azp": None}, "wrong_audience"),  # several audiences need azp
    ({"azp": "autre"}, "wrong_audience"),
    ({LTI + "resource_link": None}, "missing_claim"),
])
def test_more_bad_claims(platform, validator, claims, code):
    fields, state = launch(platform, validator, tamper=Tamper(claims=claims))
    assert refused(validator, fields, state) == code


def test_several_audiences_with_the_tool_as_azp_pass(platform, validator):
    fields, state = launch(platform, validator, tamper=Tamper(claims={"aud": ["outil-notebooks", "autre"]}))
    assert validator.finish(fields["id_token"], fields["state"], state).student_id == "alice.martin"


def test_a_replayed_token_is_refused(platform, validator):
    fields, state = launch(platform, validator)
    validator.finish(fields["id_token"], fields["state"], state)
    assert refused(validator, fields, state) == "bad_state", "the same state was accepted twice"
    # The same id_token with the state of a new login (an attacker who copied it): its nonce is spent.
    _, new_state = launch(platform, validator)
    assert refused(validator, {"id_token": fields["id_token"], "state": new_state}, new_state) == "replayed"


def test_a_token_for_another_login_is_refused(platform, validator):
    """The nonce is the one issued with this state, not another login's."""
    first, first_state = launch(platform, validator)
    second, second_state = launch(platform, validator, "moodle-user-102")
    assert refused(validator, {"id_token": first["id_token"], "state": second_state}, second_state) == "replayed"


def test_a_state_not_from_this_browser_is_refused(platform, validator):
    fields, _ = launch(platform, validator)
    assert refused(validator, fields, "etat-d-un-autre-navigateur") == "bad_state"
    assert refused(validator, fields, None) == "bad_state"


def test_a_login_initiation_from_elsewhere_is_refused(platform, validator):
    for params, code in [({**platform.login_initiation("moodle-user-101", TARGET), "iss": "https://ailleurs"},
                          "bad_login_request"),
                         ({**platform.login_initiation("moodle-user-101", TARGET), "lti_deployment_id": "autre"},
                          "unknown_deployment"),
                         ({"iss": platform.issuer}, "bad_login_request")]:
        with pytest.raises(LaunchRefused) as caught:
            validator.begin(params, REDIRECT_URI)
        assert caught.value.code == code, params


def test_a_student_id_that_is_not_a_plain_name_is_refused(platform, validator):
    platform.enrol("moodle-user-666", "../../etc", "Eve", "Malice", "eve@example.org")
    fields, state = launch(platform, validator, "moodle-user-666")
    assert refused(validator, fields, state) == "bad_student_id"


def test_an_unreachable_platform_keyset_is_said(platform, validator):
    fields, state = launch(platform, validator)
    platform.stop()
    assert refused(validator, fields, state) == "platform_unreachable"
