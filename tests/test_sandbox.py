"""The sandbox's limits, on hostile notebooks: each test fails if the limit does not hold."""
from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from pathlib import Path

import pytest

from autograder.courses.descente_gradient.draws import draw
from autograder.nbgrader_cli import ROOT
from autograder.observe import Cell
from autograder.sandbox import Limits, SandboxPool

pytestmark = pytest.mark.skipif(not Path("/usr/bin/bwrap").exists(), reason="bubblewrap is not installed")


@pytest.fixture(scope="module")
def pool():
    with SandboxPool(jobs=1, limits=Limits(wall_seconds=10, cpu_seconds=20)) as p:
        assert p.isolated
        yield p


def run(pool, *sources):
    """Replay a step-1 notebook made of `sources` as student cells; the zygote's answer."""
    return pool.run("etape1", [Cell(s) for s in sources], draw("etape1", seed=1, n_scenarios=0))


def errors(answer) -> list[dict]:
    assert answer["ok"], answer
    return answer["observation"]["runs"][0]["errors"]


def test_a_hanging_notebook_is_killed_in_bounded_time(pool):
    start = time.monotonic()
    answer = run(pool, "while True:\n    pass")
    assert not answer["ok"] and "no result within" in answer["error"]
    assert time.monotonic() - start < 20
    assert run(pool, "x = 1")["ok"]          # the worker still serves the next notebook


def test_a_memory_bomb_stops_by_itself(pool):
    start = time.monotonic()
    answer = run(pool, "blocs = []\nwhile True:\n    blocs.append(bytearray(256 * 1024**2))")
    assert [e["type"] for e in errors(answer)] == ["MemoryError"]
    assert time.monotonic() - start < 20


def test_no_network(pool):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(3)
    port = server.getsockname()[1]
    accepted = []
    threading.Thread(target=lambda: accepted.append(_accept(server)), daemon=True).start()
    answer = run(pool, f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=2)\n"
                       "raise SystemError('connected')")
    time.sleep(0.5)
    assert accepted in ([], [None])
    assert errors(answer)[0]["type"] != "SystemError"


def _accept(server):
    try:
        return server.accept()
    except OSError:
        return None


@pytest.mark.parametrize("secret", ["autograder/courses/descente_gradient/checks/etape1.py",
                                    "autograder/courses/descente_gradient/reference/training.py",
                                    "autograder/courses/descente_gradient/draws.py",
                                    "source/descente_gradient/etape1_numpy.ipynb", "nbgrader_config.py"])
def test_cannot_read_the_grader_or_the_course(pool, secret):
    path = ROOT / secret
    assert path.exists()
    answer = run(pool, f"print(open({str(path)!r}).read()[:10])")
    assert errors(answer)[0]["type"] in ("FileNotFoundError", "PermissionError")


def test_cannot_write_outside_its_scratch(pool, tmp_path):
    targets = [tmp_path / "pwned", ROOT / "pwned", Path("/tmp/pwned"), Path(os.__file__).parent / "pwned.py"]
    sources = [f"open({str(t)!r}, 'w').write('x')" for t in targets] + ["open('scratch_ok', 'w').write('x')"]
    answer = run(pool, *sources)
    assert [e["cell"] for e in errors(answer)] == [f"cellule {i + 1}" for i in range(len(targets))]
    assert not any(t.exists() for t in targets)


def test_processes_that_leave_the_session_die_with_the_notebook(pool):
    marker = f"kit-test-{uuid.uuid4().hex}"
    answer = run(pool, "import subprocess, sys\n"
                       f"subprocess.Popen(['/bin/sh', '-c', 'sleep 600; true', {marker!r}],"
                       " start_new_session=True)")
    assert answer["ok"] and not errors(answer)
    time.sleep(0.3)
    alive = [p for p in os.listdir("/proc") if p.isdigit() and marker in _cmdline(p)]
    assert alive == []


def _cmdline(pid: str) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return ""


def test_a_notebook_that_exits_early_gets_no_observation(pool):
    answer = run(pool, "import os\nos._exit(0)")
    assert not answer["ok"] and "without a result" in answer["error"]


def test_the_next_notebook_cannot_find_the_previous_one_in_memory(pool):
    import hashlib

    secret = uuid.uuid4().hex
    # far into the job (past the next job's length) and printed (so in the previous result too)
    assert run(pool, "marge = '" + "x" * 50_000 + f"'\ncode_du_voisin = 'KITMARK-{secret}'\nprint(code_du_voisin)")["ok"]
    digest = hashlib.sha256(secret.encode()).hexdigest()
    scan = (
        "import ctypes, hashlib, re\n"
        "ctypes.CDLL(None).prctl(4, 1, 0, 0, 0)  # PR_SET_DUMPABLE: /proc/self/mem readable again\n"
        "found = 0\n"
        "with open('/proc/self/maps') as f, open('/proc/self/mem', 'rb', 0) as mem:\n"
        "    for line in f:\n"
        "        addr, perms = line.split()[:2]\n"
        "        if 'r' not in perms or '[v' in line:\n"
        "            continue\n"
        "        lo, hi = (int(x, 16) for x in addr.split('-'))\n"
        "        try:\n"
        "            mem.seek(lo)\n"
        "            data = mem.read(hi - lo)\n"
        "        except (OSError, ValueError, OverflowError):\n"
        "            continue\n"
        "        for m in re.finditer(rb'KITMARK-([0-9a-f]{32})', data):\n"
        f"            found += hashlib.sha256(m.group(1)).hexdigest() == {digest!r}\n"
        "if found:\n"
        "    raise SystemError(f'found {found} copies')\n"
        "raise ValueError('scanned')\n")
    assert [e["type"] for e in errors(run(pool, scan))] == ["ValueError"]
