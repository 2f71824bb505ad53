"""The corpus (tests/corpus/variants.py): realistic submissions, written the way students write
(rewritten cells, extra cells, magics, plots, prints, other loop styles, each known mistake in
several styles), graded by the real `nbgrader autograde` and by the kit's grader. Every correct
variant gets full marks under both, every mistake loses exactly the points it should and its
cause is named, the same, in both graders' records."""
from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from autograder import records
from autograder.courses.descente_gradient.course import ASSIGNMENT, STEPS
from autograder.grader.autograde import autograde_class
from autograder.nbgrader_cli import ROOT
from autograder.reports.table import read_scores
from conftest import autograde_at_once, make_course
from corpus.variants import VARIANTS, write_corpus_class

BY_ID = {v.id: v for v in VARIANTS}


def points(step) -> dict[str, float]:
    nb = json.loads((ROOT / "source" / ASSIGNMENT / step.filename).read_text(encoding="utf-8"))
    return {c["metadata"]["nbgrader"]["grade_id"]: float(c["metadata"]["nbgrader"]["points"])
            for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade")}


def graded(root: Path) -> dict[str, dict]:
    """{variant id: {"scores": {check: points}, "causes": {check: code of the failed check}}}."""
    scores = read_scores(f"sqlite:///{root / 'gradebook.db'}", ASSIGNMENT)
    out = {}
    for student, steps in json.loads((root / "corpus.json").read_text()).items():
        for name, variant in steps.items():
            step = STEPS[name]
            record = records.read(records.path_for(root / "autograded" / student / ASSIGNMENT / step.filename)) or {}
            out[variant] = {
                "scores": {check: scores[student][(step.notebook, check)][0] for check in step.checks},
                "causes": {check: entry["code"] for check, entry in record.get("checks", {}).items()
                           if not entry["passed"]}}
    return out


def _course(where: Path, students: dict | None = None) -> Path:
    """A course with the corpus class (or the given part of it) under submitted/."""
    root = make_course(where)
    classes = write_corpus_class(ROOT, root)
    for student in set(classes) - set(students or classes):
        shutil.rmtree(root / "submitted" / student)
    kept = {s: {step: v.id for step, v in steps.items()} for s, steps in classes.items() if s in (students or classes)}
    (root / "corpus.json").write_text(json.dumps(kept))
    return root


@pytest.fixture(scope="module")
def by_nbgrader(tmp_path_factory) -> dict[str, dict]:
    """The corpus graded by `nbgrader autograde`, in two halves at once (one per core)."""
    everyone = sorted(write_corpus_class(ROOT, tmp_path_factory.mktemp("corpus_list")))
    halves = [everyone[::2], everyone[1::2]]
    roots = [_course(tmp_path_factory.mktemp(f"corpus_nbgrader_{i}"), set(half)) for i, half in enumerate(halves)]
    autograde_at_once(roots)
    return {k: v for root in roots for k, v in graded(root).items()}


@pytest.fixture(scope="module")
def by_kit(tmp_path_factory) -> dict[str, dict]:
    root = _course(tmp_path_factory.mktemp("corpus_kit"))
    report = autograde_class(root, ASSIGNMENT, jobs=2, stream=io.StringIO())
    assert report.isolated and not [g.problem for g in report.graded if g.problem]
    return graded(root)


def expected_scores(variant) -> dict[str, float]:
    return {check: 0.0 if check in variant.fails else pts for check, pts in points(STEPS[variant.step]).items()}


def test_the_corpus_is_large_and_realistic():
    assert len(VARIANTS) >= 60
    for step in STEPS:
        mine = [v for v in VARIANTS if v.step == step]
        assert sum(not v.fails for v in mine) >= 8 and sum(bool(v.fails) for v in mine) >= 8, step
    sources = " ".join(repr(v.edits) for v in VARIANTS)
    for idiom in ("%%time", "%matplotlib inline", "!", "display(", "plt.show()", "Rewrite(", "Insert("):
        assert idiom in sources, idiom


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.id)
def test_nbgrader_autograde_gives_the_variant_its_points_and_names_its_mistake(by_nbgrader, variant):
    got = by_nbgrader[variant.id]
    assert got["scores"] == expected_scores(variant), variant.note
    assert {c: got["causes"].get(c) for c in variant.fails} == variant.fails, variant.note


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.id)
def test_the_kit_gives_the_variant_its_points_and_names_its_mistake(by_kit, variant):
    got = by_kit[variant.id]
    assert got["scores"] == expected_scores(variant), variant.note
    assert got["causes"] == variant.fails, variant.note
