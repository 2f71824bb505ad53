"""What the grader's own process reads, before any sandbox: the files of submitted/.

- Files that are not regular files: an archive unpacked by the instructor can hold a named pipe
  (tar does) or a symbolic link (zip and tar do; those are in the main class). Reading a FIFO
  blocks for ever; the grader must not hang on it (a notebook, or any other file that nbgrader
  copies into autograded/), must score it 0, say so, and grade the rest of the class.
- A notebook of 250 000 empty cells (20 MB): nbgrader validates and sanitizes it in the grader's
  process, with no limit, at about a millisecond per cell; a 100 MB one would hold the class for
  twenty minutes. Its cost must stay bounded (refused, or read cheaply).

A separate small class, so that a hang costs this test its timeout, not the whole suite."""
from __future__ import annotations

import os

from autograder.courses.descente_gradient.course import ASSIGNMENT, STEPS
from autograder.nbgrader_cli import ROOT
from autograder.reports.table import read_scores
from autograder.courses.descente_gradient.sample_class import STUDENTS, write_class

from .build import HONEST, NOTHING, Hostile, dump, submission, write_hostile
from .harness import make_course_with_canaries, run_kit_grader

TIMEOUT = 300
BOUND_SECONDS = 120   # this class of 14 notebooks takes 20 to 60 s (machine load); the 250 000 cells, 250 s
N_CELLS = 250_000


def _many_cells() -> bytes:
    nb = submission(ROOT, NOTHING, "etape1")
    nb["cells"] += [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": ""}
                    for _ in range(N_CELLS)]
    return dump(nb)


def test_special_files_and_huge_cell_counts_cost_bounded_time(tmp_path):
    course, _ = make_course_with_canaries(tmp_path / "cours")
    write_class(ROOT, course, [s for s in STUDENTS if s.id == "alice_juste"])
    right = {STEPS[s].filename: dump(submission(ROOT, HONEST, s)) for s in STEPS}
    write_hostile(course, [Hostile("h_tube", "etape1 is a named pipe", {**right, STEPS["etape1"].filename: None}, {}),
                           Hostile("h_tube_notes", "a named pipe beside four right notebooks", right, {}),
                           Hostile("h_cellules", f"etape1 with {N_CELLS} empty cells, nothing answered",
                                   {STEPS["etape1"].filename: _many_cells()}, {})])
    os.mkfifo(course / "submitted" / "h_tube" / ASSIGNMENT / STEPS["etape1"].filename)
    os.mkfifo(course / "submitted" / "h_tube_notes" / ASSIGNMENT / "notes.txt")
    run = run_kit_grader(course, 5, TIMEOUT)
    assert run.returncode == 0, f"exit {run.returncode} after {run.seconds:.0f} s\n{run.stderr[-2000:]}"
    scores = read_scores(f"sqlite:///{course / 'gradebook.db'}", ASSIGNMENT)
    for sid in ("alice_juste", "h_tube"):
        for (notebook, grade_id), (score, max_score) in scores[sid].items():
            expected = 0.0 if (sid, notebook) == ("h_tube", "etape1_numpy") else max_score
            assert score == expected, (sid, notebook, grade_id)
    assert any("h_tube" in line and "etape1_numpy" in line for line in run.stdout.splitlines())
    assert set(scores["h_tube_notes"]) == set(scores["alice_juste"])   # graded (in full, or refused: 0)
    assert any("h_tube_notes" in line and "notes.txt" in line for line in run.stdout.splitlines())
    assert sum(score for score, _ in scores["h_cellules"].values()) == 0
    assert run.seconds < BOUND_SECONDS, f"{run.seconds:.0f} s"
