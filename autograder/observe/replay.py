"""Run a notebook's code again, in a fresh namespace, with its locked data cells replaced."""
from __future__ import annotations

import contextlib
import io
import re
import warnings
from dataclasses import dataclass, field
from typing import Callable

from ..course import Step
from .cells import Cell

MAX_CAPTURED = 20_000  # characters of stdout kept per replay

# Cells that only draw or print for the student: the replay does not need them.
SKIPPED_PREFIXES = ("graphique", "affichage")


@dataclass
class Replay:
    namespace: dict
    errors: list[dict] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)
    snapshots: dict[str, dict] = field(default_factory=dict)
    visible_tests: dict[str, dict] = field(default_factory=dict)
    stdout: str = ""

    def data(self) -> dict:
        return {"errors": self.errors, "warnings": self.warnings, "snapshots": self.snapshots,
                "visible_tests": self.visible_tests, "stdout": self.stdout[-MAX_CAPTURED:]}


class _Capped(io.StringIO):
    def write(self, s):
        if self.tell() < MAX_CAPTURED * 2:
            return super().write(s)
        return len(s)


def _describe(exc: BaseException) -> dict:
    return {"type": type(exc).__name__, "message": str(exc)[:500]}


HIDDEN_MARK = "### BEGIN HIDDEN TESTS"
HIDDEN_REGION = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS.*?(^[ \t]*### END HIDDEN TESTS[^\n]*\n?|\Z)", re.M | re.S)


def visible_part(source: str) -> str:
    """A cell's source without its hidden test regions, wherever they stand (as nbgrader's
    ClearHiddenTests removes them); an unclosed region is cut off to the end."""
    return HIDDEN_REGION.sub("", source)


def replay(step: Step, cells: list[Cell], scenario: dict,
           snapshot: dict[str, Callable[[dict], dict]] | None = None, visible_tests: bool = False) -> Replay:
    """Execute `cells` in order, with each data cell of `step` rendered from `scenario`.
    Test cells are skipped, or, with `visible_tests`, their visible part runs and whether it
    passed is recorded. After a cell whose grade_id is a key of `snapshot`, store what that
    function reads from the namespace."""
    snapshot = snapshot or {}
    ns: dict = {"__name__": "__main__", "__builtins__": __builtins__}
    result = Replay(namespace=ns)
    out = _Capped()
    with warnings.catch_warnings(record=True) as caught, \
            contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        warnings.simplefilter("always")
        for index, cell in enumerate(cells):
            if (cell.grade_id or "").startswith(SKIPPED_PREFIXES):
                continue
            if cell.role == "test":
                if visible_tests and cell.grade_id:
                    result.visible_tests[cell.grade_id] = _run_test(visible_part(cell.source), ns, cell.grade_id)
                continue
            source = cell.source
            if cell.role == "locked" and cell.grade_id in step.data_cells:
                source = step.data_source(cell.grade_id, scenario)
            name = cell.grade_id or f"cellule {index + 1}"
            try:
                exec(compile(source, f"<{name}>", "exec"), ns)
            except BaseException as exc:  # SystemExit and KeyboardInterrupt included: a cell cannot stop us
                result.errors.append({"cell": name, **_describe(exc)})
            if cell.grade_id in snapshot:
                try:
                    result.snapshots[cell.grade_id] = snapshot[cell.grade_id](ns)
                except BaseException as exc:
                    result.snapshots[cell.grade_id] = {"error": _describe(exc)}
    result.warnings = [{"category": w.category.__name__, "message": str(w.message)[:300]}
                       for w in caught[:50]]
    result.stdout = out.getvalue()
    return result


def _run_test(source: str, ns: dict, name: str) -> dict:
    try:
        exec(compile(source, f"<{name}>", "exec"), ns)
    except BaseException as exc:
        return {"passed": False, "error": _describe(exc)}
    return {"passed": True}


def call(fn: Callable, *args) -> dict:
    """Call a student function; return {"value": ...} or {"error": ...}, plus its warnings."""
    from .plain import plain

    with warnings.catch_warnings(record=True) as caught, \
            contextlib.redirect_stdout(_Capped()), contextlib.redirect_stderr(_Capped()):
        warnings.simplefilter("always")
        try:
            out = {"value": plain(fn(*args))}
        except BaseException as exc:
            out = {"error": _describe(exc)}
    if caught:
        out["warnings"] = [str(w.message)[:300] for w in caught[:5]]
    return out
