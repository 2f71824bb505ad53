"""nbgrader's feedback for one submission, its notebooks converted at once in a few warm processes.

Each process holds nbgrader's `GenerateFeedback` converter (what `nbgrader generate_feedback`
runs: autograded/ -> feedback/<student>/<assignment>/<notebook>.html with nbgrader's feedback
template, and the submission's timestamp.txt and secret beside them, which release_feedback
reads), with three changes that keep what is written the same:

- its HTML exporter is built once per process (nbgrader builds one per run, and compiling
  nbconvert's templates costs about as much as converting a notebook);
- nbconvert's HTML exporter ends with `alt_text_added` (grader/nbgrader_internals.py) in
  place of its BeautifulSoup pass, which parses the ~200 kB page and writes it out again for
  two attributes: the same page once parsed, in a third of the time;
- a notebook is converted on its own (`--notebook`), several of a submission at once, so the
  files nbgrader copies beside the pages are written under a temporary name and renamed.

serve clears the student's feedback folder first, as `--force` does for a whole assignment.
"""
from __future__ import annotations

import logging
import multiprocessing
import os
import shutil
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

from ..grader.nbgrader_internals import feedback_html_exporter_class

_MASKED: tuple[set, str] = (set(), "")   # the page being made: the test cells whose message it hides, and the note


def _hide_hidden_messages_class():
    from nbconvert.preprocessors import Preprocessor

    class HideHiddenMessages(Preprocessor):
        """The policy `hidden_messages_before_deadline = False` (service/policy.py): in the page,
        each masked test cell's error says that it failed, not the check's message."""

        def preprocess_cell(self, cell, resources, index):
            masked, note = _MASKED
            if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("grade_id") in masked:
                for output in cell.get("outputs", []):
                    if output.get("output_type") == "error":
                        output["evalue"] = note
                        output["traceback"] = [f"{output.get('ename', 'AssertionError')}: {note}"]
            return cell, resources

    return HideHiddenMessages


def _grades_read_at_once_class():
    from nbgrader.api import Comment, Gradebook, Grade
    from nbgrader.preprocessors import GetGrades
    from sqlalchemy.orm import joinedload, undefer

    class GradesReadAtOnce(GetGrades):
        """nbgrader's GetGrades (each graded cell's score and points, each answer cell's comment,
        the notebook's score), with the notebook's grades and comments read in two queries
        instead of two per cell, from a gradebook opened once per process (a transaction of its
        own per page): from 58 to about 15 ms of a page's 100."""
        gradebooks: dict = {}

        def preprocess(self, nb, resources):
            about = resources["nbgrader"]
            self.notebook_id, self.assignment_id = about["notebook"], about["assignment"]
            self.student_id, self.db_url = about["student"], about["db_url"]
            if self.db_url not in self.gradebooks:
                self.gradebooks[self.db_url] = Gradebook(self.db_url)
            self.gradebook = self.gradebooks[self.db_url]
            try:
                notebook = self.gradebook.find_submission_notebook(self.notebook_id, self.assignment_id,
                                                                   self.student_id)
                db = self.gradebook.db
                self._grades = {g.cell.name: g for g in db.query(Grade).options(
                    joinedload(Grade.cell), undefer(Grade.max_score)).filter(Grade.notebook_id == notebook.id)}
                self._comments = {c.cell.name: c for c in db.query(Comment).options(
                    joinedload(Comment.cell)).filter(Comment.notebook_id == notebook.id)}
                nb, resources = super(GetGrades, self).preprocess(nb, resources)   # the cells, as GetGrades does
                late_penalty = notebook.late_submission_penalty
                if late_penalty is None:
                    late_penalty = 0
                else:
                    self.log.warning("Late submission penalty: {}".format(late_penalty))
                about["score"] = notebook.score - late_penalty
                about["max_score"] = notebook.max_score
                about["late_penalty"] = late_penalty
            finally:
                self.gradebook.db.close()   # the page's transaction: the next page reads what serve wrote since
            return nb, resources

        def _get_comment(self, cell, resources):
            comment = self._comments.get(cell.metadata["nbgrader"]["grade_id"])
            if comment is None:
                return super()._get_comment(cell, resources)   # nbgrader's query, and its error
            cell.metadata.nbgrader["comment"] = comment.comment

        def _get_score(self, cell, resources):
            grade = self._grades.get(cell.metadata["nbgrader"]["grade_id"])
            if grade is None:
                return super()._get_score(cell, resources)
            cell.metadata.nbgrader["score"] = grade.score
            cell.metadata.nbgrader["points"] = grade.max_score

    return GradesReadAtOnce


def _converter_class():
    from nbconvert.writers import FilesWriter
    from nbgrader.converters import GenerateFeedback
    from nbgrader.utils import find_all_files

    class WarmGenerateFeedback(GenerateFeedback):
        def start(self) -> None:
            """BaseConverter.start with the writer and exporter of the first call kept."""
            self.init_notebooks()
            if getattr(self, "_warm", None) is None:
                self.writer = FilesWriter(parent=self, config=self.config)
                self.exporter = self.exporter_class(parent=self, config=self.config)
                for pp in self.preprocessors:
                    self.exporter.register_preprocessor(pp)
                self._warm = self.exporter
            self.exporter = self._warm
            here = os.getcwd()
            os.chdir(self.coursedir.root)
            try:
                self.convert_notebooks()
            finally:
                os.chdir(here)

        def init_assignment(self, assignment_id: str, student_id: str) -> None:
            """nbgrader's: the submission's other files copied beside the pages, each written
            beside the folder under a temporary name, then renamed over (other processes
            convert the submission's other notebooks at the same time)."""
            source = self._format_source(assignment_id, student_id)
            dest = self._format_dest(assignment_id, student_id)
            for filename in find_all_files(source, self.coursedir.ignore + ["*.ipynb"]):
                path = os.path.join(dest, os.path.relpath(filename, source))
                os.makedirs(os.path.dirname(path), exist_ok=True)
                temporary = os.path.join(os.path.dirname(dest), f".{os.path.basename(path)}.{os.getpid()}.tmp")
                shutil.copy(filename, temporary)
                os.replace(temporary, path)

    return WarmGenerateFeedback


_CONVERTERS: dict = {}   # assignment: its warm converter, in this feedback process
_COURSE_DIR = ""


def _start(course_dir: str, assignments: list[str]) -> None:
    """In each feedback process: nbgrader's configuration of the course and a warm converter for
    each assignment known at start (others are made at their first page)."""
    global _COURSE_DIR
    _COURSE_DIR = course_dir
    for assignment in assignments:
        _converter(assignment)


def _converter(assignment: str):
    """nbgrader's GenerateFeedback converter for the assignment, configured as `nbgrader
    generate_feedback` would be (the course's nbgrader_config.py), its templates compiled."""
    if assignment in _CONVERTERS:
        return _CONVERTERS[assignment]
    from nbgrader.apps import GenerateFeedbackApp

    app = GenerateFeedbackApp()
    app.initialize([assignment, "--force", f"--CourseDirectory.root={_COURSE_DIR}"])
    app.log_level = logging.ERROR   # nbconvert warns on each page about images without alternative text
    app.coursedir.assignment_id = assignment
    converter = _converter_class()(coursedir=app.coursedir, parent=app)
    converter.force = True
    converter.post_convert_hook = None   # the kit's summary page: once per submission, not after each page
    converter.exporter_class = feedback_html_exporter_class()
    exporter = converter.exporter_class(parent=converter, config=converter.config)
    release = sorted(Path(app.coursedir.format_path(app.coursedir.release_directory, ".", assignment)).glob("*.ipynb"))
    if release:   # a first page, not written: nbconvert's templates, filters and highlighter warmed up
        try:          # (it stops where the template wants the grades GetGrades would have read)
            exporter.from_filename(str(release[0]), resources={"nbgrader": {
                "notebook": release[0].stem, "score": 0, "max_score": 0, "late_penalty": 0}})
        except Exception:  # noqa: BLE001
            pass
    converter._warm = exporter
    from nbgrader.preprocessors import GetGrades
    from traitlets.utils.importstring import import_item

    from ..hidden_tests import HideHiddenTests

    grades = _grades_read_at_once_class()
    preprocessors = [import_item(pp) if isinstance(pp, str) else pp for pp in converter.preprocessors]
    if not any(isinstance(pp, type) and issubclass(pp, HideHiddenTests) for pp in preprocessors):
        preprocessors.insert(1, HideHiddenTests)   # whatever the course's config says: students never see them
    converter.preprocessors = [grades if pp is GetGrades else pp for pp in preprocessors]
    for pp in converter.preprocessors:
        exporter.register_preprocessor(pp)
    exporter.register_preprocessor(_hide_hidden_messages_class(), enabled=True)
    from nbconvert.writers import FilesWriter

    converter.writer = FilesWriter(parent=converter, config=converter.config)
    _CONVERTERS[assignment] = converter
    return converter


def _convert(assignment: str, student: str, notebook: str, masked: set | None = None, note: str = "") -> str:
    """`nbgrader generate_feedback ASSIGNMENT --student S --notebook N --force`: the page's path
    (the messages of the `masked` test cells replaced by `note`)."""
    global _MASKED
    _MASKED = (set(masked or ()), note)
    converter = _converter(assignment)
    coursedir = converter.coursedir
    coursedir.student_id, coursedir.notebook_id = student, notebook
    converter.start()
    path = os.path.join(converter._format_dest(coursedir.assignment_id, student), notebook + ".html")
    if not os.path.isfile(path):
        raise RuntimeError(f"nbgrader wrote no feedback for {student}/{notebook}")
    return path


def _summary(assignment: str, student: str, masked: set, note: str) -> str | None:
    """The kit's summary page (resume.html) beside nbgrader's pages, the `masked` (notebook, check)
    messages replaced by `note`; its path, None for an assignment without a course package."""
    from ..reports.feedback_pages import write_student_summary

    path = write_student_summary(Path(_COURSE_DIR), assignment, student, masked, note)
    return None if path is None else str(path)


class FeedbackPool:
    def __init__(self, course_dir: Path, assignments: list[str], processes: int):
        self.course_dir = Path(course_dir)
        # spawn: serve has threads (the watcher, the pipeline); a forked child would inherit their locks
        self.executor = ProcessPoolExecutor(max_workers=max(1, processes),
                                            mp_context=multiprocessing.get_context("spawn"),
                                            initializer=_start, initargs=(str(course_dir), list(assignments)))
        self.warm = [self.executor.submit(os.getpid) for _ in range(max(1, processes))]

    def clear(self, assignment: str, student: str) -> None:
        """Before a submission's first page: its feedback folder emptied, as nbgrader's --force does."""
        dest = self.course_dir / "feedback" / student / assignment
        if dest.exists():
            shutil.rmtree(dest)
        dest.mkdir(parents=True)

    def page(self, assignment: str, student: str, notebook: str, masked: set | None = None, note: str = "") -> Future:
        """One notebook's page, in one of the processes (the `masked` test cells' messages
        replaced by `note`)."""
        return self.executor.submit(_convert, assignment, student, notebook, masked or set(), note)

    def summary(self, assignment: str, student: str, masked: set, note: str) -> Future:
        """The kit's summary page of a submission whose nbgrader pages are written."""
        return self.executor.submit(_summary, assignment, student, masked, note)

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)
