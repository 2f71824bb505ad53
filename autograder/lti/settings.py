"""The platform's registration and the claim mapping, in the course's nbgrader_config.py:

    c.LtiPlatform.issuer = "https://moodle.univ-exemple.fr"
    c.LtiPlatform.client_id = "q1W2e3R4t5Y6u7I"
    c.LtiPlatform.deployment_ids = ["3"]
    c.LtiPlatform.jwks_url = "https://moodle.univ-exemple.fr/mod/lti/certs.php"
    c.LtiPlatform.auth_login_url = "https://moodle.univ-exemple.fr/mod/lti/auth.php"
    c.LtiPlatform.access_token_url = "https://moodle.univ-exemple.fr/mod/lti/token.php"
    c.LtiPlatform.student_id_claim = "https://purl.imsglobal.org/spec/lti/claim/ext#user_username"

A claim is named by its key in the id_token, or `key#member` for a member of an object claim (LTI's
claims are URLs, so neither `.` nor `/` can separate them). docs/lti.md has Moodle's and Canvas's.
Read as nbgrader's commands read the course's configuration, so that JupyterHub (the launch) and
`serve` (the scores) read the same registration.
"""
from __future__ import annotations

from pathlib import Path

from traitlets import Float, List, Unicode
from traitlets.config import Configurable

LTI_FOLDER = "lti"          # under the course root: the tool's key and the passback state


class LtiPlatform(Configurable):
    issuer = Unicode("", help="The platform's issuer (iss of its id_tokens), e.g. https://moodle.example.org").tag(config=True)
    client_id = Unicode("", help="The client id the platform gave the tool (aud of its id_tokens)").tag(config=True)
    deployment_ids = List(Unicode(), help="The deployment ids accepted (the platform shows them when the tool "
                                          "is installed)").tag(config=True)
    jwks_url = Unicode("", help="The platform's public keyset URL").tag(config=True)
    auth_login_url = Unicode("", help="The platform's OIDC authentication request URL").tag(config=True)
    access_token_url = Unicode("", help="The platform's OAuth 2 access token URL (AGS)").tag(config=True)
    token_audience = Unicode("", help="The aud of the tool's client assertion (default: access_token_url)").tag(config=True)
    tool_url = Unicode("", help="The tool's public URL (JupyterHub's), for the messages that name its endpoints"
                       ).tag(config=True)

    student_id_claim = Unicode("sub", help="The claim that holds nbgrader's student id (and JupyterHub's user "
                                           "name)").tag(config=True)
    first_name_claim = Unicode("given_name").tag(config=True)
    last_name_claim = Unicode("family_name").tag(config=True)
    email_claim = Unicode("email").tag(config=True)
    lms_user_id_claim = Unicode("", help="The claim copied into nbgrader's lms_user_id (Canvas's user ID for the "
                                         "CSV exports), if any").tag(config=True)

    key_path = Unicode("", help=f"The tool's private key (default: <course>/{LTI_FOLDER}/tool_key.pem)").tag(config=True)
    state_path = Unicode("", help=f"The passback state, an SQLite file (default: <course>/{LTI_FOLDER}/lti.sqlite)"
                         ).tag(config=True)
    clock_leeway_seconds = Float(60.0, help="Clock difference tolerated on exp and iat").tag(config=True)
    max_token_age_seconds = Float(600.0, help="An id_token issued longer ago is refused").tag(config=True)
    http_timeout_seconds = Float(20.0, help="Each request to the platform gives up after this long").tag(config=True)
    retry_first_seconds = Float(2.0, help="The first wait after the platform failed (doubled each time)").tag(config=True)
    retry_max_seconds = Float(300.0, help="The longest wait between two tries (unless Retry-After says more)"
                              ).tag(config=True)


class Registration:
    """A course's platform settings with the paths resolved against its root."""

    def __init__(self, course_dir: str | Path, platform: LtiPlatform):
        self.course_dir = Path(course_dir).resolve()
        self.platform = platform

    def __getattr__(self, name):
        return getattr(self.platform, name)

    @property
    def key_file(self) -> Path:
        return Path(self.platform.key_path) if self.platform.key_path else self.course_dir / LTI_FOLDER / "tool_key.pem"

    @property
    def state_file(self) -> Path:
        return Path(self.platform.state_path) if self.platform.state_path else self.course_dir / LTI_FOLDER / "lti.sqlite"

    @property
    def assertion_audience(self) -> str:
        return self.platform.token_audience or self.platform.access_token_url

    def missing(self, *names: str) -> list[str]:
        """The settings among `names` that are empty."""
        return [name for name in names if not getattr(self.platform, name)]

    def require(self, *names: str) -> None:
        missing = self.missing(*names)
        if missing:
            raise RuntimeError("LTI is not configured: set " + ", ".join(f"c.LtiPlatform.{n}" for n in missing)
                               + f" in {self.course_dir / 'nbgrader_config.py'} (docs/lti.md)")


LAUNCH_SETTINGS = ("issuer", "client_id", "deployment_ids", "jwks_url", "auth_login_url")
AGS_SETTINGS = ("client_id", "access_token_url")


def registration(course_dir: str | Path, **overrides) -> Registration:
    """The course's LTI settings, read from its configuration as nbgrader reads it; `overrides` win."""
    from nbgrader.apps import NbGrader

    root = Path(course_dir).resolve()
    app = NbGrader()
    app.initialize([f"--CourseDirectory.root={root}", "--log-level=ERROR"])
    platform = LtiPlatform(config=app.config)
    for name, value in overrides.items():
        setattr(platform, name, value)
    return Registration(root, platform)


def claim(token: dict, name: str):
    """The value of claim `name` (`key` or `key#member`) in a decoded id_token, or None."""
    key, _, member = name.partition("#")
    value = token.get(key)
    if member:
        value = value.get(member) if isinstance(value, dict) else None
    return value
