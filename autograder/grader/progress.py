"""A plain-text progress bar on stderr: redrawn in place on a terminal, one line per 5 % in CI logs."""
from __future__ import annotations

import sys
import time


class Progress:
    def __init__(self, total: int, label: str, stream=None, width: int = 30):
        self.total, self.label, self.width = max(total, 1), label, width
        self.stream = stream if stream is not None else sys.stderr
        self.done, self.start = 0, time.monotonic()
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self._next_line = 0

    def step(self, what: str = "") -> None:
        self.done += 1
        if self.tty:
            self.stream.write("\r" + self._line(what)[:120].ljust(120))
            if self.done >= self.total:
                self.stream.write("\n")
        elif self.done * 20 // self.total >= self._next_line or self.done >= self.total:
            self._next_line = self.done * 20 // self.total + 1
            self.stream.write(self._line(what) + "\n")
        self.stream.flush()

    def _line(self, what: str) -> str:
        what = "".join(c if c.isprintable() else "?" for c in what)[:80]
        filled = self.width * self.done // self.total
        bar = "#" * filled + "." * (self.width - filled)
        return (f"{self.label} [{bar}] {self.done}/{self.total} "
                f"{time.monotonic() - self.start:5.1f}s {what}")
