"""A course deployed as docs/deploy.md says, for the end-to-end tests: deploy/install.sh (the shared
environment, JupyterHub, configurable-http-proxy, the exchange, the students' config),
deploy/add-account.sh (an instructor and students, real Unix accounts), a real PostgreSQL server
for the gradebook, deploy/setup-course.sh (the course folder, its config, formgrader, the systemd
unit), serve started from that unit as its account, and JupyterHub on 127.0.0.1.

Everything lives under a folder of /var/tmp that the test's accounts can enter (pytest's own
temporary folders are 0700), except the shared environment, kept in /opt/kit-e2e-env between runs
(deploy/install.sh is idempotent: a second run reinstalls the kit only). Accounts, their groups,
the servers and every process the test started are removed at the end. A test module that may run
beside another passes its own `prefix` and `groups` (the functions' defaults are the first test's).
"""
from __future__ import annotations

import glob
import json
import os
import pwd
import secrets
import shlex
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from bench.harness import LoggedProcess, free_port

from autograder.nbgrader_cli import ROOT

PREFIX = Path(os.environ.get("KIT_E2E_PREFIX", "/opt/kit-e2e-env"))
COURSE_ID = "descente_gradient_pytorch"
INSTALL_SECONDS = 1500
GROUPS = ("kit-students", "kit-instructors")


def run(cmd: list[str], timeout: float = 300, input: str | None = None, check: bool = True, **kwargs) -> str:
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, input=input, **kwargs)
    if check and done.returncode != 0:
        raise AssertionError(f"{shlex.join(cmd)} failed (exit {done.returncode}):\n{done.stdout[-3000:]}\n"
                             f"{done.stderr[-3000:]}")
    return done.stdout + done.stderr


@dataclass
class Account:
    name: str
    password: str
    role: str
    prefix: Path = PREFIX          # the shared environment the account runs

    @property
    def home(self) -> Path:
        return Path(pwd.getpwnam(self.name).pw_dir)

    def env(self) -> dict[str, str]:
        return {"HOME": str(self.home), "USER": self.name, "LOGNAME": self.name, "LANG": "C.UTF-8",
                "PATH": f"{self.prefix}/venv/bin:/usr/local/bin:/usr/bin:/bin"}

    def command(self, *args: str) -> list[str]:
        """`args` as this account, with a clean environment (runuser: its groups too)."""
        return ["runuser", "-u", self.name, "--", "env", "-i", *[f"{k}={v}" for k, v in self.env().items()], *args]

    def run(self, *args: str, cwd: Path | None = None, timeout: float = 300, check: bool = True) -> str:
        return run(self.command(*args), cwd=cwd or self.home, timeout=timeout, check=check)

    def python(self, script: str, cwd: Path | None = None, check: bool = True) -> str:
        return self.run(f"{self.prefix}/venv/bin/python", "-c", script, cwd=cwd, check=check)


class Postgres:
    """A PostgreSQL server of the test's own: a cluster in `where` owned by the postgres account,
    a Unix socket only (no TCP), peer authentication (an account connects as its own role)."""

    def __init__(self, where: Path):
        binaries = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        assert binaries, "PostgreSQL's server is missing: apt-get install postgresql (.ci/run does)"
        self.bin = Path(binaries[-1]).parent
        self.data, self.socket, self.port = where / "pgdata", where / "pgsocket", free_port()
        self.log = where / "pglog" / "postgres.log"
        for folder in (self.data, self.socket, self.log.parent):
            folder.mkdir(mode=0o700)
            shutil.chown(folder, "postgres", "postgres")
        self.socket.chmod(0o755)
        self._as_postgres([str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth-local=peer",
                           "--auth-host=reject", "-E", "UTF8"])
        self._as_postgres([str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w",
                           "-o", f"-k {self.socket} -p {self.port} -c listen_addresses=''", "start"])

    def _as_postgres(self, cmd: list[str]) -> str:
        return run(["runuser", "-u", "postgres", "--", *cmd], cwd="/")

    def sql(self, statement: str) -> str:
        return self._as_postgres([str(self.bin / "psql"), "-h", str(self.socket), "-p", str(self.port), "-U",
                                  "postgres", "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-At", "-c", statement])

    def url(self, role: str, database: str) -> str:
        return f"postgresql+psycopg2://{role}@/{database}?host={self.socket}&port={self.port}"

    def stop(self) -> None:
        self._as_postgres([str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"])


@dataclass
class Deployment:
    root: Path                       # /var/tmp/kit-e2e-...: the exchange, state, PostgreSQL, logs
    instructor: Account
    students: list[Account]
    course: Path
    exchange: Path
    postgres: Postgres
    created_groups: list[str] = field(default_factory=list)
    prefix: Path = PREFIX

    @property
    def unit(self) -> Path:
        return self.prefix / "etc" / "systemd" / f"autograder-serve-{COURSE_ID}.service"

    def as_instructor(self, *args: str, timeout: float = 300) -> str:
        return self.instructor.run(*args, cwd=self.course, timeout=timeout)

    def gradebook(self) -> dict:
        """{assignment: {student: (score, max score, submission time)}}, read as the instructor's
        account (peer authentication: only that account's role owns the gradebook)."""
        script = ("import json\n"
                  "from autograder.nbgrader_settings import gradebook_url\n"
                  "from nbgrader.api import Gradebook\n"
                  "out = {}\n"
                  "with Gradebook(gradebook_url('.')) as gb:\n"
                  "    for a in gb.assignments:\n"
                  "        for s in a.submissions:\n"
                  "            out.setdefault(a.name, {})[s.student.id] = [s.score, s.max_score, str(s.timestamp)]\n"
                  "print(json.dumps(out))\n")
        out = self.instructor.python(script, cwd=self.course)
        return json.loads(out.strip().splitlines()[-1])


def install(root: Path, hub_url: str, prefix: Path = PREFIX, groups: tuple[str, ...] = GROUPS) -> str:
    """deploy/install.sh as docs/deploy.md runs it (without systemd, absent here)."""
    return run(["bash", str(ROOT / "deploy" / "install.sh"), "--prefix", str(prefix), "--exchange",
                str(root / "exchange"), "--state", str(root / "hub-state"), "--hub-url", hub_url,
                "--groups", ",".join(groups), "--no-systemd"], timeout=INSTALL_SECONDS)


def add_account(role: str, name: str, prefix: Path = PREFIX) -> Account:
    password = secrets.token_urlsafe(12)
    run(["bash", str(ROOT / "deploy" / "add-account.sh"), f"--{role}", name, "--password-stdin", "--prefix",
         str(prefix)], input=password + "\n")
    return Account(name, password, role, prefix)


def remove_account(name: str) -> None:
    subprocess.run(["pkill", "-KILL", "-u", name], capture_output=True)
    time.sleep(0.2)
    subprocess.run(["userdel", "--remove", "--force", name], capture_output=True)


def deploy(names: dict[str, list[str]], hub_url: str, prefix: Path = PREFIX,
           groups: tuple[str, ...] = GROUPS) -> Deployment:
    """Everything of docs/deploy.md but the running services: accounts, the course, PostgreSQL.
    What a failure leaves half made is removed before the failure is raised."""
    for name in names["instructor"] + names["students"]:
        remove_account(name)   # a run killed before its clean-up
    created = [g for g in groups if subprocess.run(["getent", "group", g], capture_output=True).returncode]
    root = Path(tempfile.mkdtemp(prefix="kit-e2e-", dir="/var/tmp"))
    root.chmod(0o755)
    postgres = None
    try:
        install(root, hub_url, prefix, groups)
        instructor = add_account("instructor", names["instructor"][0], prefix)
        students = [add_account("student", name, prefix) for name in names["students"]]
        postgres = Postgres(root)
        postgres.sql(f"create role {instructor.name} login")
        postgres.sql(f"create database gradebook owner {instructor.name}")
        course = instructor.home / "cours"
        run(["bash", str(ROOT / "deploy" / "setup-course.sh"), "--account", instructor.name, "--course-dir",
             str(course), "--prefix", str(prefix), "--db-url", postgres.url(instructor.name, "gradebook"),
             "--no-systemd"], timeout=600)
        return Deployment(root, instructor, students, course, root / "exchange", postgres, created, prefix)
    except BaseException:
        tear_down(Deployment(root, None, [], root, root, postgres, created, prefix), names)
        raise


def tear_down(deployment: Deployment | None, names: dict[str, list[str]]) -> None:
    for name in names["instructor"] + names["students"]:
        remove_account(name)
    if deployment is None:
        return
    kept = ROOT / "artifacts" / "hub"
    kept.mkdir(parents=True, exist_ok=True)
    for log in ("serve.log", "jupyterhub.log"):   # what happened, after the folder is gone
        if (deployment.root / log).is_file():
            shutil.copy(deployment.root / log, kept / log)
    try:
        if deployment.postgres is not None:
            deployment.postgres.stop()
    finally:
        for group in deployment.created_groups:
            subprocess.run(["groupdel", group], capture_output=True)
        shutil.rmtree(deployment.root, ignore_errors=True)


class Service(LoggedProcess):
    """A process started as a systemd unit file says (User, WorkingDirectory, Environment,
    ExecStart): systemd is not PID 1 here, so the test does what it would. Its output is read as
    the harness's processes' is (`output`, `wait_for`)."""

    def __init__(self, unit: Path, log: Path):
        fields: dict[str, list[str]] = {}
        for line in unit.read_text().splitlines():
            if "=" in line and not line.startswith("#"):
                key, value = line.split("=", 1)
                fields.setdefault(key.strip(), []).append(value.strip())
        user = fields["User"][0]
        entry = pwd.getpwnam(user)
        env = {"HOME": entry.pw_dir, "USER": user, "LOGNAME": user, "LANG": "C.UTF-8"}
        for assignment in fields.get("Environment", []):
            key, value = assignment.split("=", 1)
            env[key] = value
        if os.environ.get("KIT_SERVE_TRACE"):   # serve's phases on its log, when the test's caller asks
            env["KIT_SERVE_TRACE"] = "1"
        self.user, self.cwd, self.argv = user, fields["WorkingDirectory"][0], shlex.split(fields["ExecStart"][0])
        self.log_path = log
        self._log = open(log, "a")
        self.proc = subprocess.Popen(["runuser", "-u", user, "--", "env", "-i",
                                      *[f"{k}={v}" for k, v in env.items()], *self.argv],
                                     cwd=self.cwd, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int | None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, sig)
                self.proc.wait(timeout=timeout)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        code = self.proc.wait()
        self._log.close()
        return code


def graded_lines(output: str, student: str, assignment: str = "descente_gradient") -> list[str]:
    """serve's console lines of the submissions of `student` to `assignment` it graded."""
    return [line for line in output.splitlines()
            if line.startswith("graded ") and line.split()[1] == student and f"  {assignment}  " in line]


def hub_env(root: Path, ports: dict[str, int], prefix: Path = PREFIX, lti: bool = False) -> dict[str, str]:
    """The hub's settings file as its unit reads it, on this test's ports and state folder; without
    `lti`, no LTI course (an earlier test's setup-lti.sh left one in the shared prefix's file)."""
    env = {"PATH": f"{prefix}/venv/bin:/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": "/root"}
    for line in (prefix / "etc" / "hub.env").read_text().splitlines():
        key, value = line.split("=", 1)
        env[key] = value
    if not lti:
        env.pop("KIT_LTI_COURSE_DIR", None)
    env.update(KIT_HUB_URL=f"http://127.0.0.1:{ports['hub']}", KIT_HUB_API_PORT=str(ports["api"]),
               KIT_PROXY_API_PORT=str(ports["proxy_api"]), KIT_HUB_STATE=str(root / "hub-state"))
    return env


class Hub:
    """JupyterHub as its unit starts it (as root: it spawns each user's server as that user)."""

    def __init__(self, root: Path, prefix: Path = PREFIX, ports: dict[str, int] | None = None, lti: bool = False):
        self.ports = ports or {name: free_port() for name in ("hub", "api", "proxy_api")}
        self.url = f"http://127.0.0.1:{self.ports['hub']}"
        self.log_path = root / "jupyterhub.log"
        self._log = open(self.log_path, "w")
        state = root / "hub-state"
        state.mkdir(mode=0o700, exist_ok=True)
        self.proc = subprocess.Popen([f"{prefix}/venv/bin/jupyterhub", "-f", f"{prefix}/etc/jupyterhub_config.py"],
                                     cwd=state, env=hub_env(root, self.ports, prefix, lti), stdout=self._log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 120
        while not self._up():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"JupyterHub did not start:\n{self.log_path.read_text()[-5000:]}")
            time.sleep(0.5)

    def _up(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/hub/api", timeout=2) as response:
                return response.status == 200
        except OSError:
            return False

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 5)):
            try:
                os.killpg(self.proc.pid, sig)
                self.proc.wait(timeout=wait)
                break
            except ProcessLookupError:
                break
            except subprocess.TimeoutExpired:
                continue
        self._log.close()
