"""The French summary page read in real Chromium (headless, Playwright), on a phone's width and on a
desktop's: nothing wider than the screen, and each message wide enough for a line of several words.
The pages are those of the sample class after manual grading and nbgrader's Generate Feedback
(the longest messages, a teacher's comment, a student without curves). Screenshots go to
artifacts/browser/."""
from __future__ import annotations

from pathlib import Path

import pytest

from autograder.courses.descente_gradient.course import ASSIGNMENT

from .test_student_workflow import CHROMIUM, CHROMIUM_ARGS, SHOTS

STUDENTS = ("chloe_gradient_somme", "lea_regret_somme", "nina_non_rendu", "alice_juste")
SEVERAL_WORDS = "Ton gradient est trop grand :"      # five words: a message cell holds them on one line

# For each message cell that says something: its content width, and the width of SEVERAL_WORDS on
# one line in the cell's own font (measured in the cell, then removed).
MEASURE = """words => Array.from(document.querySelectorAll('td[data-label="Message"]'))
  .filter(cell => cell.textContent.trim())
  .map(cell => {
    const probe = document.createElement('span');
    probe.style.whiteSpace = 'nowrap';
    probe.textContent = words;
    cell.appendChild(probe);
    const needed = probe.getBoundingClientRect().width;
    probe.remove();
    const style = getComputedStyle(cell);
    const content = cell.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    return {content, needed, text: cell.textContent.slice(0, 60)};
  })"""


@pytest.mark.parametrize("width", [420, 1280])
def test_the_summary_page_reads_on_a_phone_and_on_a_desktop(formgraded_class, width):
    from playwright.sync_api import sync_playwright  # ImportError = a broken test machine: fail

    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: install Debian's chromium package"
    root, _ = formgraded_class
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": 900})
            measured = 0
            for student in STUDENTS:
                page.goto((root / "feedback" / student / ASSIGNMENT / "resume.html").as_uri())
                page.screenshot(path=str(SHOTS / f"resume_{width}_{student}.png"), full_page=True)
                scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
                assert inner == width and scroll <= inner, f"{student} at {width} px: the page is {scroll} px wide"
                cells = page.evaluate(MEASURE, SEVERAL_WORDS)
                for cell in cells:
                    assert cell["content"] >= cell["needed"] > 0, \
                        f"{student} at {width} px: a message {cell['content']:.0f} px wide cannot hold " \
                        f"{SEVERAL_WORDS!r} ({cell['needed']:.0f} px) on a line: {cell['text']!r}"
                measured += len(cells)
                images = page.evaluate("Array.from(document.images).map(i => i.getBoundingClientRect().right)")
                assert images and max(images) <= width, f"{student} at {width} px: a figure goes past the edge"
            assert measured >= 15, f"only {measured} messages measured"
        finally:
            browser.close()
