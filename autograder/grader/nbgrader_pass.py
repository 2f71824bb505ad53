"""nbgrader's own autograde bookkeeping, with the kernel execution taken out.

`KitAutograde` is nbgrader's `Autograde` converter: the same sanitize preprocessors
(ClearOutput, DeduplicateIds, OverwriteKernelspec, OverwriteCells, CheckCellMetadata, the
gradebook read as nbgrader reads it), the same init of students, submissions, timestamps and
missing notebooks, and the same save preprocessors (SaveAutoGrades, LimitOutput,
AssignLatePenalties, CheckCellMetadata). Only `Execute` is replaced, by `WriteOutputs` (the
student's own outputs, recorded in the sandbox) and `WriteDecisions` (the grader's decision in each
test cell, as the output nbgrader would have recorded).
"""
from __future__ import annotations

import glob
import json
import logging
import os
import stat
import warnings
import re

from nbconvert.exporters import NotebookExporter
from nbconvert.preprocessors import ClearMetadataPreprocessor
from nbformat import validator
from nbformat import from_dict
from nbgrader import utils
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.apps import AutogradeApp
from nbgrader.converters import Autograde
from nbgrader.preprocessors import (AssignLatePenalties, CheckCellMetadata, IgnorePattern, LimitOutput,
                                    NbGraderPreprocessor, SaveAutoGrades)
from traitlets import List

from .items import Skipped, Submitted

PASSED_TEXT = "Vérification cachée « {grade_id} » réussie.\n"


class WriteDecisions(NbGraderPreprocessor):
    """Give each test cell the output that its decision stands for: an AssertionError with the
    French message when it fails, a short line on stdout when it passes. (The notebook is
    validated once the pass is over, not each output as `nbformat.v4.new_output` would.)"""

    def preprocess(self, nb, resources):
        self._decisions = {d["grade_id"]: d for d in resources.get("kit_decisions", [])}
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code" or not utils.is_grade(cell) or utils.is_solution(cell):
            return cell, resources
        grade_id = cell.metadata.nbgrader.get("grade_id")
        decision = self._decisions.get(grade_id) or {
            "passed": False, "ename": "AssertionError", "message": "Cette cellule n'a pas été corrigée."}
        if decision["passed"]:
            cell.outputs = [from_dict({"output_type": "stream", "name": "stdout",
                                       "text": PASSED_TEXT.format(grade_id=grade_id)})]
        else:
            ename = decision["ename"] or "AssertionError"
            cell.outputs = [from_dict({"output_type": "error", "ename": ename, "evalue": decision["message"],
                                       "traceback": [f"{ename}: {decision['message']}"]})]
        return cell, resources


class WriteOutputs(NbGraderPreprocessor):
    """Give each code cell the execution count and the outputs of the student's own run, as
    `nbgrader autograde`'s kernel leaves them (test cells keep theirs: their decision writes them).
    The outputs were made plain by `outputs.recorded_cells` (LimitOutput bounds them again)."""

    def preprocess(self, nb, resources):
        recorded = resources.get("kit_cells") or []
        code_cells = [cell for cell in nb.cells if cell.cell_type == "code"]
        for cell, run in zip(code_cells, recorded):
            if run is None:
                continue
            cell.execution_count = run["execution_count"]
            if not run.get("test"):
                cell.outputs = [from_dict(output) for output in run["outputs"]]
        return nb, resources


class NotebookPass(NotebookExporter):
    """nbconvert's NotebookExporter as the kit drives it: one per pass (sanitize, save), built
    once per run where nbgrader re-creates its preprocessors twice per notebook; nbformat's
    validation once per pass (`optimistic_validation`); the notebook copied once per pass where
    nbconvert copies it twice; and the converted notebook handed on in resources["kit_notebook"],
    so that the next pass starts from it instead of reading the file back."""

    def _preprocess(self, nb, resources):
        # nbconvert's Exporter._preprocess without its second deep copy: `nb` is already this
        # pass's own copy (from_notebook_node made it) and `resources` this notebook's own dict.
        _, nb = validator.normalize(nb)
        for preprocessor in self._preprocessors:
            nb, resources = preprocessor(nb, resources)
        self._validate_preprocessor(nb, self._preprocessors[-1] if self._preprocessors else None)
        resources["kit_notebook"] = nb
        return nb, resources


class KitAutograde(Autograde):
    autograde_preprocessors = List([WriteOutputs, WriteDecisions, IgnorePattern, ClearMetadataPreprocessor, LimitOutput,
                                    SaveAutoGrades, AssignLatePenalties, CheckCellMetadata]).tag(config=True)

    decisions: dict = {}
    outputs: dict = {}

    def prepare(self) -> None:
        """What nbgrader's `start()` does before converting, with the two passes built once."""
        self.init_notebooks()
        from nbconvert.writers import FilesWriter
        self.writer = FilesWriter(parent=self, config=self.config)
        self._passes = {True: self._notebook_pass(self.sanitize_preprocessors),
                        False: self._notebook_pass(self.autograde_preprocessors)}
        self.exporter = self._passes[True]

    def _notebook_pass(self, preprocessors) -> NotebookPass:
        exporter = NotebookPass(parent=self, config=self.config)
        for preprocessor in preprocessors:
            exporter.register_preprocessor(preprocessor)   # as nbgrader's _init_preprocessors does
        return exporter

    def _init_preprocessors(self) -> None:
        self.exporter = self._passes[self._sanitizing]

    def _convert(self, filename: str, notebook=None):
        """nbgrader's convert_single_notebook (resources, export, write), from `notebook` when the
        previous pass handed it on; returns the converted notebook."""
        resources = self.init_single_notebook_resources(filename)
        if notebook is None:
            output, resources = self.exporter.from_filename(filename, resources=resources)
        else:
            output, resources = self.exporter.from_notebook_node(notebook, resources=resources)
        self.write_single_notebook(output, resources)
        return resources.pop("kit_notebook", None)

    def _parse_ids(self, assignment_path: str) -> dict:
        regexp = self._format_source("(?P<assignment_id>.*)", "(?P<student_id>.*)", escape=True)
        return re.match(regexp, assignment_path).groupdict()

    def sanitize_each(self, skipped: list[Skipped]):
        """Phase 1: every submission's notebooks, sanitized into autograded/ as nbgrader does;
        yields each one as soon as it is ready, appends the ones that cannot be graded to `skipped`.
        Unlike nbgrader, what is not a regular file of the student's own folder (a symbolic link,
        say to source/, a named pipe) is neither read nor copied: such a notebook scores 0."""
        self._sanitizing = True
        for assignment_path in sorted(self.assignments):
            gd = self._parse_ids(assignment_path)
            student, assignment = gd["student_id"], gd["assignment_id"]
            self.notebooks = sorted(self.assignments[assignment_path])
            if not _own_folder(assignment_path):
                skipped.append(Skipped(student, "*", "the assignment folder is a symbolic link "
                                                     f"(to {os.path.realpath(assignment_path)}): scored 0"))
                for notebook in self._refuse_submission(assignment, student):
                    stand_in = self._stand_in(os.path.join(assignment_path, notebook + ".ipynb"), assignment, notebook)
                    if stand_in is not None:
                        yield Submitted(student, assignment, notebook, stand_in,
                                        f"le dossier rendu {os.path.basename(assignment_path)} est un lien symbolique")
                continue
            special = _not_regular(assignment_path)
            for path in special:
                skipped.append(Skipped(student, os.path.basename(path), "not a regular file (symbolic link, "
                                       "named pipe...): not read, not copied" + (", scored 0" if path.endswith(
                                           ".ipynb") else "")))
            ignore = list(self.coursedir.ignore)
            try:
                self.coursedir.ignore = ignore + [glob.escape(os.path.basename(p)) for p in special]
                if not self.init_destination(assignment, student):
                    continue
                self.run_pre_convert_hook()
                self.init_assignment(assignment, student)
            except Exception as exc:
                skipped.append(Skipped(student, "*", f"nbgrader could not set up the submission: {exc}"))
                continue
            finally:
                self.coursedir.ignore = ignore
            for missing in self._missing_notebooks(assignment, student):
                skipped.append(Skipped(student, missing, "no submitted file: scored 0"))
                stand_in = self._stand_in(os.path.join(assignment_path, missing + ".ipynb"), assignment, missing)
                if stand_in is not None:
                    yield Submitted(student, assignment, missing, stand_in,
                                    f"le notebook {missing}.ipynb n'a pas été rendu (sous ce nom)")
            for filename in self.notebooks:
                notebook = os.path.splitext(os.path.basename(filename))[0]
                name = os.path.basename(filename)
                self._sanitizing = True
                self._init_preprocessors()
                too_costly = None if filename in special else _too_costly(filename)
                if filename in special:
                    problem = f"le fichier rendu {name} n'est pas un fichier ordinaire (lien symbolique, tube...)"
                elif too_costly:
                    skipped.append(Skipped(student, notebook, f"{too_costly[0]}: not read by nbgrader, scored 0"))
                    problem = f"le fichier rendu {name} {too_costly[1]}"
                else:
                    try:
                        sanitized = self._convert(filename)
                    except Exception as exc:
                        skipped.append(Skipped(student, notebook, f"unreadable notebook, scored 0 "
                                                                   f"({type(exc).__name__}: {str(exc)[:200]})"))
                        problem = f"le fichier rendu {name} n'est pas un notebook lisible"
                    else:
                        path = os.path.join(self.writer.build_directory, name)
                        yield Submitted(student, assignment, notebook, path, sanitized=sanitized)
                        continue
                stand_in = self._stand_in(filename, assignment, notebook)
                if stand_in is None:
                    self._zero(assignment, student, notebook)
                else:
                    yield Submitted(student, assignment, notebook, stand_in, problem)

    def stand_in_for(self, item: Submitted, problem: str) -> Submitted | None:
        """`item` replaced by the release notebook (see `_stand_in`), with the French `problem`."""
        filename = os.path.join(self._format_source(item.assignment, item.student), item.notebook + ".ipynb")
        self._sanitizing = True
        self._init_preprocessors()
        path = self._stand_in(filename, item.assignment, item.notebook)
        return None if path is None else Submitted(item.student, item.assignment, item.notebook, path, problem)

    def _stand_in(self, filename: str, assignment: str, notebook: str) -> str | None:
        """The release notebook, sanitized under the student's name, so that an ungradable file
        still gets an autograded notebook (and nbgrader's feedback) saying why it scored 0."""
        release = os.path.join(self.coursedir.format_path(self.coursedir.release_directory, ".", assignment),
                               notebook + ".ipynb")
        if not os.path.isfile(release):
            return None
        try:
            resources = self.init_single_notebook_resources(filename)   # the name only: nothing is read
            output, resources = self.exporter.from_filename(release, resources=resources)
            self.write_single_notebook(output, resources)
        except Exception:
            return None
        return os.path.join(self.writer.build_directory, notebook + ".ipynb")

    def _refuse_submission(self, assignment: str, student: str) -> list[str]:
        """The student and submission rows nbgrader would create, every grade 0, nothing read."""
        with Gradebook(self.coursedir.db_url, self.coursedir.course_id) as gb:
            gb.update_or_create_student(student)
            gb.update_or_create_submission(assignment, student)
        with Gradebook(self.coursedir.db_url, self.coursedir.course_id) as gb:
            names = [nb.name for nb in gb.find_assignment(assignment).notebooks]
        for name in names:
            self._zero(assignment, student, name)
        return names

    def _missing_notebooks(self, assignment: str, student: str) -> list[str]:
        present = {os.path.splitext(os.path.basename(f))[0] for f in self.notebooks}
        with Gradebook(self.coursedir.db_url, self.coursedir.course_id) as gb:
            return [nb.name for nb in gb.find_assignment(assignment).notebooks if nb.name not in present]

    def _zero(self, assignment: str, student: str, notebook: str, remove: bool = True) -> None:
        """What nbgrader does for a missing notebook, for an unreadable one: every grade 0 (and,
        with `remove`, no autograded copy)."""
        with Gradebook(self.coursedir.db_url, self.coursedir.course_id) as gb:
            try:
                submitted = gb.find_submission_notebook(notebook, assignment, student)
            except MissingEntry:
                return
            for grade in submitted.grades:
                grade.auto_score = 0
                grade.needs_manual_grade = False
            gb.db.commit()
        dest = os.path.join(self._format_dest(assignment, student), notebook + ".ipynb")
        if remove and os.path.exists(dest):
            os.remove(dest)

    def init_single_notebook_resources(self, notebook_filename: str):
        resources = super().init_single_notebook_resources(notebook_filename)
        if not self._sanitizing:
            gd = resources["nbgrader"]
            resources["kit_decisions"] = self.decisions.get((gd["student"], gd["notebook"]), [])
            resources["kit_cells"] = self.outputs.get((gd["student"], gd["notebook"]), [])
        return resources

    def save(self, item: Submitted, decisions: list[dict], cells: list | None = None) -> None:
        """Phase 3: the sanitized notebook, with the student's outputs and the decisions written
        in, through nbgrader's save preprocessors (autograded/ and the gradebook)."""
        self.decisions = {(item.student, item.notebook): decisions}
        self.outputs = {(item.student, item.notebook): cells or []}
        self._sanitizing = False
        self._init_preprocessors()
        try:
            self._convert(item.path, item.sanitized)
        finally:
            self._sanitizing = True

    def finish(self, assignment: str, student: str) -> None:
        self.set_permissions(assignment, student)
        self.run_post_convert_hook()


class _CompiledSchema:
    """Stands for the `jsonschema` module in nbgrader's metadata validator: each cell's metadata
    is checked against nbgrader's schema compiled once with fastjsonschema (as nbformat checks
    notebooks); metadata that fails is validated again by jsonschema, whose error is nbgrader's.
    nbgrader re-reads and re-checks its constant schema for every cell, most of the time of
    CheckCellMetadata."""

    def __init__(self):
        import fastjsonschema
        import jsonschema

        self._jsonschema, self._fast = jsonschema, fastjsonschema
        self._by_text: dict[str, object] = {}
        self._last: tuple[dict | None, object] = (None, None)

    def validate(self, instance, schema):
        last_schema, check = self._last
        if last_schema is not schema:
            text = json.dumps(schema, sort_keys=True)
            if text not in self._by_text:
                self._jsonschema.validators.validator_for(schema).check_schema(schema)
                self._by_text[text] = self._fast.compile(schema)
            check = self._by_text[text]
            self._last = (schema, check)
        try:
            check(instance)
        except self._fast.JsonSchemaException:
            self._jsonschema.validate(instance, schema)

    def __getattr__(self, name):
        return getattr(self._jsonschema, name)


def _validate_schema_once() -> None:
    from nbgrader.nbgraderformat import common

    if not isinstance(common.jsonschema, _CompiledSchema):
        common.jsonschema = _CompiledSchema()


MAX_CELLS = 2000          # the release notebooks have about 30 cells
MAX_OUTPUTS = 20000


def _too_costly(path: str) -> tuple[str, str] | None:
    """(English, French) when a notebook has more cells or outputs than nbgrader can sanitize in
    this process at a bounded cost: it takes about a millisecond per cell, without any limit, so
    250 000 empty cells (a 20 MB file) would hold the class for minutes. Unreadable JSON is left
    to nbgrader, which says so."""
    try:
        with open(path, "rb") as f:
            nb = json.loads(f.read())
    except (OSError, ValueError, RecursionError):
        return None
    if not isinstance(nb, dict):
        return None
    cells = nb.get("cells")
    if not isinstance(cells, list):   # nbformat 3
        cells = [c for w in nb.get("worksheets") or [] if isinstance(w, dict) for c in w.get("cells") or []]
    outputs = sum(len(c.get("outputs") or []) for c in cells
                  if isinstance(c, dict) and isinstance(c.get("outputs") or [], list))
    if len(cells) > MAX_CELLS:
        return (f"{len(cells)} cells (at most {MAX_CELLS})", f"a {len(cells)} cellules (au plus {MAX_CELLS})")
    if outputs > MAX_OUTPUTS:
        return (f"{outputs} outputs (at most {MAX_OUTPUTS})", f"a {outputs} sorties (au plus {MAX_OUTPUTS})")
    return None


def _own_folder(folder: str) -> bool:
    """The submission folder is a real folder under submitted/<student>/, not a link elsewhere."""
    real = os.path.realpath(folder)
    return real == os.path.join(os.path.realpath(os.path.dirname(os.path.dirname(folder))),
                                os.path.basename(os.path.dirname(folder)), os.path.basename(folder))


def _not_regular(folder: str) -> list[str]:
    """Every entry of the submission that is not a regular file (symbolic links included)."""
    out = []
    for dirname, dirnames, filenames in os.walk(folder):
        for name in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirname, d))]:
            path = os.path.join(dirname, name)
            if not stat.S_ISREG(os.lstat(path).st_mode):
                out.append(path)
    return out


def make_converter(course_dir: str, assignment: str, student: str | None = None) -> KitAutograde:
    """nbgrader's AutogradeApp configuration (nbgrader_config.py of the course root, --force,
    --create), and the kit's converter on it. Call with the course root as working folder."""
    argv = [assignment, "--force", "--create", f"--CourseDirectory.root={course_dir}"]
    if student:
        argv.append(f"--student={student}")
    from sqlalchemy.exc import SAWarning

    _validate_schema_once()

    warnings.filterwarnings("ignore", category=SAWarning)   # nbgrader's own init_assignment triggers them
    app = AutogradeApp()
    app.initialize(argv)
    app.log_level = logging.ERROR   # the kit reports missing and unreadable notebooks itself
    app.coursedir.assignment_id = assignment
    converter = KitAutograde(coursedir=app.coursedir, parent=app)
    converter.prepare()
    return converter
