"""Gradescope's results.json, from a list of graded checks.

A check is a dict: {"name", "score", "max_score", "output" (French, for the student),
optional "visibility"}. Used by `python -m autograder grade` and, per notebook, to export
the gradebook in the same format.
"""
from __future__ import annotations

import json
from pathlib import Path

VISIBILITY = "visible"


def results_json(checks: list[dict]) -> dict:
    tests = []
    for check in checks:
        score, max_score = float(check["score"]), float(check["max_score"])
        tests.append({"name": str(check["name"]), "score": score, "max_score": max_score,
                      "status": "passed" if score >= max_score else "failed",
                      "output": str(check.get("output", "")),
                      "visibility": check.get("visibility", VISIBILITY)})
    return {"score": sum(t["score"] for t in tests), "tests": tests}


def write_results(path: Path, checks: list[dict]) -> dict:
    results = results_json(checks)
    Path(path).write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")
    return results
