"""What the grader reads of a submission folder: regular files of the student's own folder, and
notebooks it can sanitize at a bounded cost."""
from __future__ import annotations

import json
import os
import stat

MAX_CELLS = 2000          # the release notebooks have about 30 cells
MAX_OUTPUTS = 20000


def too_costly(path: str) -> tuple[str, str] | None:
    """(English, French) when a notebook has more cells or outputs than nbgrader can sanitize in
    this process at a bounded cost: it takes about a millisecond per cell, without any limit, so
    250 000 empty cells (a 20 MB file) would hold the class for minutes. Unreadable JSON is left
    to nbgrader, which says so."""
    try:
        with open(path, "rb") as f:
            nb = json.loads(f.read())
    except (OSError, ValueError, RecursionError):
        return None
    if not isinstance(nb, dict):
        return None
    cells = nb.get("cells")
    if not isinstance(cells, list):   # nbformat 3
        cells = [c for w in nb.get("worksheets") or [] if isinstance(w, dict) for c in w.get("cells") or []]
    outputs = sum(len(c.get("outputs") or []) for c in cells
                  if isinstance(c, dict) and isinstance(c.get("outputs") or [], list))
    if len(cells) > MAX_CELLS:
        return (f"{len(cells)} cells (at most {MAX_CELLS})", f"a {len(cells)} cellules (au plus {MAX_CELLS})")
    if outputs > MAX_OUTPUTS:
        return (f"{outputs} outputs (at most {MAX_OUTPUTS})", f"a {outputs} sorties (au plus {MAX_OUTPUTS})")
    return None


def own_folder(folder: str) -> bool:
    """The submission folder is a real folder under submitted/<student>/, not a link elsewhere."""
    real = os.path.realpath(folder)
    return real == os.path.join(os.path.realpath(os.path.dirname(os.path.dirname(folder))),
                                os.path.basename(os.path.dirname(folder)), os.path.basename(folder))


def not_regular(folder: str) -> list[str]:
    """Every entry of the submission that is not a regular file (symbolic links included)."""
    out = []
    for dirname, dirnames, filenames in os.walk(folder):
        for name in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirname, d))]:
            path = os.path.join(dirname, name)
            if not stat.S_ISREG(os.lstat(path).st_mode):
                out.append(path)
    return out
