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
import logging
import os
import re
import warnings

from nbconvert.exporters import NotebookExporter
from nbconvert.preprocessors import ClearMetadataPreprocessor
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.apps import AutogradeApp
from nbgrader.converters import Autograde
from nbgrader.preprocessors import AssignLatePenalties, CheckCellMetadata, IgnorePattern, LimitOutput, SaveAutoGrades
from traitlets import List

from . import nbgrader_internals as internals
from .items import Skipped, Submitted
from .metadata_schema import validate_schema_once
from .preprocessors import WriteDecisions, WriteOutputs
from .submission_files import not_regular, own_folder, too_costly


class NotebookPass(NotebookExporter):
    """nbconvert's NotebookExporter as the kit drives it: one per pass (sanitize, save), built
    once per run where nbgrader re-creates its preprocessors twice per notebook; nbformat's
    validation once per pass (`optimistic_validation`); the notebook copied once per pass where
    nbconvert copies it twice; and the converted notebook handed on in resources["kit_notebook"],
    so that the next pass starts from it instead of reading the file back."""

    def _preprocess(self, nb, resources):
        # `nb` is already this pass's own copy (from_notebook_node made it)
        nb, resources = internals.preprocess_without_second_copy(self, nb, resources)
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
            exporter.register_preprocessor(preprocessor)   # as nbgrader does before each pass
        return exporter

    def use_pass(self, sanitizing: bool) -> None:
        internals.set_sanitizing(self, sanitizing)
        self.exporter = self._passes[sanitizing]

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

    def parse_ids(self, assignment_path: str) -> dict:
        regexp = internals.submission_folder(self, "(?P<assignment_id>.*)", "(?P<student_id>.*)", escape=True)
        return re.match(regexp, assignment_path).groupdict()

    def sanitize_each(self, skipped: list[Skipped]):
        """Phase 1: every submission's notebooks, sanitized into autograded/ as nbgrader does;
        yields each one as soon as it is ready, appends the ones that cannot be graded to `skipped`.
        Unlike nbgrader, what is not a regular file of the student's own folder (a symbolic link,
        say to source/, a named pipe) is neither read nor copied: such a notebook scores 0."""
        self.use_pass(sanitizing=True)
        for assignment_path in sorted(self.assignments):
            gd = self.parse_ids(assignment_path)
            student, assignment = gd["student_id"], gd["assignment_id"]
            self.notebooks = sorted(self.assignments[assignment_path])
            if not own_folder(assignment_path):
                skipped.append(Skipped(student, "*", "the assignment folder is a symbolic link "
                                                     f"(to {os.path.realpath(assignment_path)}): scored 0"))
                for notebook in self._refuse_submission(assignment, student):
                    stand_in = self._stand_in(os.path.join(assignment_path, notebook + ".ipynb"), assignment, notebook)
                    if stand_in is not None:
                        yield Submitted(student, assignment, notebook, stand_in,
                                        f"le dossier rendu {os.path.basename(assignment_path)} est un lien symbolique")
                continue
            special = not_regular(assignment_path)
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
                self.use_pass(sanitizing=True)
                costly = None if filename in special else too_costly(filename)
                if filename in special:
                    problem = f"le fichier rendu {name} n'est pas un fichier ordinaire (lien symbolique, tube...)"
                elif costly:
                    skipped.append(Skipped(student, notebook, f"{costly[0]}: not read by nbgrader, scored 0"))
                    problem = f"le fichier rendu {name} {costly[1]}"
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
                    self.zero_notebook(assignment, student, notebook)
                else:
                    yield Submitted(student, assignment, notebook, stand_in, problem)

    def stand_in_for(self, item: Submitted, problem: str) -> Submitted | None:
        """`item` replaced by the release notebook (see `_stand_in`), with the French `problem`."""
        filename = os.path.join(internals.submission_folder(self, item.assignment, item.student), item.notebook + ".ipynb")
        self.use_pass(sanitizing=True)
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
            self.zero_notebook(assignment, student, name)
        return names

    def _missing_notebooks(self, assignment: str, student: str) -> list[str]:
        present = {os.path.splitext(os.path.basename(f))[0] for f in self.notebooks}
        with Gradebook(self.coursedir.db_url, self.coursedir.course_id) as gb:
            return [nb.name for nb in gb.find_assignment(assignment).notebooks if nb.name not in present]

    def zero_notebook(self, assignment: str, student: str, notebook: str, remove: bool = True) -> None:
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
        dest = os.path.join(internals.autograded_folder(self, assignment, student), notebook + ".ipynb")
        if remove and os.path.exists(dest):
            os.remove(dest)

    def init_single_notebook_resources(self, notebook_filename: str):
        resources = super().init_single_notebook_resources(notebook_filename)
        if not internals.is_sanitizing(self):
            gd = resources["nbgrader"]
            resources["kit_decisions"] = self.decisions.get((gd["student"], gd["notebook"]), [])
            resources["kit_cells"] = self.outputs.get((gd["student"], gd["notebook"]), [])
        return resources

    def save(self, item: Submitted, decisions: list[dict], cells: list | None = None) -> None:
        """Phase 3: the sanitized notebook, with the student's outputs and the decisions written
        in, through nbgrader's save preprocessors (autograded/ and the gradebook)."""
        self.decisions = {(item.student, item.notebook): decisions}
        self.outputs = {(item.student, item.notebook): cells or []}
        self.use_pass(sanitizing=False)
        try:
            self._convert(item.path, item.sanitized)
        finally:
            self.use_pass(sanitizing=True)

    def finish(self, assignment: str, student: str) -> None:
        self.set_permissions(assignment, student)
        self.run_post_convert_hook()


def make_converter(course_dir: str, assignment: str, student: str | None = None) -> KitAutograde:
    """nbgrader's AutogradeApp configuration (nbgrader_config.py of the course root, --force,
    --create), and the kit's converter on it. Call with the course root as working folder."""
    argv = [assignment, "--force", "--create", f"--CourseDirectory.root={course_dir}"]
    if student:
        argv.append(f"--student={student}")
    from sqlalchemy.exc import SAWarning

    internals.check_versions()
    validate_schema_once()

    warnings.filterwarnings("ignore", category=SAWarning)   # nbgrader's own init_assignment triggers them
    app = AutogradeApp()
    app.initialize(argv)
    app.log_level = logging.ERROR   # the kit reports missing and unreadable notebooks itself
    app.coursedir.assignment_id = assignment
    converter = KitAutograde(coursedir=app.coursedir, parent=app)
    converter.prepare()
    return converter
