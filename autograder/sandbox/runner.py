"""Start the observer in a fresh Python process with resource limits, and collect its JSON."""
from __future__ import annotations

import json
import os
import resource
import select
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ..observe import Cell

ROOT = Path(__file__).resolve().parents[2]
WALL_SECONDS = 60
MEMORY_BYTES = 4 * 1024**3
MAX_RESULT_BYTES = 20 * 1024**2


class ObserverFailed(Exception):
    """The student's process died, hung, or wrote something that is not an observation."""


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_CPU, (WALL_SECONDS, WALL_SECONDS + 5))
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    resource.setrlimit(resource.RLIMIT_FSIZE, (50 * 1024**2, 50 * 1024**2))
    os.setsid()


def _read_until(fd: int, deadline: float) -> bytes:
    chunks, size = [], 0
    while size <= MAX_RESULT_BYTES:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise subprocess.TimeoutExpired("observer", WALL_SECONDS)
        ready, _, _ = select.select([fd], [], [], remaining)
        if not ready:
            continue
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def observe_in_subprocess(step: str, cells: list[Cell], tirage: dict) -> dict:
    job = json.dumps({"step": step, "cells": [c.to_dict() for c in cells], "tirage": tirage})
    read_fd, write_fd = os.pipe()
    with tempfile.TemporaryDirectory(prefix="observe-") as scratch:
        env = {"PATH": os.environ.get("PATH", ""), "HOME": scratch, "MPLBACKEND": "Agg",
               "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
        proc = subprocess.Popen([sys.executable, "-m", "autograder.sandbox.child", str(write_fd)],
                                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                cwd=scratch, env=env, pass_fds=(write_fd,), preexec_fn=_limits)
        os.close(write_fd)
        try:
            proc.stdin.write(job.encode())
            proc.stdin.close()
        except BrokenPipeError:
            pass
        try:
            data = _read_until(read_fd, time.monotonic() + WALL_SECONDS)
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            raise ObserverFailed(f"no result within {WALL_SECONDS} s") from None
        finally:
            os.close(read_fd)
            try:
                os.killpg(proc.pid, 9)
            except ProcessLookupError:
                pass
            proc.wait()
    if not data:
        raise ObserverFailed(f"the notebook's process ended (exit status {proc.returncode}) without a result")
    if len(data) > MAX_RESULT_BYTES:
        raise ObserverFailed("the result is larger than any honest observation")
    try:
        return json.loads(data)
    except ValueError:
        raise ObserverFailed("the result is not JSON") from None
