"""The grader's side of the sandbox: one warm parent (zygote) inside bubblewrap, which imports
torch once and serves each worker from a slot of its own, each slot forking one fresh child per
notebook.

The sandbox is `bwrap ... python -I -c 'run zygote'` with: no network, its own PID, IPC and UTS
namespaces, only the Python install, the venv and a copy of `autograder/observe` (plus
`course.py`) bound read-only. Each slot then takes PID, IPC, mount and network namespaces of its
own, with a size-bounded tmpfs as scratch; children run under a uid of their own (one per
worker) with rlimits. Nothing of the course root (source/, autograder/checks,
autograder/reference, the gradebook, submitted/) is visible inside.
"""
from __future__ import annotations

import atexit
import json
import os
import pwd
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path

from .framing import read_frame, read_message, write_frame, write_message

PACKAGE = Path(__file__).resolve().parents[1]          # .../autograder
# All the sandbox may import of the kit: the observer, and of each course its steps and its
# observer (no checks, no reference, no draws).
KIT_FILES = ("__init__.py", "course.py", "observe/*.py", "sandbox/zygote.py", "sandbox/framing.py",
             "sandbox/confine.py", "sandbox/hugepages.py", "courses/__init__.py",
             "courses/*/__init__.py", "courses/*/course.py", "courses/*/observe.py")
BASE_UID = 61000
SYSTEM_DIRS = ("/usr", "/lib", "/lib64", "/bin", "/etc/ld.so.cache", "/etc/localtime")
BOOT = ("import sys; sys.path.insert(0, '/kit'); sys.dont_write_bytecode = True; "
        "from autograder.sandbox.zygote import main; main()")


@dataclass(frozen=True)
class Limits:
    wall_seconds: float = 60.0
    cpu_seconds: int = 60
    memory_bytes: int = 3 * 1024**3     # address space of a child, torch's own mappings included
    file_bytes: int = 16 * 1024**2      # largest file a child may write (in its scratch)
    processes: int = 64                 # processes and threads of a child's uid
    result_bytes: int = 32 * 1024**2
    job_bytes: int = 64 * 1024**2       # largest notebook (cells and draw) sent into the sandbox
    scratch_size: str = "256m"


class ObserverFailed(Exception):
    """The student's process died, hung, or wrote something that is not an observation."""


def bwrap_path() -> str | None:
    path = shutil.which("bwrap") or ("/usr/bin/bwrap" if os.path.exists("/usr/bin/bwrap") else None)
    if path is None:
        return None
    probe = subprocess.run([path, "--unshare-net", "--ro-bind", "/", "/", "true"], capture_output=True)
    return path if probe.returncode == 0 else None


def _kit_copy() -> Path:
    """The few modules the sandbox may import, copied alone into a fresh folder."""
    kit = Path(tempfile.mkdtemp(prefix="kit-observer-"))
    for pattern in KIT_FILES:
        for path in PACKAGE.glob(pattern):
            rel = path.relative_to(PACKAGE)
            (kit / "autograder" / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, kit / "autograder" / rel)
            (kit / "autograder" / rel).chmod(0o644)   # readable by an unprivileged warm parent (runuser)
    (kit / "autograder" / "sandbox" / "__init__.py").write_text("")
    for folder in (kit, *[p for p in kit.rglob("*") if p.is_dir()]):
        folder.chmod(0o755)
    return kit


def _uid_of(user: str) -> int | None:
    try:
        return pwd.getpwnam(user).pw_uid
    except KeyError:
        return None


def _python_roots() -> list[str]:
    roots = {os.path.realpath(sys.base_prefix), os.path.realpath(sys.prefix)}
    return sorted(r for r in roots if os.path.isdir(r))


def _bwrap_command(bwrap: str, kit: Path) -> list[str]:
    cmd = [bwrap, "--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
           "--die-with-parent", "--new-session", "--cap-add", "CAP_SETUID,CAP_SETGID,CAP_KILL,CAP_SYS_ADMIN",
           "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
    for system in SYSTEM_DIRS:
        if os.path.islink(system):
            cmd += ["--symlink", os.readlink(system), system]
        elif os.path.exists(system):
            cmd += ["--ro-bind", system, system]
    made = set()
    for root in _python_roots():
        # The folders above the install (such as /root, 0700 on the host) are made traversable, so
        # that the child's own uid imports what the warm parent had not (stdlib modules included).
        for parent in reversed(Path(root).parents[:-1]):
            if str(parent) not in made and not any(str(parent).startswith(s) for s in SYSTEM_DIRS):
                cmd += ["--perms", "0755", "--dir", str(parent)]
                made.add(str(parent))
        cmd += ["--ro-bind", root, root]
    if os.path.realpath(sys.prefix) != sys.prefix:   # the venv reached through a symlink
        cmd += ["--symlink", os.path.realpath(sys.prefix), sys.prefix]
    cmd += ["--ro-bind", str(kit), "/kit", "--chdir", "/tmp"]
    return cmd + [sys.executable, "-I", "-c", BOOT]


def _observation(frame: bytes | None) -> dict | None:
    try:
        value = json.loads(frame) if frame is not None else None
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


class Sandbox:
    """One bubblewrap process (or, without bubblewrap, one plain process) whose warm parent
    imports torch once and serves `slots` workers, each over its own pair of pipes; with several
    slots each is given PID, IPC and mount namespaces of its own inside (see zygote.main)."""

    def __init__(self, slots: int, kit: Path, bwrap: str | None, limits: Limits, user: str | None = None):
        env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
               "MPLBACKEND": "module://matplotlib_inline.backend_inline",
               "LANG": "C.UTF-8", "KIT_SCRATCH_SIZE": limits.scratch_size,
               "KIT_RESULT_BYTES": str(limits.result_bytes), "KIT_JOB_BYTES": str(limits.job_bytes)}
        self.scratch: str | None = None
        if bwrap:
            cmd = _bwrap_command(bwrap, kit)
            env.update(KIT_NAMESPACE="1", KIT_SCRATCH="/scratch", MPLCONFIGDIR="/tmp", HOME="/tmp")
        else:
            self.scratch = tempfile.mkdtemp(prefix="kit-scratch-")
            os.chmod(self.scratch, 0o755)
            cmd = [sys.executable, "-I", "-c", BOOT.replace("/kit", str(kit))]
            env.update(KIT_SCRATCH=self.scratch, MPLCONFIGDIR=self.scratch, HOME=self.scratch)
            if user:   # "runuser": the warm parent, hence every child, runs as this unprivileged user
                entry = pwd.getpwnam(user)
                os.chown(self.scratch, entry.pw_uid, entry.pw_gid)
                cmd = [shutil.which("runuser") or "/usr/sbin/runuser", "-p", "-u", user, "--"] + cmd
        to_slots, from_slots = [os.pipe() for _ in range(slots)], [os.pipe() for _ in range(slots)]
        theirs = [fd for (r, _), (_, w) in zip(to_slots, from_slots) for fd in (r, w)]
        env["KIT_SLOTS"] = ",".join(f"{r}:{w}" for (r, _), (_, w) in zip(to_slots, from_slots))
        try:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL, env=env, cwd="/", start_new_session=True,
                                         pass_fds=theirs)
        finally:
            for fd in theirs:
                os.close(fd)
        self.channels = [(w, r) for (_, w), (r, _) in zip(to_slots, from_slots)]   # (to the slot, from it)

    def close_slot(self, slot: int) -> None:
        """The slot's pipes closed (it sees the end of its input and exits), never twice."""
        for fd in self.channels[slot]:
            if fd >= 0:
                os.close(fd)
        self.channels[slot] = (-1, -1)

    def stop(self) -> None:
        try:
            os.killpg(self.proc.pid, 9)
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.wait()
        for slot in range(len(self.channels)):
            self.close_slot(slot)
        self.channels = []
        if self.scratch:
            shutil.rmtree(self.scratch, ignore_errors=True)


class Worker:
    """One slot of a sandbox; `run(job)` returns the zygote's answer (a dict). A worker whose
    slot fails leaves the shared sandbox and goes on in a sandbox of its own."""

    def __init__(self, index: int, kit: Path, bwrap: str | None, limits: Limits,
                 sandbox: Sandbox | None = None, slot: int = 0, user: str | None = None):
        self.index, self.kit, self.bwrap, self.limits, self.user = index, kit, bwrap, limits, user
        self.sandbox, self.slot, self.own = sandbox, slot, False
        self._ready = False

    @property
    def _to(self) -> int:
        return self.sandbox.channels[self.slot][0]

    @property
    def _from(self) -> int:
        return self.sandbox.channels[self.slot][1]

    def start(self) -> None:
        sandbox = Sandbox(1, self.kit, self.bwrap, self.limits, self.user)
        self.sandbox, self.slot, self.own, self._ready = sandbox, 0, True, False

    def wait_ready(self) -> None:
        if self._ready:
            return
        ready = read_message(self._from, 1 << 20)
        if not ready or not ready.get("ready"):
            raise ObserverFailed("the sandbox's warm parent did not start")
        self._ready = True

    def ready(self) -> str | None:
        """None once the worker can take a job, else why not. A slot of the shared sandbox that
        did not start is left for a sandbox of the worker's own."""
        while True:
            if self.sandbox is None or not self.sandbox.channels:
                self.start()
            try:
                self.wait_ready()
                return None
            except (OSError, ValueError, ObserverFailed) as exc:
                shared = not self.own
                self.stop()
                if not shared:
                    return str(exc) or type(exc).__name__

    def run(self, job: dict) -> dict:
        problem = self.ready()
        if problem is not None:
            return {"ok": False, "code": "sandbox_failed", "error": problem}
        limits = {**self.limits.__dict__, "uid": BASE_UID + self.index if os.getuid() == 0 else None,
                  "namespace": bool(self.bwrap)}
        body = json.dumps(job, allow_nan=False).encode()
        if len(body) > self.limits.job_bytes:
            return {"ok": False, "code": "notebook_too_large",
                    "error": f"the notebook is too large to be graded ({len(body) >> 20} MiB)"}
        try:
            write_message(self._to, limits)
            write_frame(self._to, body)
            ready, _, _ = select.select([self._from], [], [], self.limits.wall_seconds + 30)
            if not ready:
                raise OSError("the sandbox's warm parent stopped answering")
            answer = read_message(self._from, 1 << 20)
            if answer and answer.get("ok"):
                answer["observation"] = _observation(read_frame(self._from, self.limits.result_bytes))
        except (OSError, ValueError) as exc:
            answer = None
            problem = str(exc)
        else:
            problem = "the sandbox's warm parent died"
        if answer is None:
            self.stop()
            return {"ok": False, "code": "sandbox_failed", "error": problem}
        if answer.get("ok") and answer.get("observation") is None:
            return {"ok": False, "code": "garbled", "error": "the observation is not a JSON object",
                    "seconds": answer.get("seconds")}
        return answer

    def stop(self) -> None:
        """Leave the sandbox: kill it if it is this worker's own, else close this slot's pipes."""
        if self.sandbox is not None:
            self.sandbox.stop() if self.own else self.sandbox.close_slot(self.slot)
            self.sandbox, self._ready = None, False


class SandboxPool:
    """`jobs` workers, slots of one sandbox. `observe(step, cells, tirage)` is thread-safe: each
    call takes a free worker. Use as a context manager, or call `close()`. With `wait=False` the
    sandbox warms up while the caller goes on; each worker is waited for at its first job."""

    def __init__(self, jobs: int = 2, limits: Limits | None = None, isolate: bool = True, wait: bool = True,
                 isolation: str | None = None, user: str | None = None):
        """`isolation` (else $KIT_ISOLATION): "bwrap" (bubblewrap, else ObserverFailed), "runuser" (no
        namespaces: the warm parent and its children run as the unprivileged `user`, else
        $KIT_SANDBOX_USER, else nobody, started by root with `runuser`, under the same rlimits),
        "none"; by default bubblewrap is tried once, with "none" as the fallback."""
        self.limits = limits or Limits()
        isolation = isolation or (os.environ.get("KIT_ISOLATION") if isolate else None) or None
        user = user or os.environ.get("KIT_SANDBOX_USER") or "nobody"
        if isolation is None:
            isolation = "bwrap" if isolate and bwrap_path() else "none"
        if isolation not in ("bwrap", "runuser", "none"):
            raise ValueError(f"unknown isolation {isolation!r}")
        self.isolation = isolation
        self.bwrap = bwrap_path() if isolation == "bwrap" else None
        if isolation == "bwrap" and self.bwrap is None:
            raise ObserverFailed("bubblewrap (bwrap) is missing or cannot create its namespaces here")
        if isolation == "runuser" and (os.getuid() != 0 or not shutil.which("runuser")):
            raise ObserverFailed("the runuser isolation needs root and util-linux's runuser")
        if isolation == "runuser" and _uid_of(user) in (None, 0):
            raise ObserverFailed(f"the runuser isolation needs an unprivileged user: {user!r} is not one")
        self.user = user if isolation == "runuser" else None
        if isolation != "bwrap" and isolate:
            as_user = f", as {user}" if self.user else ""
            warnings.warn("bubblewrap (bwrap) is not used: student code runs WITHOUT filesystem, network "
                          f"and PID isolation (rlimits and a separate process only{as_user})",
                          RuntimeWarning, stacklevel=2)
        self.kit = _kit_copy()
        jobs = max(1, jobs)
        self.shared = Sandbox(jobs, self.kit, self.bwrap, self.limits, self.user)
        self.workers = [Worker(i, self.kit, self.bwrap, self.limits, self.shared, i, self.user) for i in range(jobs)]
        self._free = list(self.workers)
        self._lock = threading.Condition()
        atexit.register(self.close)
        for worker in self.workers if wait else ():
            problem = worker.ready()
            if problem is not None:
                raise ObserverFailed(problem)

    @property
    def isolated(self) -> bool:
        return self.bwrap is not None

    def run(self, step: str, cells: list, tirage: dict) -> dict:
        """The zygote's answer: {"ok": True, "observation": ..., "seconds"} or {"ok": False, "error"}."""
        job = {"step": step, "cells": [c.to_dict() for c in cells], "tirage": tirage}
        with self._lock:
            while not self._free:
                self._lock.wait()
            worker = self._free.pop()
        try:
            return worker.run(job)
        finally:
            with self._lock:
                self._free.append(worker)
                self._lock.notify()

    def observe(self, step: str, cells: list, tirage: dict) -> dict:
        answer = self.run(step, cells, tirage)
        if not answer.get("ok"):
            raise ObserverFailed(answer.get("error", "unknown failure"))
        return answer["observation"]

    def close(self) -> None:
        for worker in self.workers:
            if worker.own:
                worker.stop()
        self.shared.stop()
        shutil.rmtree(self.kit, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
