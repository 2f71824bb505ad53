"""JupyterHub's side of the launch: an Authenticator whose users come from LTI 1.3 launches, and
its handlers, under the hub's prefix (/hub/):

- `lti/login`: the platform's third-party initiated login (GET or POST) -> the platform's OIDC
  authentication request, the state kept in a cookie of this browser;
- `lti/launch`: the platform posts the signed id_token here (the tool's redirect URI); a good
  launch records the student (nbgrader's student table, the LTI state) and logs them in;
- `lti/jwks`: the tool's public keyset, for the platform to check the tool's AGS assertions.

In jupyterhub_config.py:

    c.JupyterHub.authenticator_class = "autograder.lti.hub.LtiAuthenticator"
    c.LtiAuthenticator.course_dir = "/srv/nbgrader/descente_gradient_pytorch"

The platform's registration is read from that course's nbgrader_config.py (`c.LtiPlatform.*`).
For a hub whose users are Unix accounts, `autograder.lti.local_accounts.LtiLocalAuthenticator`.
A refused launch: no login, one English line in the hub's log, a short French page (403).
"""
from __future__ import annotations

import asyncio
import dataclasses
from urllib.parse import urlsplit

from jupyterhub.auth import Authenticator
from jupyterhub.handlers import BaseHandler
from jupyterhub.utils import url_path_join
from traitlets import Unicode, default

from .as_owner import record_launch_as_course_owner
from .jwks import JwksHandler
from .keys import load_key
from .launch import Launch, LaunchRefused, LaunchValidator, shown
from .pages import launch_from_platform_page, refused_page
from .roster import NotRecorded
from .settings import registration

STATE_COOKIE = "autograder-lti-state"


class _LtiHandler(BaseHandler):
    def check_xsrf_cookie(self):
        """The platform's requests are cross-site by design: the state and the id_token guard them."""

    def _refuse(self, error: LaunchRefused) -> None:
        self.log.warning("%s (from %s)", error.log_line(), self.request.remote_ip)
        self.clear_cookie(STATE_COOKIE, path=self._cookie_path)
        self.set_status(403)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(refused_page(error.code))

    @property
    def _cookie_path(self) -> str:
        return url_path_join(self.hub.base_url, "lti/")

    def _params(self) -> dict[str, str]:
        return {name: self.get_argument(name, "")[:2000] for name in self.request.arguments}


class LoginInitiationHandler(_LtiHandler):
    async def get(self):
        params = self._params()
        if not params.get("iss"):
            self.set_header("Content-Type", "text/html; charset=utf-8")
            self.finish(launch_from_platform_page())
            return
        redirect_uri = f"{self.request.protocol}://{self.request.host}{url_path_join(self.hub.base_url, 'lti/launch')}"
        try:
            redirect = self.authenticator.validator.begin(params, redirect_uri)
        except LaunchRefused as error:
            self._refuse(error)
            return
        secure = self.request.protocol == "https"   # cross-site POST back: SameSite=None needs Secure
        self.set_cookie(STATE_COOKIE, redirect.state, path=self._cookie_path, httponly=True, secure=secure,
                        samesite="None" if secure else "Lax", expires_days=None)
        self.redirect(redirect.url)

    post = get


class LaunchHandler(_LtiHandler):
    async def post(self):
        validator = self.authenticator.validator
        try:
            launch = await asyncio.to_thread(validator.finish, self.get_body_argument("id_token", ""),
                                             self.get_body_argument("state", ""), self.get_cookie(STATE_COOKIE))
            name = self.authenticator.normalize_username(launch.student_id)
            if not self.authenticator.validate_username(name):
                raise LaunchRefused("bad_student_id", f"JupyterHub refuses the user name {name!r}")
            launch = dataclasses.replace(launch, student_id=name)
        except LaunchRefused as error:
            self._refuse(error)
            return
        user = await self.login_user({"lti_launch": launch})
        if user is None:
            self._refuse(LaunchRefused("not_allowed", f"user {shown(launch.student_id)}"))
            return
        self.clear_cookie(STATE_COOKIE, path=self._cookie_path)
        try:
            await asyncio.to_thread(record_launch_as_course_owner, self.authenticator.registration, launch)
        except NotRecorded as exc:  # the student still works; their next launch records them
            self.log.error("LTI launch of %s not recorded (%s): %s", launch.student_id, exc.code, exc)
        self.log.info("LTI launch: %s (%s, context %r)", user.name, launch.issuer, launch.context_id)
        self.redirect(self._next_url(user, launch))

    def _next_url(self, user, launch: Launch) -> str:
        target = urlsplit(launch.target_link_uri)
        if target.netloc == self.request.host and target.path.startswith(self.base_url) \
                and target.path.rstrip("/") not in (self.base_url.rstrip("/"), self.hub.base_url.rstrip("/")):
            return target.path + (f"?{target.query}" if target.query else "")
        return self.get_next_url(user)


class LtiAuthenticator(Authenticator):
    """Users are who the platform says they are in a launch that passed every check."""

    login_service = "Moodle / Canvas"
    course_dir = Unicode(help="The nbgrader course whose nbgrader_config.py holds c.LtiPlatform.*").tag(config=True)

    @default("allow_all")
    def _allow_every_launched_student(self):
        return True          # the platform decides who may launch the tool

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        if not self.course_dir:
            raise ValueError("set c.LtiAuthenticator.course_dir to the nbgrader course root (docs/lti.md)")
        self.registration = registration(self.course_dir)
        self.validator = LaunchValidator(self.registration)
        self.tool_jwks = load_key(self.registration.key_file).jwks()

    def login_url(self, base_url):
        return url_path_join(base_url, "lti/login")

    def get_handlers(self, app):
        return [(r"/lti/login", LoginInitiationHandler), (r"/lti/launch", LaunchHandler),
                (r"/lti/jwks", JwksHandler, {"jwks": self.tool_jwks})]

    async def authenticate(self, handler, data):
        launch = data.get("lti_launch") if isinstance(data, dict) else None
        if not isinstance(launch, Launch):
            return None          # a form posted to /hub/login: only launches log in
        return {"name": launch.student_id,
                "auth_state": {"sub": launch.sub, "issuer": launch.issuer, "context_id": launch.context_id}}
