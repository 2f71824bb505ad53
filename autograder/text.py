"""Text that came from student code or student files, made safe to print on a terminal."""
from __future__ import annotations


def printable(text, limit: int = 400) -> str:
    """One line of plain text: a student's exception message or folder name must neither drive
    the terminal (escape sequences) nor start a line of its own."""
    out = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" if ord(c) < 256 else f"\\u{ord(c):04x}"
                  for c in str(text))
    return out if len(out) <= limit else out[:limit] + "..."
