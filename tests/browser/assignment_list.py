"""What a student does in nbgrader's Assignment List (JupyterLab), shared by the browser tests:
open the list, find an assignment's row, type step 1's answers into its cells and save."""
from __future__ import annotations

import json
from pathlib import Path

from autograder.courses.descente_gradient.sample_class import solutions
from autograder.nbgrader_cli import ROOT

from .test_student_workflow import (CHROMIUM, CHROMIUM_ARGS, SEED_GRADIENT, TIMEOUT_MS, _accept_kernel_dialog,  # noqa: F401
                                    _cell, _type_into)

NBGRADER_MS = 90_000     # the Assignment List's server calls run nbgrader's exchange commands
# Where the student types each answer: a line of the solution cell, as the release hands it out.
CELLS = {"avant": "def avant(x)", "regret": "def regret(y, y_predit)", "gradient": "def gradient(x, y, y_predit)",
         "entrainement": "historique = []"}


def step_one_answers(seed_gradient: bool) -> dict[str, str]:
    """The instructor's solutions of step 1; with `seed_gradient`, the gradient is the seed's sum."""
    answers = solutions(ROOT, "etape1")
    assert set(CELLS) == set(answers), f"step 1's solution cells changed: {sorted(answers)}"
    return {**answers, "gradient": SEED_GRADIENT} if seed_gradient else answers


def list_item(page, section: str, assignment: str):
    """The assignment's row in one of the Assignment List's sections (released, fetched, submitted)."""
    return page.locator(f"#{section}_assignments_list > .list_item").filter(has_text=assignment)


def open_assignment_list(page, course_id: str) -> None:
    from playwright.sync_api import expect

    page.get_by_role("menuitem", name="Nbgrader", exact=True).click()
    page.get_by_role("menuitem", name="Assignment List", exact=True).click()
    expect(page.locator("#course_list_default")).to_have_text(course_id)


def fill_and_save(page, notebook: Path, answers: dict[str, str]) -> None:
    """Type each answer into its solution cell and save (Ctrl+S); the file on disk then holds them."""
    from playwright.sync_api import expect

    for grade_id, marker in CELLS.items():
        _type_into(page, _cell(page, marker), answers[grade_id])
    unsaved = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.jp-mod-dirty").filter(has_text=notebook.name)
    expect(unsaved).to_have_count(1)   # the tab shows the edits first, then their saving
    page.keyboard.press("Control+S")
    expect(unsaved).to_have_count(0)
    saved = {c["metadata"]["nbgrader"]["grade_id"]: "".join(c["source"])
             for c in json.loads(notebook.read_text(encoding="utf-8"))["cells"]
             if c["metadata"].get("nbgrader", {}).get("solution")}
    for grade_id, answer in answers.items():
        assert saved[grade_id].strip() == answer.strip(), f"{grade_id} not saved as typed:\n{saved[grade_id]}"
