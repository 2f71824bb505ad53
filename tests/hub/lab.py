"""What a student does on the shared hub, for the hub's end-to-end tests: in JupyterLab in Chromium,
Fetch an assignment in the Assignment List, type step 1's answers into its notebook, Submit; or,
without the browser, answers written into their fetched notebooks as their own files."""
from __future__ import annotations

import json
import os
import pwd
from pathlib import Path

from autograder.courses.descente_gradient.course import STEPS
from autograder.sample_classes import filled_in

ASSIGNMENT = "descente_gradient"
NOTEBOOK = STEPS["etape1"].filename
NOTEBOOK_ID = Path(NOTEBOOK).stem


def account_uid(account) -> int:
    return pwd.getpwnam(account.name).pw_uid


def chromium(pw):
    from browser.assignment_list import CHROMIUM, CHROMIUM_ARGS

    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: install Debian's chromium package"
    return pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def submit_step_one(page, course_id: str, account, answers: dict[str, str], shots: Path) -> None:
    """In the student's JupyterLab: Fetch, open step 1, type `answers`, save, Submit; the row then
    offers Fetch Feedback."""
    from playwright.sync_api import expect
    from browser.assignment_list import NBGRADER_MS, _accept_kernel_dialog, fill_and_save, list_item, open_assignment_list

    open_assignment_list(page, course_id)
    released = list_item(page, "released", ASSIGNMENT)
    expect(released.get_by_role("button", name="Fetch")).to_be_visible(timeout=NBGRADER_MS)
    released.get_by_role("button", name="Fetch").click()
    fetched = list_item(page, "fetched", ASSIGNMENT)
    expect(fetched.get_by_role("button", name="Submit")).to_be_visible(timeout=NBGRADER_MS)
    folder = account.home / ASSIGNMENT
    assert (folder / NOTEBOOK).is_file(), f"Fetch did not write {folder / NOTEBOOK}"
    assert (folder / NOTEBOOK).stat().st_uid == account_uid(account), "the fetched notebook is the student's"

    fetched.locator("a.assignment-notebooks-link").click()
    fetched.get_by_role("link", name=NOTEBOOK_ID, exact=True).click()
    n_cells = len(json.loads((folder / NOTEBOOK).read_text(encoding="utf-8"))["cells"])
    expect(page.locator(".jp-Notebook .jp-Cell")).to_have_count(n_cells)
    _accept_kernel_dialog(page)
    fill_and_save(page, folder / NOTEBOOK, answers)
    page.screenshot(path=str(shots / f"{account.name}_1_filled.png"))

    page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab").filter(has_text="Assignments").click()
    fetched.get_by_role("button", name="Submit").click()
    submitted = list_item(page, "submitted", ASSIGNMENT)
    expect(submitted.get_by_role("button", name="Fetch Feedback")).to_be_visible(timeout=NBGRADER_MS)


def write_answers(account, assignment: str, answers_by_notebook: dict[str, dict[str, str]]) -> None:
    """The student's fetched notebooks with these answers, written as the student would (their file)."""
    entry = pwd.getpwnam(account.name)
    for name, answers in answers_by_notebook.items():
        path = account.home / assignment / name
        nb = filled_in(json.loads(path.read_text(encoding="utf-8")), answers)
        path.write_text(json.dumps(nb, ensure_ascii=False), encoding="utf-8")
        os.chown(path, entry.pw_uid, entry.pw_gid)
