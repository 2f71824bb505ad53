"""One Gradescope `results.json` per student and notebook, from the gradebook's points and the
messages of the grading records:

    reports/gradescope/<student>/<notebook>/results.json

The format is written by `gradescope.results_json` (Gradescope's autograder output: a total
`score` and one entry per check in `tests`, with name, score, max_score, status, output, visibility).
"""
from __future__ import annotations

from pathlib import Path

from .gradescope import write_results
from .outcomes import NotebookOutcome


def notebook_checks(outcome: NotebookOutcome) -> list[dict]:
    """The checks of one student's notebook, as `gradescope.results_json` takes them."""
    checks = []
    for check in outcome.checks:
        output = "Réussi." if check.passed else check.message or "Échoué."
        checks.append({"name": f"{outcome.step.name}: {check.check}", "score": check.score,
                       "max_score": check.max_score, "output": output})
    return checks


def write_gradescope_files(course_dir: Path, outcomes: dict[str, list[NotebookOutcome]]) -> list[Path]:
    paths = []
    for student, notebooks in outcomes.items():
        for outcome in notebooks:
            path = Path(course_dir) / "reports" / "gradescope" / student / outcome.step.notebook / "results.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            write_results(path, notebook_checks(outcome))
            paths.append(path)
    return paths
