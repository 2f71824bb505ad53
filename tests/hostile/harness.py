"""What the hostile tests need around a grading run: a course with canaries, a loopback server
that counts connections, hashes of the course before and after, and a /proc scan for the
processes an attack started."""
from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from autograder.courses.descente_gradient.course import ASSIGNMENT, STEPS
from autograder.nbgrader_cli import ROOT, nbgrader

from .build import Ctx, Hostile, hostile_class, new_marker, write_hostile

# What the grader itself must write; every other file of the course must stay as it was.
OUTPUTS = ("autograded", "feedback", "gradebook.db", "reports", "grades.csv", ".nbgrader.log")

# Text of autograder/ that no student may ever see (the reference and the draw).
AUTOGRADER_MARKERS = ("def line_descent(", "def _line_scenario(", "def affine_descent(",
                      "def check_training(")


class LoopbackServer:
    """A TCP and UDP server on 127.0.0.1 that counts what reaches it."""

    def __init__(self):
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.tcp.bind(("127.0.0.1", 0))
        self.port = self.tcp.getsockname()[1]
        self.tcp.listen(64)
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", self.port))
        self.connections = 0
        self.datagrams = 0
        self.samples: list = []
        self._closed = False
        self._threads = [threading.Thread(target=self._accept, daemon=True),
                         threading.Thread(target=self._receive, daemon=True)]
        for t in self._threads:
            t.start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.tcp.accept()
            except OSError:
                return
            self.connections += 1
            conn.close()

    def _receive(self):
        while True:
            try:
                data, sender = self.udp.recvfrom(1024)
            except OSError:
                return
            if self._closed:
                return
            self.datagrams += 1
            if len(self.samples) < 5:
                self.samples.append((sender, data[:40]))

    def close(self):
        self._closed = True
        for s in (self.tcp, self.udp):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()


def tree_hashes(root: Path, exclude: tuple[str, ...] = OUTPUTS) -> dict[str, str]:
    """sha256 of every file under root, except the top-level names in `exclude`."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = Path(dirpath).relative_to(root)
        if rel_dir == Path("."):
            dirnames[:] = [d for d in dirnames if d not in exclude]
            filenames = [f for f in filenames if f not in exclude]
        for name in filenames:
            path = Path(dirpath) / name
            if path.is_symlink() or not path.is_file():   # never open a FIFO or a device
                out[str(path.relative_to(root))] = f"special:{os.lstat(path).st_mode:o}"
                continue
            h = hashlib.sha256()
            with open(path, "rb") as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    h.update(chunk)
            out[str(path.relative_to(root))] = h.hexdigest()
        for name in dirnames:
            out[str((Path(dirpath) / name).relative_to(root)) + "/"] = "dir"
    return out


def survivors(marker: str) -> list[tuple[int, str, str]]:
    """Processes whose command line or name carries the run's marker."""
    found = []
    comm_mark = ("hx" + marker)[:15]
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
            comm = Path(f"/proc/{entry}/comm").read_text().strip()
            state = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if state == "Z":
            continue
        if marker.encode() in cmdline or comm == comm_mark:
            found.append((int(entry), comm, cmdline[:80].decode("latin-1")))
    return found


def kill_survivors(marker: str) -> None:
    for pid, _, _ in survivors(marker):
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


@dataclass
class Canaries:
    source: str      # in a solution cell of source/ (never in release/)
    gradebook: str   # a student id only the gradebook holds
    neighbour: str   # in another student's notebook

    def all(self) -> dict[str, str]:
        return {"source/": self.source, "gradebook": self.gradebook, "another student": self.neighbour}


def make_course_with_canaries(where: Path) -> tuple[Path, Canaries]:
    """A course root like tests/conftest.make_course, with a canary in a solution of source/ and
    a canary student in the gradebook."""
    tok = secrets.token_hex(6)
    canaries = Canaries(f"CANARI_SOURCE_{tok}", f"canari_carnet_{tok}", f"CANARI_AUTRE_{tok}")
    where.mkdir(parents=True, exist_ok=True)
    shutil.copytree(ROOT / "source", where / "source")
    shutil.copy(ROOT / "nbgrader_config.py", where / "nbgrader_config.py")
    path = where / "source" / ASSIGNMENT / STEPS["etape1"].filename
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if (cell.get("metadata", {}).get("nbgrader") or {}).get("solution"):
            src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            cell["source"] = src.replace("### BEGIN SOLUTION\n", f"### BEGIN SOLUTION\n    # {canaries.source}\n", 1)
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False), encoding="utf-8")
    nbgrader("generate_assignment", ASSIGNMENT, "--force", root=where)
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{where / 'gradebook.db'}") as gb:
        gb.add_student(canaries.gradebook)
    return where, canaries


def plant_neighbour_canary(course_dir: Path, student: str, canary: str) -> None:
    """A comment in `student`'s etape1 notebook (does not change their score)."""
    path = course_dir / "submitted" / student / ASSIGNMENT / STEPS["etape1"].filename
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if (cell.get("metadata", {}).get("nbgrader") or {}).get("grade_id") == "avant":
            src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            cell["source"] = f"# {canary}\n" + src
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False), encoding="utf-8")


GRADE_SCRIPT = """
import json, sys, time
from autograder.grader.autograde import autograde_class
from autograder.grader.summary import summary
from autograder.sandbox import Limits
course, wall, student = sys.argv[1], float(sys.argv[2]), (sys.argv[3] or None)
limits = Limits(wall_seconds=wall, cpu_seconds=int(wall))
t = time.monotonic()
report = autograde_class(course, "descente_gradient", student=student, jobs=2, limits=limits)
print(summary(course, "descente_gradient", report))
print("KIT_SECONDS", time.monotonic() - t)
"""


@dataclass
class Run:
    returncode: int | None
    seconds: float
    stdout: str
    stderr: str


def run_kit_grader(course_dir: Path, wall_seconds: float, timeout: float, student: str = "") -> Run:
    """The kit's grader (`autograde_class`, what `python -m autograder autograde` runs) in a
    process of its own, with small limits, killed (with its whole session) after `timeout` s."""
    start = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-c", GRADE_SCRIPT, str(course_dir), str(wall_seconds), student],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            errors="replace", start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
        code = proc.returncode
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        code = None
    return Run(code, time.monotonic() - start, out, err)


def student_visible_text(course_dir: Path, student: str) -> str:
    """Everything a student is shown: their autograded notebooks, feedback and results files."""
    texts = []
    for top in ("autograded", "feedback", "reports"):
        base = course_dir / top
        if not base.exists():
            continue
        for path in base.rglob("*"):
            if path.is_file() and student in path.relative_to(base).parts:
                texts.append(path.read_bytes().decode("utf-8", "replace"))
    return "\n".join(texts)


__all__ = ["Canaries", "Ctx", "Hostile", "LoopbackServer", "Run", "hostile_class", "make_course_with_canaries",
           "new_marker", "plant_neighbour_canary", "run_kit_grader", "student_visible_text", "survivors",
           "kill_survivors", "tree_hashes", "write_hostile", "AUTOGRADER_MARKERS"]
