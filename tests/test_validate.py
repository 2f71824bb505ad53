"""nbgrader's Validate tells the truth: on every notebook of the realistic corpus (tests/corpus/), the
real `nbgrader validate` (what JupyterLab's Validate button runs) is compared with the grade the kit
gives. A notebook that Validate calls a success earns every point, except where only data drawn at
grading time can show the mistake (listed below, each with its reason); every test cell that loses
its points fails in Validate; every correct variant passes Validate. Validate's report reads whole:
no line of an error message is cut at its 87 columns, and an untouched cell says in French what to do."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from autograder.courses.descente_gradient.course import ASSIGNMENT, STEPS
from autograder.nbgrader_cli import ROOT
from corpus.variants import VARIANTS, notebook, solution_variant

# Mistakes that the notebook's own data cannot show: Validate may say "Success!" on them, and the
# hidden checks (on data drawn at grading time) take the points. {(variant, check): why}.
ONLY_DRAWN_DATA_SHOWS = {
    ("e1_hand_typed_w", "test_entrainement"):
        "`w = 2.0` typed after the loop: on the notebook's data the right w is 2 to 1e-5, a typed-in 2 fits",
    ("e2_hand_typed_tensor", "test_entrainement"):
        "`w = torch.tensor(2.0)` typed after the loop: on the notebook's data a typed-in 2 fits",
    ("e1_range_71", "test_entrainement"):
        "range(71) typed in: it is the notebook's own n_iters, only another n_iters tells them apart",
    ("e3_range_71", "test_entrainement"):
        "range(71) typed in: it is the notebook's own n_iters, only another n_iters tells them apart",
    ("e4_range_1001", "test_entrainement"):
        "range(1001) typed in: it is the notebook's own n_iters, only another n_iters tells them apart",
    ("e2_lr_typed_in_update", "test_entrainement"):
        "0.01 typed in the update: it is the notebook's own learning_rate, only another one tells them apart",
}

WIDTH = 90          # nbgrader's Validator.width: a longer line is cut to WIDTH - 3 characters and "..."
SUCCESS = "Success! Your notebook passes all the tests."
BY_ID = {v.id: v for v in VARIANTS}
SUBMISSIONS = VARIANTS + [solution_variant(step) for step in STEPS]


def _visible_marks() -> dict[tuple[str, str], str]:
    """{(step, test cell): the first line of its visible part}: how a failed cell is recognised in
    Validate's report, which quotes the cell's source."""
    marks = {}
    for step in STEPS.values():
        nb = json.loads((ROOT / "release" / ASSIGNMENT / step.filename).read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            meta = cell["metadata"].get("nbgrader", {})
            if meta.get("grade"):
                marks[step.name, meta["grade_id"]] = "".join(cell["source"]).splitlines()[0]
    for step in STEPS:
        mine = [mark for (s, _), mark in marks.items() if s == step]
        assert len(set(mine)) == len(mine), f"two test cells of {step} start with the same line"
    return marks


def _validate(paths: list[Path]) -> dict[str, str]:
    """`nbgrader validate` on `paths`, in one process: {notebook file name: its part of the report}."""
    env = dict(os.environ, PYTHONUNBUFFERED="1", PYTHONPATH=str(ROOT),
               PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""))
    env.setdefault("MPLBACKEND", "Agg")
    run = subprocess.run([sys.executable, "-m", "nbgrader", "validate", *map(str, paths),
                          f"--CourseDirectory.root={ROOT}"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True, timeout=1800)
    assert run.returncode == 0, run.stdout[-3000:]
    parts = re.split(r"^\[ValidateApp \| INFO\] Validating '(.*)'$", run.stdout, flags=re.M)
    reports = {Path(name).name: text for name, text in zip(parts[1::2], parts[2::2])}
    assert set(reports) == {p.name for p in paths}, run.stdout[-3000:]
    return reports


@pytest.fixture(scope="module")
def validated(tmp_path_factory) -> dict[str, str]:
    """{variant id: Validate's report on the notebook that variant hands in}, two processes at once."""
    folder = tmp_path_factory.mktemp("validate")
    paths = []
    for variant in SUBMISSIONS:
        path = folder / f"{variant.id}.ipynb"
        path.write_text(json.dumps(notebook(ROOT, variant), ensure_ascii=False), encoding="utf-8")
        paths.append(path)
    with ThreadPoolExecutor(2) as pool:
        halves = list(pool.map(_validate, [paths[::2], paths[1::2]]))
    return {name.removesuffix(".ipynb"): text for half in halves for name, text in half.items()}


def failed_cells(report: str, step: str, marks: dict) -> set[str]:
    """The test cells that Validate's report names as failed."""
    blocks = report.split("The following cell failed:")[1:]
    failed = set()
    for block in blocks:
        quoted = block.strip().splitlines()[0].strip().removesuffix("...")   # Validate cuts long lines
        found = [check for (s, check), mark in marks.items() if s == step and mark.startswith(quoted)]
        assert found, f"Validate names a failed cell that is not a test cell: {quoted!r}"
        failed.update(found)
    return failed


@pytest.mark.parametrize("variant", SUBMISSIONS, ids=lambda v: v.id)
def test_validate_fails_the_test_cells_that_lose_points(validated, variant):
    report = validated[variant.id]
    failed = failed_cells(report, variant.step, _visible_marks())
    if not variant.fails:
        assert SUCCESS in report and not failed, f"a correct notebook fails Validate:\n{report[-3000:]}"
        return
    hidden_only = {check for check in variant.fails if check not in failed}
    unexplained = {check for check in hidden_only if (variant.id, check) not in ONLY_DRAWN_DATA_SHOWS}
    assert not unexplained, (f"{variant.id} ({variant.note}) loses the points of {sorted(unexplained)}, "
                             f"but Validate does not fail these cells:\n{report[-3000:]}")
    assert (SUCCESS in report) == (not failed), report[-3000:]


def test_the_exceptions_are_mistakes_of_the_corpus():
    for variant_id, check in ONLY_DRAWN_DATA_SHOWS:
        assert check in BY_ID[variant_id].fails, (variant_id, check)


def test_validate_reports_read_whole(validated):
    """No line of an error message is cut by Validate: each error's message ends its block, after
    its traceback, and every line of it fits in WIDTH - 3 columns."""
    cut = []
    for variant_id, report in validated.items():
        for block in report.split("The error was:")[1:]:
            lines = block.split("=" * WIDTH)[0].rstrip().splitlines()
            start = max(i for i, line in enumerate(lines) if re.match(r"\s{4}\w+(Error|Exception)\b", line))
            cut += [(variant_id, line) for line in lines[start:] if line.endswith("...") and len(line) >= WIDTH - 3]
    assert not cut, cut[:10]


def test_an_untouched_notebook_says_in_french_what_to_do(validated):
    report = validated["e1_untouched"]
    assert "NotImplementedError: Cellule à compléter : remplace cette ligne par ton code." in report, report[-3000:]
