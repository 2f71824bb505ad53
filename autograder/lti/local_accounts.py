"""The LTI authenticator of a hub whose users are Unix accounts (the shared JupyterHub of
docs/deploy.md): students come in from the platform, instructors with their password.

- A launch logs in the account named by the launch's student id only if that account exists (made
  beforehand: deploy/add-account.sh, or the department's LDAP) and is in one of `student_groups`,
  and in none of `password_groups`: whatever a platform's user is called ("root", the instructor's
  account), a launch never becomes an account that is not a student's. Otherwise the French page
  of `not_allowed`.
- The hub's own login form (PAM, as JupyterHub's PAMAuthenticator checks it) logs in the accounts of
  `password_groups` only (the instructors, for formgrader); with no such group, only launches log in.

    c.JupyterHub.authenticator_class = "autograder.lti.local_accounts.LtiLocalAuthenticator"
    c.LtiAuthenticator.course_dir = "/home/prof/cours"
    c.LtiLocalAuthenticator.student_groups = {"kit-students"}
    c.LtiLocalAuthenticator.password_groups = {"kit-instructors"}
"""
from __future__ import annotations

import grp
import os
import pwd

from jupyterhub.auth import Authenticator, PAMAuthenticator
from traitlets import Set, Unicode, default

from .hub import LtiAuthenticator


def unix_groups(account: str) -> set[str]:
    """The names of the groups of `account` (its primary group included); empty if no such account."""
    try:
        gid = pwd.getpwnam(account).pw_gid
    except KeyError:
        return set()
    names = set()
    for group_id in os.getgrouplist(account, gid):
        try:
            names.add(grp.getgrgid(group_id).gr_name)
        except KeyError:
            continue
    return names


def launched(authentication: dict | None) -> bool:
    """The authentication came from an LTI launch (LtiAuthenticator.authenticate's auth_state)."""
    state = (authentication or {}).get("auth_state") or {}
    return isinstance(state, dict) and "issuer" in state and "sub" in state


class LtiLocalAuthenticator(LtiAuthenticator, PAMAuthenticator):
    """Students from launches, as their own Unix accounts; instructors with their Unix password."""

    login_service = ""      # the hub's login page shows the password form (for the instructors)
    student_groups = Set(Unicode(), help="Unix groups whose accounts an LTI launch may log in as").tag(
        config=True, allow_config=True)
    password_groups = Set(Unicode(), help="Unix groups whose accounts may log in with their password on the hub's "
                                          "login form (the instructors); never as a launch").tag(config=True)

    @default("allow_all")
    def _only_these_groups(self):
        return False

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        if not self.student_groups:
            raise ValueError("set c.LtiLocalAuthenticator.student_groups to the students' Unix group (docs/deploy.md)")

    def login_url(self, base_url):
        if self.password_groups:
            return Authenticator.login_url(self, base_url)
        return LtiAuthenticator.login_url(self, base_url)

    async def authenticate(self, handler, data):
        if isinstance(data, dict) and "lti_launch" in data:
            return await LtiAuthenticator.authenticate(self, handler, data)
        if not self.password_groups:
            return None
        return await PAMAuthenticator.authenticate(self, handler, data)

    def check_allowed(self, username, authentication=None):
        groups = unix_groups(username)
        if launched(authentication):
            allowed = bool(groups & self.student_groups) and not groups & self.password_groups
            why = f"not in {sorted(self.student_groups)}, or an instructor's account"
        else:
            allowed = bool(groups & self.password_groups)
            why = f"a password login is for {sorted(self.password_groups)} only"
        if not allowed:
            self.log.warning("%r may not log in here (%s)", username, why)
        return allowed
