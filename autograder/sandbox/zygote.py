"""The warm parent that runs inside the sandbox: imports numpy, torch and matplotlib once, then
forks one fresh child per notebook.

Protocol with the grader, on this process's stdin/stdout (the child never sees them):
each message is an 8-byte big-endian length then JSON. The grader sends
{"step", "cells", "tirage", "limits"}; the zygote answers {"ok": true, "observation": {...}} or
{"ok": false, "error": "..."} (English, for the instructor). Only this module, the stdlib and
`autograder.observe` (copied alone into the sandbox) are importable from here.
"""
from __future__ import annotations

import json
import os
import resource
import secrets
import shutil
import signal
import struct
import sys
import time

HEADER = struct.Struct(">Q")
SCRATCH = os.environ.get("KIT_SCRATCH", "/scratch")


def read_message(fd: int, max_bytes: int) -> dict | None:
    header = _read_exact(fd, HEADER.size)
    if header is None:
        return None
    (size,) = HEADER.unpack(header)
    if size > max_bytes:
        raise ValueError("message too large")
    body = _read_exact(fd, size)
    if body is None:
        raise ValueError("truncated message")
    return json.loads(body)


def write_message(fd: int, message: dict) -> None:
    body = json.dumps(message, allow_nan=False).encode()
    data = HEADER.pack(len(body)) + body
    while data:
        data = data[os.write(fd, data):]


def _read_exact(fd: int, n: int) -> bytes | None:
    chunks, got = [], 0
    while got < n:
        chunk = os.read(fd, n - got)
        if not chunk:
            if got == 0:
                return None
            raise ValueError("truncated message")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def warm_up() -> None:
    """Import what notebooks use, and run a few torch ops once, before any fork."""
    os.environ["MPLBACKEND"] = "Agg"
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot  # noqa: F401
    import numpy  # noqa: F401
    import torch

    torch.set_num_threads(1)
    model = torch.nn.Linear(1, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    x = torch.tensor([[1.0], [2.0]])
    loss = torch.nn.MSELoss()(model(x), 2 * x)
    loss.backward()
    optimizer.step()
    optimizer.zero_grad()
    w = torch.tensor(0.0, requires_grad=True)
    ((w * x - x) ** 2).mean().backward()
    with torch.no_grad():
        w -= 0.1 * w.grad
    w.grad.zero_()
    import autograder.observe  # noqa: F401


# --- in the child -------------------------------------------------------------------------

def _enter_child(limits: dict, workdir: str, keep_fd: int) -> None:
    """Everything the child does before student code: own session, no fds but its result pipe,
    an unprivileged uid, resource limits, cwd in its own scratch folder."""
    os.setsid()
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.closerange(3, keep_fd)
    os.closerange(keep_fd + 1, 65536)
    uid = limits.get("uid")
    if uid is not None and os.getuid() == 0:
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
    cpu = int(limits["cpu_seconds"])
    for name, value in ((resource.RLIMIT_CPU, (cpu, cpu + 2)),
                        (resource.RLIMIT_AS, (limits["memory_bytes"],) * 2),
                        (resource.RLIMIT_FSIZE, (limits["file_bytes"],) * 2),
                        (resource.RLIMIT_NPROC, (limits["processes"],) * 2),
                        (resource.RLIMIT_NOFILE, (256, 256)),
                        (resource.RLIMIT_CORE, (0, 0))):
        resource.setrlimit(name, value)
    os.chdir(workdir)
    os.environ.update(HOME=workdir, TMPDIR=workdir, MPLCONFIGDIR=workdir)


def _run_child(job: dict, result_fd: int, token: str, workdir: str) -> None:
    try:
        _enter_child(job["limits"], workdir, result_fd)
        from autograder.observe import Cell, observe

        cells = [Cell.from_dict(c) for c in job["cells"]]
        tirage = job["tirage"]
        observation = observe(job["step"], cells, tirage)
        write_message(result_fd, {"token": token, "observation": observation})
    finally:
        os._exit(0)


# --- in the zygote ------------------------------------------------------------------------

def _kill_all_but(keep: set[int]) -> None:
    """SIGKILL every process of this PID namespace but `keep`, until none is left (a child that
    forked or called setsid dies too: inside the sandbox, /proc shows this namespace only)."""
    for _ in range(1000):
        others = [int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) not in keep]
        others = [p for p in others if _state(p) not in ("Z", None)]
        if not others:
            return
        for pid in others:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        _reap()
        time.sleep(0.001)


def _state(pid: int) -> str | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[0].decode()
    except (OSError, IndexError):
        return None


def _reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _collect(read_fd: int, pid: int, deadline: float, max_bytes: int) -> tuple[bytes, str | None]:
    """Read the child's result pipe until EOF, the deadline, or too much data."""
    import select

    chunks, size = [], 0
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return b"", "timeout"
        ready, _, _ = select.select([read_fd], [], [], min(remaining, 0.5))
        if not ready:
            continue
        chunk = os.read(read_fd, 1 << 16)
        if not chunk:
            return b"".join(chunks), None
        chunks.append(chunk)
        size += len(chunk)
        if size > max_bytes:
            return b"", "too_large"


def _parse(data: bytes, token: str) -> dict:
    if len(data) < HEADER.size:
        raise ValueError("the notebook's process ended without a result")
    (size,) = HEADER.unpack(data[:HEADER.size])
    if size != len(data) - HEADER.size:
        raise ValueError("the result channel carried more than one message, or a garbled one")
    message = json.loads(data[HEADER.size:])
    if not isinstance(message, dict) or message.get("token") != token or set(message) != {"token", "observation"}:
        raise ValueError("the result channel carried a message that is not the observer's")
    if not isinstance(message["observation"], dict):
        raise ValueError("the observation is not a JSON object")
    return message["observation"]


def run_job(job: dict) -> dict:
    limits = job["limits"]
    workdir = os.path.join(SCRATCH, "job")
    shutil.rmtree(workdir, ignore_errors=True)
    os.mkdir(workdir, 0o700)
    if limits.get("uid") is not None and os.getuid() == 0:
        os.chown(workdir, limits["uid"], limits["uid"])
    token = secrets.token_hex(16)
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        _run_child(job, write_fd, token, workdir)
    os.close(write_fd)
    start = time.monotonic()
    try:
        data, problem = _collect(read_fd, pid, start + limits["wall_seconds"], limits["result_bytes"])
    finally:
        os.close(read_fd)
        if limits.get("namespace"):
            _kill_all_but({1, os.getpid()})
        else:  # no PID namespace: the child's session is all we can find
            try:
                os.killpg(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        try:
            _, status = os.waitpid(pid, 0)
        except ChildProcessError:
            status = 0
        _reap()
        shutil.rmtree(workdir, ignore_errors=True)
    seconds = time.monotonic() - start
    if problem == "timeout":
        return {"ok": False, "error": f"no result within {limits['wall_seconds']} s (killed)", "seconds": seconds}
    if problem == "too_large":
        return {"ok": False, "error": "the result is larger than any honest observation", "seconds": seconds}
    try:
        return {"ok": True, "observation": _parse(data, token), "seconds": seconds}
    except ValueError as exc:
        detail = _exit_detail(status)
        return {"ok": False, "error": f"{exc}{detail}", "seconds": seconds}


def _exit_detail(status: int) -> str:
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
        return f" (killed by {name}{': CPU time limit' if sig == signal.SIGXCPU else ''})"
    if os.WIFEXITED(status) and os.WEXITSTATUS(status):
        return f" (exit status {os.WEXITSTATUS(status)})"
    return ""


def _mount_scratch(size: str) -> None:
    """A size-bounded tmpfs for the scratch folder, when we may mount (inside bubblewrap)."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    os.makedirs(SCRATCH, exist_ok=True)
    libc.mount(b"tmpfs", SCRATCH.encode(), b"tmpfs", 0, f"size={size},mode=0755".encode())


def main() -> None:
    control_in, control_out = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    if os.environ.get("KIT_NAMESPACE") == "1":
        _mount_scratch(os.environ.get("KIT_SCRATCH_SIZE", "256m"))
    warm_up()
    write_message(control_out, {"ready": True, "pid": os.getpid()})
    while True:
        job = read_message(control_in, 1 << 30)
        if job is None:
            return
        write_message(control_out, run_job(job))


if __name__ == "__main__":
    sys.exit(main())
