"""What the service benchmark (bench/service.py) and the service tests (tests/service_support.py)
share: a course root whose nbgrader exchange is a temporary folder, the course id its exchange
folder is named after, a free loopback port, and child processes (serve, workers) whose output is
kept in a file and read as it grows, always stopped with their whole process group."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from autograder.courses import DEFAULT
from autograder.nbgrader_cli import ROOT, nbgrader

VENV_BIN = str(Path(sys.executable).parent)


def course_id() -> str:
    """The course id of this repo's nbgrader_config.py (the exchange's folder is named after it)."""
    for line in (ROOT / "nbgrader_config.py").read_text().splitlines():
        if line.startswith("c.CourseDirectory.course_id"):
            return line.split("=", 1)[1].strip().strip("\"'")
    raise RuntimeError("no course id in nbgrader_config.py")


def make_course_with_exchange(where: Path, assignment: str = DEFAULT, release: bool = True) -> Path:
    """A course root `where/course` (this repo's source/ and nbgrader_config.py, assignment
    generated) whose nbgrader exchange is `where/exchange`, the assignment released into it."""
    course, exchange = where / "course", where / "exchange"
    course.mkdir(parents=True)
    exchange.mkdir()
    exchange.chmod(0o777)
    shutil.copytree(ROOT / "source", course / "source")
    config = (ROOT / "nbgrader_config.py").read_text()
    (course / "nbgrader_config.py").write_text(config + f"\nc.Exchange.root = {str(exchange)!r}\n"
                                              # every student here submits from this one account
                                              "c.ExchangeCollect.check_owner = False\n")
    nbgrader("generate_assignment", assignment, "--force", root=course)
    if release:
        nbgrader("release_assignment", assignment, "--force", root=course)
    return course


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LoggedProcess:
    """A child process in a process group of its own, its output (stdout and stderr) in `log`."""

    def __init__(self, args: list[str], cwd: Path, log: Path, env: dict | None = None):
        self.log_path = log
        self._log = open(log, "w")
        env = dict(os.environ, PATH=VENV_BIN + os.pathsep + os.environ.get("PATH", ""), PYTHONUNBUFFERED="1",
                   **(env or {}))
        self.proc = subprocess.Popen(args, cwd=cwd, env=env, stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True)

    @property
    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for(self, text: str, timeout: float = 120, count: int = 1) -> str:
        """The output once `text` is in it `count` times; RuntimeError when the process ends or
        the time is up first."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            out = self.output
            if out.count(text) >= count:
                return out
            if self.proc.poll() is not None:
                raise RuntimeError(f"the process ended (exit {self.proc.returncode}) before {text!r}:\n{out[-3000:]}")
            time.sleep(0.1)
        raise RuntimeError(f"{text!r} not seen ({count}x) in {timeout} s:\n{self.output[-3000:]}")

    def interrupt(self, timeout: float = 60) -> int:
        """SIGINT, as Ctrl-C sends it; the exit code."""
        self.proc.send_signal(signal.SIGINT)
        return self.proc.wait(timeout=timeout)

    def stop(self) -> None:
        """Whatever state it is in: SIGINT, then SIGKILL of its whole process group."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.wait()
        self._log.close()
