"""What every course's sample class does the same way: a submission is the release notebook with
the instructor's solutions filled in (then edited per student), written where `nbgrader collect`
puts it; the expected scores follow from the checks each student is meant to fail."""
from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from .observe.cells import source_text

SOLUTION_MARKERS = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", re.M)
TIMESTAMP = "2026-11-27 09:00:00.000000 UTC"


@dataclass(frozen=True)
class Edit:
    step: str         # the step's name: "etape1"...
    grade_id: str     # the solution cell to edit
    old: str          # a piece of the instructor's solution
    new: str          # what the student wrote instead


@dataclass(frozen=True)
class Student:
    id: str
    edits: tuple[Edit, ...] = ()
    fails: dict[str, set[str]] = field(default_factory=dict)   # step -> the checks that must fail
    causes: dict[tuple[str, str], str] = field(default_factory=dict)   # (step, check) -> cause code
    untouched: bool = False    # hands in the release as it is


def solutions(source_notebook: Path) -> dict[str, str]:
    """The instructor's solution cells of a notebook, without the BEGIN/END SOLUTION lines."""
    nb = json.loads(Path(source_notebook).read_text(encoding="utf-8"))
    return {c["metadata"]["nbgrader"]["grade_id"]: SOLUTION_MARKERS.sub("", source_text(c))
            for c in nb["cells"] if c.get("metadata", {}).get("nbgrader", {}).get("solution")}


def filled_in(release_nb: dict, answers: dict[str, str]) -> dict:
    """The release notebook with each solution cell's answer written in."""
    for cell in release_nb["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("solution") and meta.get("grade_id") in answers:
            cell["source"] = answers[meta["grade_id"]]
    return release_nb


def submission(release_notebook: Path, source_notebook: Path, student: Student, step_name: str) -> dict:
    """The notebook `student` hands in for `step_name`: the release, its solution cells filled
    with the instructor's solutions, then edited."""
    nb = json.loads(Path(release_notebook).read_text(encoding="utf-8"))
    if student.untouched:
        return nb
    answers = solutions(source_notebook)
    for edit in student.edits:
        if edit.step == step_name:
            assert edit.old in answers[edit.grade_id], f"{student.id}: {edit.old!r} not in {edit.grade_id}"
            answers[edit.grade_id] = answers[edit.grade_id].replace(edit.old, edit.new)
    return filled_in(nb, answers)


def write_submissions(course_dir: Path, assignment: str, students, steps, submission) -> list[str]:
    """submitted/<student>/<assignment>/<notebook> for each student and step, from
    `submission(student, step_name) -> notebook dict`, with nbgrader's timestamp; the ids."""
    for student in students:
        folder = Path(course_dir) / "submitted" / student.id / assignment
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        for step in steps:
            nb = submission(student, step.name)
            (folder / step.filename).write_text(json.dumps(nb, indent=1, ensure_ascii=False), encoding="utf-8")
        (folder / "timestamp.txt").write_text(TIMESTAMP)
    return [s.id for s in students]


def expected_scores(students, points: dict[tuple[str, str], float]) -> dict[str, dict[tuple[str, str], float]]:
    """Each student's expected score per (step, check), from the points of each test cell."""
    return {s.id: {(step, check): 0.0 if check in s.fails.get(step, set()) else pts
                   for (step, check), pts in points.items()} for s in students}
