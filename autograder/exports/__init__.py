"""Grades for the places grades go, from nbgrader's gradebook and the grading records.

Moodle and Canvas (docs/export-moodle-canvas.md):

- `moodle.py`: a CSV for Moodle's gradebook import ("Import > CSV file"), or Moodle's offline
  grading worksheet (downloaded from an assignment) filled in, to upload back;
- `moodle_feedback.py`: the worksheet's Feedback comments cell: the teacher's comment kept, the
  kit's line after it;
- `canvas.py`: a gradebook CSV exported from Canvas, filled in, to import back;
- `lms.py`: what both read and write (grades per notebook, the French feedback line, the
  students' identities, CSV files written whole or not at all);
- `cli.py`: `python -m autograder export moodle|canvas ...` (`add_export_commands`).

Gradescope's autograder bundle: `gradescope_bundle.py`, `gradescope_run.py`.
"""
