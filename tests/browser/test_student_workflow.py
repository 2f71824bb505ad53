"""The student's workflow in a real browser: JupyterLab with nbgrader's extension on localhost,
headless Debian Chromium driven by Playwright, on a copy of the release notebook of step 1.

The stub's test fails, the seed's own gradient (a sum) fails with the French message of the
visible test, the right gradient passes, and nbgrader's Validate button, once every solution
cell is filled, says the notebook passes. Screenshots go to artifacts/browser/.

Missing Chromium or Playwright is a failure, not a skip: CI installs both.
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from autograder.courses.descente_gradient.course import ASSIGNMENT, STEPS
from autograder.nbgrader_cli import ROOT
from autograder.courses.descente_gradient.sample_class import solutions

from .jupyterlab_server import jupyterlab

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]
SHOTS = ROOT / "artifacts" / "browser"
NOTEBOOK = STEPS["etape1"].filename
TIMEOUT_MS = 30_000

SEED_GRADIENT = "def gradient(x, y, y_predit):\n    return np.dot(2*x, y_predit-y).mean()\n"
RIGHT_GRADIENT = "def gradient(x, y, y_predit):\n    return np.mean(2 * x * (y_predit - y))\n"
GRADIENT_SUM_MESSAGE = "Ton gradient est N = len(x) fois trop grand (N = 4 avec les données X du notebook) : c'est une somme"


def _cell(page, text: str):
    """The notebook cell whose source (not its output) contains `text` (exactly one, waited for)."""
    from playwright.sync_api import expect

    cells = page.locator(".jp-Notebook .jp-Cell").filter(has=page.locator(".jp-InputArea", has_text=text))
    expect(cells).to_have_count(1)
    return cells.first


def _wait_idle(page) -> None:
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=TIMEOUT_MS)
    page.wait_for_function("!document.querySelector('.jp-Notebook .jp-InputPrompt')?.closest('.jp-Notebook')"
                           ".innerText.includes('[*]')", timeout=TIMEOUT_MS)


def _run(page, cell) -> None:
    """Select the cell (command mode) and run it in place, as Ctrl+Enter does; wait for its new count."""
    from playwright.sync_api import expect

    prompt = cell.locator(".jp-InputArea-prompt").first
    before = prompt.inner_text()
    prompt.click()
    page.keyboard.press("Control+Enter")
    expect(prompt).not_to_have_text(before)
    expect(prompt).not_to_have_text("[*]:")
    _wait_idle(page)


def _accept_kernel_dialog(page) -> None:
    """JupyterLab sometimes asks which kernel to start (a race at page load): take the proposed one."""
    dialog = page.locator(".jp-Dialog").filter(has_text="Select Kernel")
    try:
        dialog.wait_for(timeout=2_000)
    except Exception:  # no dialog: the kernel was already there
        return
    dialog.get_by_role("button", name="Select").click()


def _run_all(page) -> None:
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
    _accept_kernel_dialog(page)
    _wait_idle(page)


def _type_into(page, cell, source: str) -> None:
    """Replace the cell's text as a student would: click in it, select all, type."""
    cell.locator(".cm-content").first.click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.insert_text(source)  # typed as one block: the editor's auto-indent would re-indent keys


def _shot(page, name: str, cell=None) -> None:
    if cell is not None:
        cell.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / name))


def test_student_workflow_in_jupyterlab(tmp_path):
    from playwright.sync_api import expect, sync_playwright  # ImportError = a broken test machine: fail

    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: install Debian's chromium package"
    expect.set_options(timeout=TIMEOUT_MS)
    SHOTS.mkdir(parents=True, exist_ok=True)
    for old in [*SHOTS.glob("[0-9]_*.png"), SHOTS / "failure.png"]:   # its own shots only
        old.unlink(missing_ok=True)
    work = tmp_path / "etudiant"
    work.mkdir()
    shutil.copy(ROOT / "release" / ASSIGNMENT / NOTEBOOK, work / NOTEBOOK)

    with jupyterlab(work, tmp_path / "home") as (base, token, log, group), sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.set_default_timeout(TIMEOUT_MS)
            page.goto(f"{base}/lab/tree/{NOTEBOOK}?token={token}")
            n_cells = len(json.loads((work / NOTEBOOK).read_text(encoding="utf-8"))["cells"])
            expect(page.locator(".jp-Notebook .jp-Cell")).to_have_count(n_cells)
            _accept_kernel_dialog(page)
            expect(page.locator(".jp-StatusBar-Widget").filter(has_text="Python 3 (ipykernel) | Idle")).to_have_count(1)
            _wait_idle(page)

            # nbgrader's extension is there: its Validate button is in the notebook's toolbar.
            validate = page.locator(".validate-button")
            expect(validate).to_be_visible()

            # 1. The release as handed out, run from the top: the first visible test fails on the stub
            #    (NotImplementedError, in French), and JupyterLab stops there.
            _run_all(page)
            first_test = _cell(page, "Test visible : avant(x) = w * x")
            expect(first_test.locator(".jp-OutputArea-output")).to_contain_text(
                "NotImplementedError: Cellule à compléter")
            _shot(page, "1_stub_test_fails.png", first_test)

            gradient_cell = _cell(page, "def gradient(x, y, y_predit)")
            test_cell = _cell(page, "la moyenne de 2x(y_predit - y),")

            # 2. The seed's gradient, a sum: the visible test names the mistake in French.
            _type_into(page, gradient_cell, SEED_GRADIENT)
            _run(page, gradient_cell)
            _run(page, test_cell)
            # the error line itself, not the test's source that the traceback quotes
            expect(test_cell.locator(".jp-OutputArea-output")).to_contain_text(
                "AssertionError: " + GRADIENT_SUM_MESSAGE)
            _shot(page, "2_seed_gradient_french_message.png", test_cell)

            # 3. The right gradient: the visible test passes (no output, no error).
            _type_into(page, gradient_cell, RIGHT_GRADIENT)
            _run(page, gradient_cell)
            _run(page, test_cell)
            expect(test_cell.locator(".jp-OutputArea-output")).to_have_count(0)
            expect(test_cell.locator(".jp-InputPrompt")).to_contain_text("[")
            _shot(page, "3_right_gradient_test_passes.png", test_cell)

            # 4. Validate before finishing: nbgrader lists the cells that still fail.
            validate.click()
            dialog = page.locator(".jp-Dialog")
            expect(dialog).to_contain_text("Validation Results", timeout=60_000)
            expect(dialog).to_contain_text("NotImplementedError")
            _shot(page, "4_validate_lists_unfinished_cells.png")
            dialog.get_by_role("button").last.click()
            expect(dialog).to_have_count(0)

            # 5. The other solution cells, filled in; Validate now says the notebook passes.
            answers = solutions(ROOT, "etape1")
            for grade_id, marker in (("avant", "def avant(x)"), ("regret", "def regret(y, y_predit)"),
                                     ("entrainement", "historique = []")):
                cell = _cell(page, marker)
                _type_into(page, cell, answers[grade_id])
            _run_all(page)
            errors = page.locator(".jp-Notebook .jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
            expect(errors).to_have_count(0)
            expect(_cell(page, "historique = []").locator(".jp-OutputArea-output")).to_contain_text(
                "Prédiction après apprentissage : f(5) = 10.000")
            plot_cell = _cell(page, 'dessine_l_apprentissage(globals().get("historique")')
            expect(plot_cell.locator(".jp-OutputArea-output img")).to_have_count(1)   # matplotlib's PNG
            _shot(page, "5_solved_notebook_with_plot.png", plot_cell)
            validate.click()
            expect(dialog).to_contain_text("Success! Your notebook passes all the tests.", timeout=60_000)
            _shot(page, "6_validate_success.png")
            dialog.get_by_role("button").last.click()
        except Exception:
            page.screenshot(path=str(SHOTS / "failure.png"))
            raise
        finally:
            browser.close()
    assert "Traceback" not in log.read_text(), log.read_text()[-3000:]
    try:  # the server and its kernels are gone
        os.killpg(group, 0)
        raise AssertionError(f"processes of JupyterLab's group {group} still run")
    except ProcessLookupError:
        pass
