"""The warm parent that runs inside the sandbox: imports numpy, torch and matplotlib once, then
forks one fresh child per notebook.

Protocol with the grader, on this process's channels (the child never sees them): frames
(`framing.py`). Per notebook the grader sends the limits (JSON) then the
job (JSON `{"step", "cells", "tirage"}`), which this process never parses: it lands in a buffer,
the child parses its copy, and the buffer is zeroed once the child is forked, so that no
student's code or result lingers in the memory the next child inherits. The answer is a JSON
frame `{"ok", "code", "error", "seconds"}` (`code` names a failure, `error` says it in English) followed, when ok, by the raw observation frame (JSON), which
the grader parses. Only this package, the stdlib, `autograder.observe` and the courses' `course`
and `observe` modules (copied alone into the sandbox) are importable from here.
"""
from __future__ import annotations

import json
import os
import resource
import secrets
import shutil
import signal
import sys
import time

from .confine import SCRATCH, kill_all_but, mount_scratch, no_sysv_ipc, own_namespaces, reap, remove_ipc_objects
from .framing import HEADER, read_frame, read_message, write_frame, write_message
from .hugepages import collapse_into_huge_pages


# After the courses' own warm-up cells (their imports): the shell's paths every notebook may take.
WARM_UP_CELLS = (
    "%%time\ntotal = sum(range(10))",
    "from IPython.display import SVG, display\ndisplay(SVG('<svg xmlns=\"http://www.w3.org/2000/svg\"/>'))",
    "!true",
    "1 / 0",
    "def f(:",
)


def warm_up() -> None:
    """Run, through the kernel-like shell, once before any fork: each course's warm-up cells (the
    imports of its notebooks, their first costly calls, the figure its notebooks draw, if any:
    the first one costs half a second here), then a magic, the display hook, SVG display, a shell
    escape and the traceback paths."""
    from autograder.course import available, load
    from autograder.observe.replay import replay   # noqa: F401
    from autograder.observe.shell import Outputs, captured, kernel_like_shell

    shell = kernel_like_shell()
    shell.fresh_namespace()
    courses = [load(name) for name in available()]
    with captured(shell, lambda *_: None):
        outputs = Outputs()
        for cell in [c for course in courses for c in course.warm_up] + list(WARM_UP_CELLS):
            shell.run(cell, outputs)
    for course in courses:
        __import__(f"{course.package}.observe")
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(1)
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


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


def _run_child(job, limits: dict, result_fd: int, token: bytes, workdir: str) -> None:
    try:
        _enter_child(limits, workdir, result_fd)
        from autograder.observe import Cell, observe

        job = json.loads(bytes(job))
        cells = [Cell.from_dict(c) for c in job["cells"]]
        observation = json.dumps(observe(job["step"], cells, job["tirage"]), allow_nan=False).encode()
        write_frame(result_fd, token + observation)
    finally:
        os._exit(0)


# --- in the zygote ------------------------------------------------------------------------

def _collect(read_fd: int, deadline: float, buf: bytearray) -> tuple[int, str | None]:
    """Read the child's result pipe into `buf` until EOF, the deadline, or a full buffer."""
    import select

    view, size = memoryview(buf), 0
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return 0, "timeout"
        ready, _, _ = select.select([read_fd], [], [], min(remaining, 0.5))
        if not ready:
            continue
        if size == len(view):
            return 0, "too_large"
        n = os.readv(read_fd, [view[size:]])
        if n == 0:
            return size, None
        size += n


def _check(buf: bytearray, size: int, token: bytes) -> memoryview:
    """The observation's bytes, if the channel carried exactly one frame with this job's token."""
    if size < HEADER.size + len(token):
        raise ValueError("the notebook's process ended without a result")
    (length,) = HEADER.unpack(buf[:HEADER.size])
    if length != size - HEADER.size:
        raise ValueError("the result channel carried more than one message, or a garbled one")
    if bytes(buf[HEADER.size:HEADER.size + len(token)]) != token:
        raise ValueError("the result channel carried a message that is not the observer's")
    return memoryview(buf)[HEADER.size + len(token):size]


def run_job(job: memoryview, limits: dict, result_buf, control_out: int, slot: int = 0) -> None:
    """Fork a child for one notebook, wait for it, kill what it left, answer the grader."""
    workdir = os.path.join(SCRATCH, f"job{slot}")
    shutil.rmtree(workdir, ignore_errors=True)
    os.mkdir(workdir, 0o700)
    if limits.get("uid") is not None and os.getuid() == 0:
        os.chown(workdir, limits["uid"], limits["uid"])
    token = secrets.token_hex(16).encode()
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        _run_child(job, limits, write_fd, token, workdir)
    os.close(write_fd)
    job[:] = bytes(len(job))                      # no student's code stays in this process
    start = time.monotonic()
    size = 0
    try:
        size, problem = _collect(read_fd, start + limits["wall_seconds"], result_buf)
    finally:
        os.close(read_fd)
        if limits.get("namespace"):
            kill_all_but({1, os.getpid()})
            remove_ipc_objects()
        else:  # no PID namespace: the child's session is all we can find
            try:
                os.killpg(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        try:
            _, status, usage = os.wait4(pid, 0)
            cpu = usage.ru_utime + usage.ru_stime
        except ChildProcessError:
            status, cpu = 0, 0.0
        reap()
        shutil.rmtree(workdir, ignore_errors=True)
    seconds = time.monotonic() - start
    observation, error, code = None, None, None
    if problem == "timeout":
        code, error = "timeout", f"no result within {limits['wall_seconds']} s (killed)"
    elif problem == "too_large":
        code, error = "result_too_large", "the result is larger than any honest observation"
    else:
        try:
            observation = _check(result_buf, size, token)
        except ValueError as exc:
            code = "killed" if os.WIFSIGNALED(status) else "no_result"
            error = f"{exc}{_exit_detail(status)}"
    write_message(control_out, {"ok": observation is not None, "error": error, "code": code, "seconds": seconds,
                                "cpu_seconds": cpu})
    if observation is not None:
        write_frame(control_out, observation)
    result_buf[:size] = bytes(size)               # nor any student's result


def _exit_detail(status: int) -> str:
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
        return f" (killed by {name}{': CPU time limit' if sig == signal.SIGXCPU else ''})"
    if os.WIFEXITED(status) and os.WEXITSTATUS(status):
        return f" (exit status {os.WEXITSTATUS(status)})"
    return ""


def _channels() -> list[tuple[int, int]]:
    """(control in, control out) of each slot: `KIT_SLOTS="in:out,in:out"`, else stdin/stdout."""
    spec = os.environ.get("KIT_SLOTS")
    if not spec:
        return [(os.dup(0), os.dup(1))]
    return [(int(a), int(b)) for a, b in (pair.split(":") for pair in spec.split(","))]


def _serve(slot: int, control_in: int, control_out: int) -> None:
    """The job loop of one slot: its own buffers (mapped, untouched pages cost a fork nothing),
    jobs one at a time."""
    import mmap

    private = mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS     # a child gets a copy, never the slot's own pages
    job_buf = mmap.mmap(-1, int(os.environ.get("KIT_JOB_BYTES", 64 * 1024**2)), flags=private)
    result_buf = mmap.mmap(-1, int(os.environ.get("KIT_RESULT_BYTES", 32 * 1024**2)), flags=private)
    write_message(control_out, {"ready": True, "pid": os.getpid()})
    while True:
        limits = read_message(control_in, 1 << 20)
        if limits is None:
            return
        job = read_frame(control_in, len(job_buf), into=job_buf)
        run_job(job, limits, result_buf, control_out, slot)


def _close_other_channels(channels: list[tuple[int, int]], mine: tuple[int, int]) -> None:
    for other in channels:
        if other != mine:
            os.close(other[0])
            os.close(other[1])


def main() -> None:
    """Import once, then fork one slot per channel; with several slots and KIT_NAMESPACE=1, each
    slot gets namespaces of its own (`own_namespaces`), as one sandbox per slot would."""
    import gc

    channels = _channels()
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    namespace = os.environ.get("KIT_NAMESPACE") == "1"
    size = os.environ.get("KIT_SCRATCH_SIZE", "256m")
    nested = namespace and len(channels) > 1
    if namespace and not nested:
        mount_scratch(size)
        no_sysv_ipc()
    warm_up()
    gc.collect()
    gc.freeze()          # a child's full collection would otherwise walk (and copy) every inherited object
    collapse_into_huge_pages()
    if not nested:
        for slot, channel in enumerate(channels[1:], start=1):   # unsandboxed: slots share this process
            if os.fork() == 0:
                _close_other_channels(channels, channel)
                _serve(slot, *channel)
                os._exit(0)
        _close_other_channels(channels, channels[0])
        return _serve(0, *channels[0])
    for slot, channel in enumerate(channels):
        if os.fork() == 0:
            try:
                _close_other_channels(channels, channel)
                own_namespaces(size)
                _serve(slot, *channel)
            finally:
                os._exit(0)
    for channel in channels:
        os.close(channel[0])
        os.close(channel[1])
    while True:
        try:
            os.wait()
        except ChildProcessError:
            return


if __name__ == "__main__":
    sys.exit(main())
