"""A launch recorded as the account that owns the course folder.

JupyterHub runs as root on a shared machine (it starts each user's server as that user), but the
course's gradebook may let in its owner only (PostgreSQL with peer authentication: the Unix account
is the database role), and the course's files must stay its owner's. So a hub running as root
records each launch in a short process run as the course folder's owner (`python -m autograder lti
record-launch`, the launch as JSON on its standard input, the outcome as its exit status); a hub
running as any other account records it itself.
"""
from __future__ import annotations

import dataclasses
import json
import os
import pwd
import subprocess
import sys
from pathlib import Path

from .launch import Launch
from .roster import NotRecorded, record_launch
from .settings import Registration

EXIT_STATUS = {"state": 3, "gradebook": 4}          # what `lti record-launch` exits with, by NotRecorded code
HELPER_SECONDS = 60.0


def record_launch_as_course_owner(reg: Registration, launch: Launch) -> None:
    """Raises NotRecorded."""
    owner = reg.course_dir.stat().st_uid
    if os.geteuid() != 0 or owner in (0, os.geteuid()):
        record_launch(reg, launch)
        return
    account = pwd.getpwuid(owner)
    env = {"HOME": account.pw_dir, "USER": account.pw_name, "LOGNAME": account.pw_name, "LANG": "C.UTF-8",
           "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin"}
    try:
        done = subprocess.run([sys.executable, "-m", "autograder", "--course-dir", str(reg.course_dir), "lti",
                               "record-launch"], input=json.dumps(dataclasses.asdict(launch)), capture_output=True,
                              text=True, timeout=HELPER_SECONDS, cwd=reg.course_dir, env=env, user=owner,
                              group=account.pw_gid, extra_groups=os.getgrouplist(account.pw_name, account.pw_gid))
    except (OSError, subprocess.SubprocessError) as exc:
        raise NotRecorded("helper", type(exc).__name__) from None
    if done.returncode == 0:
        return
    code = {status: code for code, status in EXIT_STATUS.items()}.get(done.returncode, "helper")
    last = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
    raise NotRecorded(code, last[:200])


def record_launch_from_stdin(reg: Registration) -> int:
    """`lti record-launch`: the exit status says what could not be recorded (EXIT_STATUS)."""
    data = json.loads(sys.stdin.read())
    launch = Launch(**{**data, "ags_scopes": tuple(data.get("ags_scopes", ()))})
    try:
        record_launch(reg, launch)
    except NotRecorded as exc:
        print(exc.detail, file=sys.stderr)
        return EXIT_STATUS[exc.code]
    return 0
