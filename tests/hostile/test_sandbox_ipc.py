"""System V shared memory outlives the process that made it: in a worker's IPC namespace, one
notebook could leave segments behind (memory that no rlimit counts, and that grows with every
create-touch-detach, within one notebook's wall time) and the next notebook of that worker could
read them. Two notebooks in a row on one worker: the second must find nothing of the first."""
from __future__ import annotations

import secrets

from autograder.courses.descente_gradient.draws import draw
from autograder.observe import Cell
from autograder.sandbox import Limits, SandboxPool

KEY = 0x48584B  # the segment's key: both notebooks know it

WRITER = f"""
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
libc.shmat.restype = ctypes.c_void_p
made = []
for i in range(4):                      # bounded: 4 x 32 MiB
    sid = libc.shmget({KEY} + i, 32 << 20, 0o1666)
    if sid < 0:
        made.append(-ctypes.get_errno())
        continue
    addr = libc.shmat(sid, None, 0)
    ctypes.memset(addr, 0x41, 32 << 20)
    ctypes.memmove(addr, b"CANARY", 6)
    libc.shmdt(ctypes.c_void_p(addr))
    made.append(sid)
raise RuntimeError("made %r" % (made,))
"""

READER = f"""
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
libc.shmat.restype = ctypes.c_void_p
seen = []
for i in range(4):
    sid = libc.shmget({KEY} + i, 0, 0)
    if sid >= 0:
        addr = libc.shmat(sid, None, 0o10000)   # SHM_RDONLY
        seen.append(ctypes.string_at(addr, 6).decode("latin-1") if addr not in (None, 2**64 - 1) else "?")
try:
    table = open('/proc/sysvipc/shm').read().splitlines()[1:]
except OSError:
    table = []
raise RuntimeError("seen %r, %d segments left" % (seen, len(table)))
"""


def _message(answer: dict) -> str:
    assert answer.get("ok"), answer
    return answer["observation"]["runs"][0]["errors"][0]["message"]


def test_a_notebook_finds_no_ipc_object_of_the_one_before():
    with SandboxPool(jobs=1, limits=Limits(wall_seconds=20, cpu_seconds=20)) as pool:
        tirage = draw("etape1", seed=secrets.randbelow(1000))
        wrote = _message(pool.run("etape1", [Cell(WRITER, "avant", "solution")], tirage))
        read = _message(pool.run("etape1", [Cell(READER, "avant", "solution")], tirage))
    assert "CANARY" not in read, (wrote, read)
    assert "0 segments left" in read, (wrote, read)


HOARDER = """
import builtins, ctypes
libc = ctypes.CDLL(None, use_errno=True)
libc.shmat.restype = ctypes.c_void_p
made = 0
first = not hasattr(builtins, "_hx_shm")   # the notebook is replayed once per scenario: only once here
builtins._hx_shm = True
for i in range(64 if first else 0):     # bounded: at most 64 x 64 MiB = 4 GiB in all, then it stops
    sid = libc.shmget(0, 64 << 20, 0o1600)
    if sid < 0:
        break
    addr = libc.shmat(sid, None, 0)
    if addr in (None, 2**64 - 1):
        break
    ctypes.memset(addr, 1, 64 << 20)    # touched: the pages exist
    libc.shmdt(ctypes.c_void_p(addr))   # detached: no longer in this process's address space
    made += 64
raise RuntimeError("held %d MiB" % made)
"""


def test_shared_memory_does_not_escape_the_memory_limit():
    """Within one notebook: create, touch, detach, again. The pages stay allocated (to the IPC
    namespace) while the process's address space, which RLIMIT_AS bounds, stays small. The memory
    a notebook can hold this way must stay within its memory limit."""
    limits = Limits(wall_seconds=30, cpu_seconds=30)
    with SandboxPool(jobs=1, limits=limits) as pool:
        message = _message(pool.run("etape1", [Cell(HOARDER, "avant", "solution")], draw("etape1", seed=1)))
    held = int(message.split()[1]) << 20
    assert held <= limits.memory_bytes, message
