"""The warm parent that runs inside the sandbox: imports numpy, torch and matplotlib once, then
forks one fresh child per notebook.

Protocol with the grader, on this process's stdin/stdout (the child never sees them): frames of
an 8-byte big-endian length then bytes. Per notebook the grader sends the limits (JSON) then the
job (JSON `{"step", "cells", "tirage"}`), which this process never parses: it lands in a buffer,
the child parses its copy, and the buffer is zeroed once the child is forked, so that no
student's code or result lingers in the memory the next child inherits. The answer is a JSON
frame `{"ok", "code", "error", "seconds"}` (`code` names a failure, `error` says it in English) followed, when ok, by the raw observation frame (JSON), which
the grader parses. Only this module, the stdlib and `autograder.observe` (copied alone into the
sandbox) are importable from here.
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
    frame = read_frame(fd, max_bytes)
    return None if frame is None else json.loads(frame)


def write_message(fd: int, message: dict) -> None:
    write_frame(fd, json.dumps(message, allow_nan=False).encode())


def write_frame(fd: int, body) -> None:
    _write_all(fd, HEADER.pack(len(body)))
    _write_all(fd, body)


def _write_all(fd: int, data) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def read_frame(fd: int, max_bytes: int, into: bytearray | None = None):
    """One frame's body (None at end of stream). With `into`, the body is read straight into that
    buffer (no intermediate bytes object) and a memoryview of it is returned."""
    header = _read_into(fd, bytearray(HEADER.size), allow_eof=True)
    if header is None:
        return None
    (size,) = HEADER.unpack(header)
    if size > max_bytes or (into is not None and size > len(into)):
        raise ValueError("message too large")
    if into is None:
        return bytes(_read_into(fd, bytearray(size)))
    _read_into(fd, memoryview(into)[:size])
    return memoryview(into)[:size]


def _read_into(fd: int, buf, allow_eof: bool = False):
    view, got = memoryview(buf), 0
    while got < len(view):
        n = os.readv(fd, [view[got:]])
        if n == 0:
            if got == 0 and allow_eof:
                return None
            raise ValueError("truncated message")
        got += n
    return buf


WARM_UP_CELLS = (
    "import numpy as np\nimport torch\nimport torch.nn as nn\nimport matplotlib.pyplot as plt",
    "model = nn.Linear(1, 1)\noptimizer = torch.optim.SGD(model.parameters(), lr=0.01)\n"
    "x = torch.tensor([[1.0], [2.0]])\nL = nn.MSELoss()(model(x), 2 * x)\nL.backward()\n"
    "optimizer.step()\noptimizer.zero_grad()",
    "w = torch.tensor(0.0, requires_grad=True)\n((w * x - x) ** 2).mean().backward()\n"
    "with torch.no_grad():\n    w -= 0.1 * w.grad\nw.grad.zero_()\nprint(f'{w.item():.3f}')\nw",
    "%%time\ntotal = sum(range(10))",
    "from IPython.display import SVG, display\ndisplay(SVG('<svg xmlns=\"http://www.w3.org/2000/svg\"/>'))",
    "!true",
    "1 / 0",
    "def f(:",
)


def warm_up() -> None:
    """Import what notebooks use and run a few cells through the kernel-like shell once, before
    any fork: torch's first ops, a magic, the display hook, SVG display, a shell escape, the traceback
    paths. (Not a figure: drawing one costs half a second here, and few notebooks plot.)"""
    import numpy  # noqa: F401
    import torch

    torch.set_num_threads(1)
    from autograder.observe.replay import replay   # noqa: F401
    from autograder.observe.shell import Outputs, captured, kernel_like_shell

    shell = kernel_like_shell()
    shell.fresh_namespace()
    with captured(shell, lambda *_: None):
        outputs = Outputs()
        for cell in WARM_UP_CELLS:
            shell.run(cell, outputs)
    import matplotlib.pyplot

    matplotlib.pyplot.close("all")


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


def _no_sysv_ipc() -> None:
    """No System V shared memory, semaphore or message queue can be made in this worker's IPC
    namespace (these limits are the namespace's own; the host's are untouched). A segment's
    pages belong to the namespace, not to a process: create, touch, detach, again, and a notebook
    holds memory that its RLIMIT_AS never sees. numpy, torch and matplotlib do not use them."""
    for name, value in (("shmmni", "0"), ("shmall", "0"), ("msgmni", "0"), ("sem", "0 0 0 0")):
        try:
            with open(f"/proc/sys/kernel/{name}", "w") as f:
                f.write(value)
        except OSError:
            pass


def _remove_ipc_objects() -> None:
    """System V shared memory, semaphores and message queues outlive their maker, and so do files
    in /dev/shm: in this worker's own IPC namespace, remove them all between two notebooks."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    ipc_rmid = 0
    for table, remove in (("shm", lambda i: libc.shmctl(i, ipc_rmid, None)),
                          ("sem", lambda i: libc.semctl(i, 0, ipc_rmid)),
                          ("msg", lambda i: libc.msgctl(i, ipc_rmid, None))):
        try:
            with open(f"/proc/sysvipc/{table}") as f:
                rows = f.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            remove(int(row.split()[1]))
    if os.path.isdir("/dev/shm"):
        for name in os.listdir("/dev/shm"):
            path = os.path.join("/dev/shm", name)
            shutil.rmtree(path, ignore_errors=True) if os.path.isdir(path) and not os.path.islink(path) \
                else os.unlink(path)


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
            _kill_all_but({1, os.getpid()})
            _remove_ipc_objects()
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
        _reap()
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


CLONE_NEWNS, CLONE_NEWIPC, CLONE_NEWPID, CLONE_NEWNET = 0x00020000, 0x08000000, 0x20000000, 0x40000000
MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REC, MS_PRIVATE = 2, 4, 8, 16384, 1 << 18
MADV_COLLAPSE = 25


def _libc():
    import ctypes

    return ctypes.CDLL(None, use_errno=True)


def _mount(source: bytes | None, target: str, fstype: bytes | None, flags: int, data: bytes | None) -> None:
    import ctypes

    if _libc().mount(source, target.encode(), fstype, flags, data) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"mount {target}: {os.strerror(errno)}")


def _mount_scratch(size: str) -> None:
    """A size-bounded tmpfs for the scratch folder, when we may mount (inside bubblewrap)."""
    os.makedirs(SCRATCH, exist_ok=True)
    try:
        _mount(b"tmpfs", SCRATCH, b"tmpfs", 0, f"size={size},mode=0755".encode())
    except OSError:
        pass


def _own_namespaces(size: str) -> None:
    """Make the calling slot a sandbox of its own inside the shared one: new PID, IPC, mount and
    network namespaces (no loopback, no abstract socket shared with another slot), whose PID 1 is
    the child this returns in (the parent waits for it, then exits); a /proc showing that
    namespace only, its own scratch and /dev/shm tmpfs, no SysV IPC."""
    import ctypes

    if _libc().unshare(CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWNS | CLONE_NEWNET) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"unshare: {os.strerror(errno)}")
    pid = os.fork()
    if pid:
        os.waitpid(pid, 0)
        os._exit(0)
    _mount(None, "/", None, MS_REC | MS_PRIVATE, None)
    _mount(b"proc", "/proc", b"proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, None)
    os.makedirs(SCRATCH, exist_ok=True)
    _mount(b"tmpfs", SCRATCH, b"tmpfs", MS_NOSUID | MS_NODEV, f"size={size},mode=0755".encode())
    if os.path.isdir("/dev/shm"):
        _mount(b"tmpfs", "/dev/shm", b"tmpfs", MS_NOSUID | MS_NODEV, f"size={size},mode=1777".encode())
    _no_sysv_ipc()


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


def _collapse_into_huge_pages() -> int:
    """Back this process's private anonymous memory (the heap that numpy, torch and matplotlib
    filled) with 2 MiB pages (`MADV_COLLAPSE`, Linux 6.1+): a fork then copies one entry per
    2 MiB instead of 512 page-table entries, and a child's exit frees as few. A child that
    writes into such a page still copies only 4 KiB of it. Where the kernel refuses, nothing
    changes. Returns the number of huge pages made."""
    import ctypes

    libc = _libc()
    libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    huge, made = 2 << 20, 0
    with open("/proc/self/maps") as maps:
        regions = [line.split() for line in maps]
    for fields in regions:
        low, high = (int(x, 16) for x in fields[0].split("-"))
        named = len(fields) > 5 and fields[5] != "[heap]"
        if "w" not in fields[1] or "p" not in fields[1] or named:
            continue
        start, end = (low + huge - 1) & ~(huge - 1), high & ~(huge - 1)
        if end - start >= huge and libc.madvise(start, end - start, MADV_COLLAPSE) == 0:
            made += (end - start) // huge
    return made


def _close_other_channels(channels: list[tuple[int, int]], mine: tuple[int, int]) -> None:
    for other in channels:
        if other != mine:
            os.close(other[0])
            os.close(other[1])


def main() -> None:
    """Import once, then fork one slot per channel; with several slots and KIT_NAMESPACE=1, each
    slot gets namespaces of its own (`_own_namespaces`), as one sandbox per slot would."""
    import gc

    channels = _channels()
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    namespace = os.environ.get("KIT_NAMESPACE") == "1"
    size = os.environ.get("KIT_SCRATCH_SIZE", "256m")
    nested = namespace and len(channels) > 1
    if namespace and not nested:
        _mount_scratch(size)
        _no_sysv_ipc()
    warm_up()
    gc.collect()
    gc.freeze()          # a child's full collection would otherwise walk (and copy) every inherited object
    _collapse_into_huge_pages()
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
                _own_namespaces(size)
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
