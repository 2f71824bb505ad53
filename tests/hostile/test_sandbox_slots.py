"""The pool's workers share one sandbox (torch imported once) but each slot has namespaces of its
own: two notebooks observed at the same time, in two slots, must not see, signal, read or talk to
each other (processes, /dev/shm, scratch files, sockets)."""
from __future__ import annotations

import secrets
import threading

import pytest

from autograder.courses.descente_gradient.draws import draw
from autograder.observe import Cell
from autograder.sandbox import Limits, SandboxPool
from autograder.sandbox.pool import bwrap_path

MARK = secrets.token_hex(8)

WRITER = f"""
import os, socket, time
open('/dev/shm/{MARK}', 'w').write('{MARK}')
open('{MARK}.txt', 'w').write('{MARK}')
server = socket.socket(socket.AF_UNIX)
server.bind('\\0{MARK}')                    # an abstract socket: no file, one per network namespace
server.listen()
time.sleep(1.5)
raise RuntimeError("writer pid %d sees %s" % (os.getpid(), sorted(os.listdir('/proc'), key=str)[:3]))
"""

READER = f"""
import glob, os, signal, socket, time
time.sleep(0.5)
found = [p for p in glob.glob('/dev/shm/*') + glob.glob('/scratch/**', recursive=True) + glob.glob('/tmp/**', recursive=True)
         if '{MARK}' in p]
others = [int(p) for p in os.listdir('/proc') if p.isdigit() and int(p) != os.getpid()]
try:
    client = socket.socket(socket.AF_UNIX)
    client.connect('\\0{MARK}')
    talked = True
except OSError:
    talked = False
killed = []
for pid in others:
    try:
        os.kill(pid, signal.SIGKILL)
        killed.append(pid)
    except OSError:
        pass
raise RuntimeError("found %r, killed %r, talked %r" % (found, killed, talked))
"""


def _message(answer: dict) -> str:
    assert answer.get("ok"), answer
    return answer["observation"]["runs"][0]["errors"][0]["message"]


@pytest.mark.skipif(bwrap_path() is None, reason="needs bubblewrap: without it there are no slots' namespaces")
def test_two_slots_observing_at_once_cannot_reach_each_other():
    with SandboxPool(jobs=2, limits=Limits(wall_seconds=30, cpu_seconds=30)) as pool:
        assert pool.isolated
        tirage = draw("etape1", seed=secrets.randbelow(1000))
        answers: dict[str, dict] = {}
        writer = threading.Thread(target=lambda: answers.update(
            writer=pool.run("etape1", [Cell(WRITER, "avant", "solution")], tirage)))
        writer.start()
        answers["reader"] = pool.run("etape1", [Cell(READER, "avant", "solution")], tirage)
        writer.join()
        again = pool.run("etape1", [Cell("x = 1", "avant", "solution")], tirage)
    read, wrote = _message(answers["reader"]), _message(answers["writer"])
    assert "writer pid" in wrote, f"the writer, in the other slot, was disturbed: {wrote}"
    assert "found []" in read, f"a notebook saw files of the notebook running in the other slot: {read}"
    assert "killed []" in read, f"a notebook could signal processes outside its own: {read}"
    assert "talked False" in read, f"a notebook reached a socket of the notebook in the other slot: {read}"
    assert again.get("ok"), f"both slots must still serve after that: {again}"


def test_workers_whose_slot_cannot_start_go_on_in_sandboxes_of_their_own(monkeypatch):
    """If the kernel refuses a slot its namespaces (say, bubblewrap without CAP_SYS_ADMIN), no
    notebook may pay for it: each worker takes a sandbox of its own and the job runs there."""
    from autograder.sandbox import pool as pool_module

    original = pool_module._kit_copy

    def kit_whose_slots_fail():
        kit = original()
        confine = kit / "autograder" / "sandbox" / "confine.py"
        confine.chmod(0o644)
        confine.write_text(confine.read_text().replace(
            "    if _libc().unshare(", "    raise OSError('unshare refused (test)')\n    if _libc().unshare("))
        return kit

    monkeypatch.setattr(pool_module, "_kit_copy", kit_whose_slots_fail)
    with SandboxPool(jobs=2, limits=Limits(wall_seconds=30, cpu_seconds=30)) as pool:
        tirage = draw("etape1", seed=secrets.randbelow(1000))
        answers = [pool.run("etape1", [Cell("x = 1", "avant", "solution")], tirage) for _ in range(3)]
        owners = [worker.own for worker in pool.workers if worker.sandbox is not None]
    assert all(a.get("ok") for a in answers), answers
    assert owners and all(owners), "the jobs must have run in the workers' own sandboxes"
