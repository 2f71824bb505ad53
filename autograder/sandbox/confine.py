"""The sandbox's confinement from inside (Linux calls through ctypes): a slot's own PID, IPC, mount
and network namespaces, its bounded scratch tmpfs, no System V IPC, and the clean-up between two
notebooks (every process but the slot's, every IPC object)."""
from __future__ import annotations

import os
import shutil
import signal
import time

SCRATCH = os.environ.get("KIT_SCRATCH", "/scratch")
CLONE_NEWNS, CLONE_NEWIPC, CLONE_NEWPID, CLONE_NEWNET = 0x00020000, 0x08000000, 0x20000000, 0x40000000
MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REC, MS_PRIVATE = 2, 4, 8, 16384, 1 << 18


def _libc():
    import ctypes

    return ctypes.CDLL(None, use_errno=True)


def _mount(source: bytes | None, target: str, fstype: bytes | None, flags: int, data: bytes | None) -> None:
    import ctypes

    if _libc().mount(source, target.encode(), fstype, flags, data) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"mount {target}: {os.strerror(errno)}")


def mount_scratch(size: str) -> None:
    """A size-bounded tmpfs for the scratch folder, when we may mount (inside bubblewrap)."""
    os.makedirs(SCRATCH, exist_ok=True)
    try:
        _mount(b"tmpfs", SCRATCH, b"tmpfs", 0, f"size={size},mode=0755".encode())
    except OSError:
        pass


def own_namespaces(size: str) -> None:
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
    no_sysv_ipc()


def no_sysv_ipc() -> None:
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


def remove_ipc_objects() -> None:
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


def kill_all_but(keep: set[int]) -> None:
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
        reap()
        time.sleep(0.001)


def _state(pid: int) -> str | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[0].decode()
    except (OSError, IndexError):
        return None


def reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
