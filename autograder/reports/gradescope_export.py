"""One Gradescope `results.json` per student and notebook, from the gradebook's points and the
messages of the autograded notebooks:

    reports/gradescope/<student>/<notebook>/results.json

The format is Gradescope's autograder output (https://gradescope-autograders.readthedocs.io/en/latest/specs/):
a total `score` and one entry per check in `tests` (name, score, max_score, status, output, visibility).
"""
from __future__ import annotations

import json
from pathlib import Path

from .outcomes import NotebookOutcome


def results_json(outcome: NotebookOutcome) -> dict:
    """Gradescope's results.json for one student's notebook."""
    tests = []
    for number, check in enumerate(outcome.checks, 1):
        output = "Réussi." if check.passed else check.message or "Échoué."
        if check.diagnosis:
            output += f"\nDiagnostic du correcteur : {check.diagnosis}"
        tests.append({"name": f"{outcome.step.name}: {check.check}", "number": str(number),
                      "score": check.score, "max_score": check.max_score,
                      "status": "passed" if check.passed else "failed",
                      "output": output, "visibility": "visible"})
    return {"score": outcome.score, "output": f"{outcome.step.filename} : {outcome.score:g} / {outcome.max_score:g}",
            "visibility": "visible", "stdout_visibility": "hidden", "tests": tests}


def write_gradescope_files(course_dir: Path, outcomes: dict[str, list[NotebookOutcome]]) -> list[Path]:
    paths = []
    for student, notebooks in outcomes.items():
        for outcome in notebooks:
            path = Path(course_dir) / "reports" / "gradescope" / student / outcome.step.notebook / "results.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(results_json(outcome), indent=1, ensure_ascii=False), encoding="utf-8")
            paths.append(path)
    return paths
