"""nbgrader's own Gradebook, opened once for the run instead of once per `with` block.

nbgrader's autograde opens a `Gradebook` about six times per notebook (each one a new engine,
a schema check, a course check, a connection) and commits once per cell. In the kit's process,
while `run_gradebooks()` is active, every `Gradebook(url, course)` that nbgrader's preprocessors
and converter create is one `RunGradebook` per (url, course): nbgrader's class, same queries,
same rows, where

- an outermost `with gradebook:` block is one transaction (committed when the block ends,
  rolled back if it raises): the per-cell `commit()` calls inside it wait for its end;
- the source cells of the assignment, which autograde never changes, are read once, as
  read-only snapshots of their columns (`find_source_cell`, `find_graded_cell`);
- inside a block, `find_grade` and `find_comment` (SaveAutoGrades calls one per cell) are served
  from one query per submitted notebook that loads all its Grade (Comment) rows through
  nbgrader's (cell_id, notebook_id) index: the same session objects nbgrader's query returns,
  kept until the block ends; a name not among them is left to nbgrader's method (which raises
  MissingEntry as before);
- SQLite runs in WAL mode with `synchronous=NORMAL` during the run (a commit does not wait for
  the disk; the database stays consistent after a crash), put back in rollback-journal mode,
  nbgrader's, at the end.
"""
from __future__ import annotations

import contextlib
import sqlite3
from types import SimpleNamespace

from sqlalchemy import create_engine, event, inspect

from nbgrader.api import (Assignment, BaseCell, Comment, Grade, Gradebook, Notebook, SubmittedAssignment,
                          SubmittedNotebook)

from .nbgrader_internals import gradebook_rebound


class _DeferredCommits:
    """The gradebook's session as nbgrader's code sees it: `commit()` inside a block waits for
    the block's end (queries still see the pending changes: the session flushes before each)."""

    def __init__(self, gradebook: "RunGradebook"):
        self._gradebook = gradebook

    def commit(self) -> None:
        if not self._gradebook.depth:
            self._gradebook.session.commit()

    def __getattr__(self, name):
        return getattr(self._gradebook.session, name)


class RunGradebook(Gradebook):
    def __init__(self, db_url: str, course_id: str = "default_course", authenticator=None):
        super().__init__(db_url, course_id, authenticator)
        self.session, self.depth = self.db, 0
        self.db = _DeferredCommits(self)
        self._snapshots: dict = {}
        self._rows: dict = {}      # per block: the submitted notebook's id, its Grade and Comment rows by cell

    def __enter__(self) -> "RunGradebook":
        self.depth += 1
        return self

    def __exit__(self, exc_type, exc_value, traceback) -> None:
        self.depth -= 1
        if self.depth == 0:
            self._rows.clear()
            if exc_type is not None:
                self.session.rollback()
                return
            try:
                self.session.commit()
            except Exception:
                self.session.rollback()   # the next block starts clean: one notebook's failure stays its own
                raise

    def close(self) -> None:
        if self.depth == 0:
            self.session.remove()

    def find_source_cell(self, name: str, notebook: str, assignment: str):
        return self._snapshot("source", super().find_source_cell, name, notebook, assignment)

    def find_graded_cell(self, name: str, notebook: str, assignment: str):
        return self._snapshot("graded", super().find_graded_cell, name, notebook, assignment)

    def find_grade(self, grade_cell: str, notebook: str, assignment: str, student: str):
        return self._in_notebook(Grade, ("GradeCell", "TaskCell"), super().find_grade,
                                 grade_cell, notebook, assignment, student)

    def find_comment(self, solution_cell: str, notebook: str, assignment: str, student: str):
        return self._in_notebook(Comment, ("SolutionCell", "TaskCell"), super().find_comment,
                                 solution_cell, notebook, assignment, student)

    def _in_notebook(self, model, cell_types: tuple, find, name: str, *submission):
        """The `model` row of cell `name` in a submitted notebook, from one query per notebook and
        block over the cell types nbgrader's `find` looks in (the first type wins a shared name).
        The query names the submitted notebook and its cells, so that SQLite reads the rows
        through nbgrader's unique (cell_id, notebook_id) index instead of scanning the table."""
        if not self.depth:
            return find(name, *submission)
        key = (model, *submission)
        if key not in self._rows:
            notebook, assignment, student = submission
            cells = self._cells(notebook, assignment, cell_types)
            if ("submitted", *submission) not in self._rows:
                self._rows[("submitted", *submission)] = self.session.query(SubmittedNotebook.id) \
                    .join(Notebook, Notebook.id == SubmittedNotebook.notebook_id) \
                    .join(SubmittedAssignment, SubmittedAssignment.id == SubmittedNotebook.assignment_id) \
                    .join(Assignment, Assignment.id == SubmittedAssignment.assignment_id) \
                    .filter(Notebook.name == notebook, Assignment.name == assignment,
                            SubmittedAssignment.student_id == student).scalar()
            submitted = self._rows[("submitted", *submission)] if cells else None
            rows = [] if submitted is None else self.session.query(model).filter(
                model.notebook_id == submitted, model.cell_id.in_(list(cells)))
            found = sorted(((cells[row.cell_id], row) for row in rows),
                           key=lambda pair: pair[0][1] == cell_types[0])   # nbgrader's first choice last: it wins
            self._rows[key] = {cell_name: row for (cell_name, _), row in found}
        row = self._rows[key].get(name)
        return row if row is not None else find(name, *submission)

    def _cells(self, notebook: str, assignment: str, cell_types: tuple) -> dict:
        """{cell id: (name, type)} of the assignment notebook's cells of these types, read once."""
        key = ("cells", notebook, assignment, cell_types)
        if key not in self._snapshots:
            self._snapshots[key] = {cell_id: (cell_name, cell_type) for cell_id, cell_name, cell_type in
                                    self.session.query(BaseCell.id, BaseCell.name, BaseCell.type)
                                    .join(Notebook, Notebook.id == BaseCell.notebook_id)
                                    .join(Assignment, Assignment.id == Notebook.assignment_id)
                                    .filter(Notebook.name == notebook, Assignment.name == assignment,
                                            BaseCell.type.in_(cell_types))}
        return self._snapshots[key]

    def _snapshot(self, kind: str, find, *key):
        """The columns of a row that autograde only reads, fetched once (a miss is not cached)."""
        if (kind, *key) not in self._snapshots:
            row = find(*key)
            columns = {c.key: getattr(row, c.key) for c in inspect(row).mapper.column_attrs}
            self._snapshots[(kind, *key)] = SimpleNamespace(**columns)
        return self._snapshots[(kind, *key)]


@contextlib.contextmanager
def run_gradebooks(db_url: str):
    """While active, nbgrader's `Gradebook(...)` in this process is the run's `RunGradebook`."""
    opened: dict[tuple, RunGradebook] = {}
    engines: dict = {}

    def shared_engine(url, **kwargs):
        key = (str(url), tuple(sorted(kwargs.items())))
        if key not in engines:
            engine = engines[key] = create_engine(url, **kwargs)
            if engine.dialect.name == "sqlite":
                event.listen(engine, "connect", _fast_commits)
        return engines[key]

    def gradebook(url: str, course_id: str = "default_course", authenticator=None) -> RunGradebook:
        if (url, course_id) not in opened:
            opened[(url, course_id)] = RunGradebook(url, course_id, authenticator)
        return opened[(url, course_id)]

    try:
        with gradebook_rebound(gradebook, shared_engine):
            yield
    finally:
        for gb in opened.values():
            gb.depth = 0
            gb.close()
        for engine in engines.values():
            engine.dispose()
        _restore_journal(db_url)


def _fast_commits(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _restore_journal(db_url: str) -> None:
    if db_url.startswith("sqlite:///"):
        with sqlite3.connect(db_url.removeprefix("sqlite:///")) as db:
            db.execute("PRAGMA journal_mode=DELETE")
