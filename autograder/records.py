"""What was decided for one graded notebook, and why, kept beside it: `<notebook>.kit.json` in
autograded/<student>/<assignment>/. The kit's grader writes it when it decides; under
`nbgrader autograde`, each hidden check adds its own outcome. The reports read it and nothing
else of the grading: they never run a check again.

    {"kit_record": 1, "grader": "kit" | "nbgrader", "step": "etape1",
     "checks": {"test_gradient": {"passed": false, "code": "gradient_sum", "fr": "...", "en": "..."}},
     "curve": [[w, L], ...] | null,             # the student's training curve, from the notebook's own run
     "problem": null | {"code": "timeout", "en": "..."}}
"""
from __future__ import annotations

import json
import math
import os
from pathlib import Path

SUFFIX = ".kit.json"      # also in nbgrader_config.py's CourseDirectory.ignore: never copied from a submission
VERSION = 1
MAX_CURVE = 5000
MAX_TEXT = 2000


def path_for(notebook: str | Path) -> Path:
    notebook = Path(notebook)
    return notebook.with_name(notebook.name.removesuffix(".ipynb") + SUFFIX)


def new_record(step: str, grader: str) -> dict:
    return {"kit_record": VERSION, "grader": grader, "step": step, "checks": {}, "curve": None, "problem": None}


def _text(value, limit: int = MAX_TEXT) -> str:
    """Plain UTF-8 text (a lone surrogate from a student's message becomes '?'), cut."""
    return str(value)[:limit].encode("utf-8", "replace").decode("utf-8")


def check_entry(passed: bool, code: str = "", fr: str = "", en: str = "") -> dict:
    return {"passed": bool(passed), "code": _text(code, 100), "fr": _text(fr), "en": _text(en)}


def curve_of(points) -> list[list[float]] | None:
    """A (w, L) curve as plain finite floats, or None."""
    if not isinstance(points, list):
        return None
    curve = []
    for point in points[:MAX_CURVE]:
        if not (isinstance(point, list) and len(point) == 2 and all(type(v) in (int, float) for v in point)):
            return None
        if all(math.isfinite(v) for v in point):
            curve.append([float(point[0]), float(point[1])])
    return curve or None


def curve_of_observation(observation, course) -> list[list[float]] | None:
    """The (w, L) curve of the notebook's own run, as its course reads it from an observation."""
    try:
        return curve_of(course.curve(observation))
    except (KeyError, IndexError, TypeError, AttributeError, ValueError):
        return None


def write(path: str | Path, record: dict) -> None:
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(record, ensure_ascii=False, allow_nan=False), encoding="utf-8")
    os.replace(tmp, path)


def read(path: str | Path) -> dict | None:
    """The record, if there is one of the right shape (under nbgrader, the student's kernel wrote
    it: every field is checked, every string is to be escaped by whoever shows it)."""
    try:
        record = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    if not isinstance(record, dict) or record.get("kit_record") != VERSION or not isinstance(record.get("checks"), dict):
        return None
    checks = {}
    for name, entry in record["checks"].items():
        if isinstance(name, str) and isinstance(entry, dict) and isinstance(entry.get("passed"), bool):
            checks[name[:100]] = check_entry(entry["passed"], *(entry.get(k) if isinstance(entry.get(k), str) else ""
                                                                  for k in ("code", "fr", "en")))
    problem = record.get("problem")
    problem = {"code": _text(problem.get("code", ""), 100), "en": _text(problem.get("en", ""))} \
        if isinstance(problem, dict) else None
    return {"kit_record": VERSION, "grader": _text(record.get("grader", ""), 20), "step": _text(record.get("step", ""), 50),
            "checks": checks, "curve": curve_of(record.get("curve")), "problem": problem}
