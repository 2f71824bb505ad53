"""A student's round trip through nbgrader's Assignment List in a real browser: JupyterLab with
nbgrader's extension on localhost, headless Debian Chromium driven by Playwright, a real nbgrader
exchange in a temporary folder, and `python -m autograder serve` grading what arrives in it.

The student fetches the assignment from the Assignment List, opens step 1 from it, fills its
solution cells (the seed's gradient, a sum, and right answers elsewhere), saves, submits; serve
grades the submission; the student fetches the feedback, opens it from the list's "view feedback"
link, and reads the kit's French message for the sum gradient, with the points of the cells that
pass. Screenshots go to artifacts/browser/list_*.png.

nbgrader 0.9.6 names the submitter from the OS account (`pwd`), not $USER: the student is the
test's own user, as serve's "graded ..." line says.

Missing Chromium or Playwright is a failure, not a skip: CI installs both.
"""
from __future__ import annotations

import json
import re
import time
from pathlib import Path

from autograder.courses.descente_gradient.checks.feedback import feedback
from autograder.courses.descente_gradient.course import STEPS
from autograder.feedback import wrapped
from service_support import (ASSIGNMENT, Process, Student, course_id, error_in_page, graded_lines,
                             make_course_with_exchange)

from .assignment_list import (CELLS, CHROMIUM, CHROMIUM_ARGS, NBGRADER_MS, TIMEOUT_MS, _accept_kernel_dialog, _cell,
                              fill_and_save, list_item, open_assignment_list, step_one_answers)
from .jupyterlab_server import jupyterlab
from .test_student_workflow import SHOTS

NOTEBOOK = STEPS["etape1"].filename
NOTEBOOK_ID = Path(NOTEBOOK).stem
SERVE_START_S = 240      # serve warms its sandbox (torch) before its ready line
GRADED_S = 240
PASSING = ("test_avant", "test_regret")   # step 1's test cells that the sum gradient does not fail
# The kit's message for the sum gradient, as its check of step 1 words it (4 = len(X) in the notebook).
SUM_MESSAGE = "AssertionError: " + feedback("gradient_sum", n=4)


def _shot(page, name: str, target=None) -> None:
    if target is not None:
        target.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / f"list_{name}.png"))


def _expected_score(course: Path) -> str:
    """serve's score for the submission, "earned/total": the points of PASSING, out of every test cell's."""
    earned = total = 0.0
    for notebook in (course / "release" / ASSIGNMENT).glob("*.ipynb"):
        for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"]:
            meta = cell["metadata"].get("nbgrader", {})
            if meta.get("grade"):
                total += meta["points"]
                earned += meta["points"] if notebook.name == NOTEBOOK and meta["grade_id"] in PASSING else 0
    return f"{earned:g}/{total:g}"


def _running_in_group(pgid: int, timeout: float = 10) -> list[int]:
    """The processes of a process group that still run (zombies aside: this machine's init reaps
    them lazily), waited for until there are none or `timeout` passes (SIGKILL is not instant)."""
    deadline = time.monotonic() + timeout
    while True:
        running = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue   # a process that ended while being read
            if int(fields[2]) == pgid and fields[0] != "Z":
                running.append(int(stat.parent.name))
        if not running or time.monotonic() > deadline:
            return running
        time.sleep(0.2)


def test_fetch_submit_and_read_feedback_from_the_assignment_list(tmp_path):
    from nbgrader.utils import get_username
    from playwright.sync_api import expect, sync_playwright  # ImportError = a broken test machine: fail

    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: install Debian's chromium package"
    expect.set_options(timeout=TIMEOUT_MS)
    SHOTS.mkdir(parents=True, exist_ok=True)
    for old in SHOTS.glob("list_*.png"):
        old.unlink()
    course = make_course_with_exchange(tmp_path)
    student = get_username()   # what nbgrader's exchange names the submitter (the OS account)
    # The student's home: its nbgrader_config.py names the exchange and the course. JupyterLab serves
    # it and runs from it, which is where the Assignment List's server extension reads its config.
    home = Student(student, tmp_path, tmp_path / "exchange").home
    folder = home / ASSIGNMENT

    serve = Process(["serve", ASSIGNMENT], cwd=course, log=tmp_path / "serve.log")
    try:
        with jupyterlab(home, home) as (base, token, log, group), sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.set_default_timeout(TIMEOUT_MS)
            try:
                page.goto(f"{base}/lab?token={token}")

                # 1. The Assignment List shows the released assignment; Fetch brings it home.
                open_assignment_list(page, course_id())
                released = list_item(page, "released", ASSIGNMENT)
                expect(released.get_by_role("button", name="Fetch")).to_be_visible(timeout=NBGRADER_MS)
                _shot(page, "1_released")
                released.get_by_role("button", name="Fetch").click()
                fetched = list_item(page, "fetched", ASSIGNMENT)
                expect(fetched.get_by_role("button", name="Submit")).to_be_visible(timeout=NBGRADER_MS)
                assert (folder / NOTEBOOK).is_file(), f"Fetch did not write {folder / NOTEBOOK}"

                # 2. The fetched assignment, expanded: its notebooks; step 1 opens from there.
                fetched.locator("a.assignment-notebooks-link").click()
                link = fetched.get_by_role("link", name=NOTEBOOK_ID, exact=True)
                expect(link).to_be_visible()
                _shot(page, "2_fetched_notebooks")
                link.click()
                n_cells = len(json.loads((folder / NOTEBOOK).read_text(encoding="utf-8"))["cells"])
                expect(page.locator(".jp-Notebook .jp-Cell")).to_have_count(n_cells)
                _accept_kernel_dialog(page)
                expect(page.locator(".jp-StatusBar-Widget").filter(has_text="| Idle")).to_have_count(1)

                # 3. The answers, typed and saved: the seed's sum gradient, right answers elsewhere.
                fill_and_save(page, folder / NOTEBOOK, step_one_answers(seed_gradient=True))
                _shot(page, "3_filled_with_sum_gradient", _cell(page, CELLS["gradient"]))

                # 4. Back to the Assignment List: Submit, once serve is ready.
                page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab").filter(has_text="Assignments").click()
                serve.wait_for("serving ", timeout=SERVE_START_S)
                fetched.get_by_role("button", name="Submit").click()
                submitted = list_item(page, "submitted", ASSIGNMENT)
                expect(submitted.get_by_role("button", name="Fetch Feedback")).to_be_visible(timeout=NBGRADER_MS)
                _shot(page, "4_submitted")

                # 5. serve grades it: one line, named as nbgrader named the submitter.
                out = serve.wait_for(f"graded {student} ", timeout=GRADED_S)
                line, = graded_lines(out)
                assert line.split()[1:3] == [student, _expected_score(course)], line

                # 6. Fetch Feedback: the submission gets its "view feedback" link, which opens the
                #    feedback folder in the file browser; the step's page opens in JupyterLab.
                submitted.get_by_role("button", name="Fetch Feedback").click()
                view = submitted.get_by_text("(view feedback)")
                expect(view).to_be_visible(timeout=NBGRADER_MS)
                _shot(page, "5_feedback_fetched")
                view.click()
                page.locator(".jp-DirListing-item").filter(has_text=f"{NOTEBOOK_ID}.html").dblclick()
                page_view = page.frame_locator(".jp-HTMLViewer iframe")
                expect(page_view.locator("h4")).to_contain_text(NOTEBOOK_ID)

                # 7. The kit's French message, as the gradient test's error (its source quotes it too);
                #    the cells that pass have their points.
                gradient_test = page_view.locator(".cell").filter(has=page_view.locator("a[name='test_gradient']"))
                error = gradient_test.locator(".output_error")
                expect(error).to_contain_text(SUM_MESSAGE)
                expect(gradient_test.locator(".panel-heading")).to_contain_text("Score: 0.0 / 2.0")
                for grade_id in PASSING:
                    toc_line = page_view.locator("#toc li").filter(has=page_view.locator(f"a[href='#{grade_id}']"))
                    expect(toc_line).to_contain_text("(Score: 1.0 / 1.0)")
                _shot(page, "6_feedback_french_message", error)
            except Exception:
                page.screenshot(path=str(SHOTS / "list_failure.png"))
                raise
            finally:
                browser.close()

        # The page the student fetched, on disk: the same message and points.
        pages = sorted((folder / "feedback").glob(f"*/{NOTEBOOK_ID}.html"))
        assert len(pages) == 1, f"one feedback page of {NOTEBOOK_ID} expected: {pages}"
        page_html = pages[0].read_text(encoding="utf-8")
        assert error_in_page(page_html, "test_gradient") == "AssertionError: " + wrapped(feedback("gradient_sum", n=4))
        for grade_id in PASSING:
            assert re.search(rf'href="#{grade_id}">Test cell</a> \(Score: 1\.0 / 1\.0\)', page_html), grade_id
        assert "Traceback" not in log.read_text(), log.read_text()[-3000:]
        assert serve.interrupt() == 0, serve.output   # Ctrl-C: a clean stop
    finally:
        serve.stop()
    for name, pgid in (("JupyterLab", group), ("serve", serve.proc.pid)):
        assert not _running_in_group(pgid), f"processes of {name}'s group {pgid} still run"
