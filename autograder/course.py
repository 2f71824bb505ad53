"""What the machinery knows of a course: the interface between the generic parts (grader, sandbox,
gradebook, reports, command line) and an assignment's package.

An assignment named A is the package `autograder.courses.A` (docs/adding-a-course.md):

- `course.py`   ASSIGNMENT, STEPS (a tuple of `Step`), WARM_UP (source cells the sandbox's warm
                parent runs once: imports). Imported inside the sandbox: stdlib and this module only.
- `observe.py`  observe(step, cells, tirage) -> plain data. Runs inside the sandbox, next to
                student code (it may import `autograder.observe`, numpy, torch).
- `draws.py`    draw(step_name, seed=None) -> {"scenarios": [...], "probes": {...}}, the notebook's
                own data first. Grader side only, like the next two.
- `checks.py` or `checks/`  CHECKS = {step: {grade_id: check(tirage, observation)}}; a check
                raises AssertionError with a French message (a `Feedback` when it knows the cause).
                Optional: prepare() (once per grading run), CAUSES = {code: English line},
                MESSAGES = {code: (French, English)} (the exports' short French labels),
                curve(observation) -> [(w, L), ...] and reference_curve(step) for the reports.
- `pages.py`    what the student's summary page says (French): TITLE, STEP_TITLES = {step: title},
                CHECK_TITLES = {step: {grade_id: what the check checks}}, ANSWER_TITLES = {step:
                {grade_id: the answer cell}}; with a curve, CURVE = `CurveText(...)`. Grader side.

The data of each locked data cell is read from the instructor's notebook (`source/A/`), by
matching the cell against the step's template: the notebook is its one definition. The course's
`source/` is found as nbgrader's commands find the course: $KIT_COURSE_ROOT when set, else the
working folder or the first folder above it that holds `nbgrader_config.py` and `source/` (a
kernel of `nbgrader autograde` runs in autograded/S/A/), else this checkout's own.
"""
from __future__ import annotations

import ast
import functools
import importlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

COURSES_PACKAGE = "autograder.courses"
CHECKOUT_SOURCE = Path(__file__).resolve().parents[1] / "source"


def source_root() -> Path:
    """The `source/` folder of the course being graded (see the module's docstring)."""
    if os.environ.get("KIT_COURSE_ROOT"):
        return Path(os.environ["KIT_COURSE_ROOT"]) / "source"
    here = Path.cwd()
    for folder in (here, *here.parents):
        if (folder / "nbgrader_config.py").is_file() and (folder / "source").is_dir():
            return folder / "source"
    return CHECKOUT_SOURCE


def render(value) -> str:
    """Write a number or a (nested) list as the seed writes it: `2` rather than `2.0` in lists."""
    if isinstance(value, list):
        return "[" + ", ".join(render(v) for v in value) + "]"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e6:
        return str(int(value))
    return repr(value)


class CourseError(Exception):
    """An assignment that cannot be found or whose notebooks do not match its package."""


@dataclass(frozen=True)
class Step:
    name: str
    notebook: str
    data_cells: dict[str, str]        # grade_id of a locked data cell: its text, `{name}` for each value
    checks: tuple[str, ...]           # grade_ids of the test cells, in notebook order
    solution_cells: tuple[str, ...]
    mistakes: tuple[str, ...] = ()    # the known wrong answers the checks can name (the course's business)
    display_cells: tuple[str, ...] = ()   # locked cells that only show the student's run: skipped on drawn data
    assignment: str = field(default="", compare=False)

    @property
    def filename(self) -> str:
        return self.notebook + ".ipynb"

    def data_source(self, grade_id: str, scenario: dict) -> str:
        """The source of a locked data cell, filled in with a scenario's values."""
        fmt = {k: render(v) if k != "w" else repr(float(v)) for k, v in scenario.items()}
        return self.data_cells[grade_id].format(**fmt)

    @functools.cached_property
    def canonical(self) -> dict:
        """The notebook's own data: the values of its locked data cells, read from source/."""
        if not self.assignment:
            raise CourseError(f"step {self.name}: its assignment is not known; give Step(assignment=ASSIGNMENT, ...) "
                              "or take the step from autograder.course.load(ASSIGNMENT).steps")
        return read_data_cells(self, source_root() / self.assignment / self.filename)


def _template_pattern(template: str) -> re.Pattern:
    parts = re.split(r"\{(\w+)\}", template)
    regex = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>.+?)" for i, p in enumerate(parts))
    return re.compile(regex + r"\s*", re.DOTALL)


def read_data_cells(step: Step, notebook_path: Path) -> dict:
    """{name: value} of the step's locked data cells as the notebook writes them; `CourseError`
    naming the cell when a cell is missing or does not match its template."""
    try:
        nb = json.loads(notebook_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CourseError(f"{notebook_path}: cannot read the notebook ({exc})") from None
    from .observe.cells import source_text

    sources = {c["metadata"].get("nbgrader", {}).get("grade_id"): source_text(c) for c in nb.get("cells", [])}
    values: dict = {}
    for grade_id, template in step.data_cells.items():
        if grade_id not in sources:
            raise CourseError(f"{notebook_path.name}: no cell with grade_id {grade_id!r} (a locked data cell of "
                              f"step {step.name})")
        match = _template_pattern(template).fullmatch(sources[grade_id])
        if match is None:
            raise CourseError(f"{notebook_path.name}, cell {grade_id!r}: its text does not have the shape the "
                              f"grader writes drawn data into; expected\n{template}\nwith a Python literal for "
                              "each {name}")
        for name, text in match.groupdict().items():
            try:
                values[name] = _as_data(ast.literal_eval(text))
            except (ValueError, SyntaxError):
                raise CourseError(f"{notebook_path.name}, cell {grade_id!r}: {name} = {text!r} is not a Python "
                                  "literal (a number or a list of numbers)") from None
    return values


def _as_data(value):
    """A literal as the grader's data: the numbers of a list are floats (the notebook writes `2` for
    `2.0` in its arrays, see `render`); a lone number keeps its type (n_iters, a seed)."""
    if isinstance(value, (list, tuple)):
        return [float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else _as_data(v) for v in value]
    return value


@dataclass(frozen=True)
class CurveText:
    """What a course's summary page says around a step's training curves, in French."""
    both: str             # above the student's curve (blue) drawn with the reference (black, dashed)
    reference_only: str   # above the reference drawn alone: the student has no curve
    yours_only: str       # above the student's curve drawn alone: the course has no reference for the step
    missing: str          # why a notebook that ran may leave no curve, and what that costs
    loss: str             # the loss axis (drawn on a log scale)
    parameter: str        # the parameter axis


class Course:
    """One assignment's package, seen through the interface above. Grader-side parts are imported
    when first asked for, so that the sandbox only ever imports `course` and `observe`."""

    def __init__(self, assignment: str):
        self.package = f"{COURSES_PACKAGE}.{assignment}"
        try:
            definition = importlib.import_module(f"{self.package}.course")
        except ModuleNotFoundError as exc:
            if exc.name and not (self.package + ".course").startswith(exc.name):
                raise
            known = ", ".join(available()) or "none"
            raise CourseError(f"no course package for assignment {assignment!r}: expected "
                              f"autograder/courses/{assignment}/course.py (courses found: {known})") from None
        if definition.ASSIGNMENT != assignment:
            raise CourseError(f"{self.package}.course says ASSIGNMENT = {definition.ASSIGNMENT!r}, "
                              f"not {assignment!r}")
        self.name = assignment
        steps = definition.STEPS.values() if isinstance(definition.STEPS, dict) else definition.STEPS
        self.steps: dict[str, Step] = {}
        for step in steps:
            object.__setattr__(step, "assignment", assignment)
            self.steps[step.name] = step
        self.warm_up: tuple[str, ...] = tuple(getattr(definition, "WARM_UP", ()))
        self._by_notebook = {s.notebook: s for s in self.steps.values()}

    def step_of(self, notebook_name: str) -> Step:
        """The step a notebook file belongs to, from its name (with or without `.ipynb`)."""
        stem = notebook_name.rsplit("/", 1)[-1].removesuffix(".ipynb")
        if stem in self._by_notebook:
            return self._by_notebook[stem]
        raise KeyError(f"{notebook_name!r} is not one of the notebooks of {self.name}: "
                       + ", ".join(s.filename for s in self.steps.values()))

    def part(self, name: str):
        """A module of the course package (`course`, `observe`, `draws`, `checks`, `sample_class`...)."""
        return importlib.import_module(f"{self.package}.{name}")

    def observe(self, step_name: str, cells: list, tirage: dict) -> dict:
        return self.part("observe").observe(self.steps[step_name], cells, tirage)

    def draw(self, step_name: str, seed: int | None = None) -> dict:
        """The step's draw, which names its course (the sandbox finds the observer through it)."""
        return {**self.part("draws").draw(step_name, seed), "assignment": self.name, "step": step_name}

    @functools.cached_property
    def checks(self) -> dict[str, dict]:
        return self.part("checks").CHECKS

    def prepare(self) -> None:
        """Once per grading run (a course may remember reference computations for the run)."""
        prepare = getattr(self.part("checks"), "prepare", None)
        if prepare:
            prepare()

    @property
    def messages(self) -> dict:
        """{cause code: (French template, English template)} of the course's checks, when it lists them."""
        return getattr(self.part("checks"), "MESSAGES", {})

    def describe_cause(self, code: str | None) -> str:
        """The instructor's short English line for a cause code."""
        from .feedback import GENERIC_CAUSES

        causes = {**GENERIC_CAUSES, **getattr(self.part("checks"), "CAUSES", {})}
        return causes.get(code or "", code or "other (no cause recorded)")

    def curve(self, observation: dict | None) -> list | None:
        """The student's training curve from an observation, when the course draws one."""
        curve = getattr(self.part("checks"), "curve", None)
        return curve(observation) if curve and observation else None

    def reference_curve(self, step_name: str) -> list | None:
        reference_curve = getattr(self.part("checks"), "reference_curve", None)
        return reference_curve(step_name) if reference_curve else None

    @functools.cached_property
    def _pages(self):
        try:
            return self.part("pages")
        except ModuleNotFoundError as exc:
            if exc.name != f"{self.package}.pages":
                raise
            return None

    def _page_text(self, name: str, *keys: str) -> str | None:
        value = getattr(self._pages, name, None)
        for key in keys:
            value = value.get(key) if isinstance(value, dict) else None
        return value if isinstance(value, str) and value.strip() else None

    @property
    def title(self) -> str:
        """The assignment's French title (its name when the course gives none)."""
        return self._page_text("TITLE") or self.name

    def step_title(self, step_name: str) -> str | None:
        """The step's French heading ("Étape 1 — ..."), None when the course gives none."""
        return self._page_text("STEP_TITLES", step_name)

    def check_title(self, step_name: str, check: str) -> str | None:
        """What a check checks, in the student's terms (French), None when the course gives none."""
        return self._page_text("CHECK_TITLES", step_name, check)

    def answer_title(self, step_name: str, cell: str) -> str | None:
        """An answer cell named for the student ("ta fonction `gradient`"), None when not given."""
        return self._page_text("ANSWER_TITLES", step_name, cell)

    @property
    def curve_text(self) -> CurveText | None:
        """The sentences around the training curves, for a course that draws them."""
        curve = getattr(self._pages, "CURVE", None)
        return curve if isinstance(curve, CurveText) else None

    @property
    def source_folder(self) -> Path:
        return source_root() / self.name


def available() -> list[str]:
    """The assignments that have a course package."""
    folder = Path(__file__).resolve().parent / "courses"
    return sorted(p.parent.name for p in folder.glob("*/course.py"))


@functools.cache
def load(assignment: str) -> Course:
    """The course of `assignment` (`CourseError` when there is none)."""
    return Course(assignment)


def course_of_folder(folder: Path) -> Course:
    """The course a notebook folder belongs to: nbgrader names it after its assignment
    (source/A/, release/A/, submitted/S/A/, autograded/S/A/)."""
    return load(Path(folder).name)
