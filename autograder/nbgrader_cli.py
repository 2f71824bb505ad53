"""Run nbgrader's own command line from the course root, with this Python's tools on PATH."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]


def nbgrader(*args: str, root: Path = ROOT, on_line: Callable[[str], None] | None = None) -> str:
    """`nbgrader ARGS` in `root`; raises RuntimeError with nbgrader's log when it fails."""
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env.setdefault("MPLBACKEND", "Agg")
    env.setdefault("PYTHONPATH", str(ROOT))
    cmd = [sys.executable, "-m", "nbgrader", *args, f"--CourseDirectory.root={root}"]
    proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, errors="replace")
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if on_line:
            on_line(line.rstrip("\n"))
    if proc.wait() != 0:
        raise RuntimeError(f"nbgrader {' '.join(args)} failed (exit {proc.returncode}):\n" + _what_failed(lines))
    return "".join(lines)


def _what_failed(lines: list[str]) -> str:
    """nbgrader's first error with its traceback (logged where it happened, maybe long before its
    last lines), then its last lines; without an error line, its last 40 lines."""
    first = next((i for i, line in enumerate(lines) if "| ERROR]" in line), None)
    if first is None:
        return "".join(lines[-40:])
    head, rest = lines[first:first + 60], lines[first + 60:]
    return "".join(head) + ("...\n" if len(rest) > 20 else "") + "".join(rest[-20:])
