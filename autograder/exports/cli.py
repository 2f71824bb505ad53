"""`python -m autograder export moodle|canvas ...`: registered by `autograder.cli.build_parser`
through `add_export_commands`. Bad input raises `ExportError` (a RuntimeError): the command line
prints it and exits with status 2, and no file is written."""
from __future__ import annotations

import argparse
from pathlib import Path

from .lms import ExportError, read_class, read_mapping


def _say(text: str) -> None:
    print(text, flush=True)


def _warn(lines: list[str]) -> None:
    import sys

    for line in lines:
        print(f"warning: {line}", file=sys.stderr, flush=True)


def _load(args):
    cls = read_class(Path(args.course_dir), getattr(args, "assignment", None))
    mapping = read_mapping(Path(args.students), cls) if args.students else {}
    return cls, mapping


def _beside(source: Path, suffix: str) -> Path:
    return source.with_name(f"{source.stem}-{suffix}.csv")


def cmd_export_moodle(args) -> int:
    from . import moodle

    cls, mapping = _load(args)
    if args.worksheet:
        worksheet = Path(args.worksheet)
        output = Path(args.output) if args.output else _beside(worksheet, "filled")
        written = moodle.fill_worksheet(cls, mapping, worksheet, output, decimal=args.decimal, rescale=args.rescale,
                                        allow_unmatched=args.allow_unmatched, replace_feedback=args.replace_feedback)
        _warn(written.warnings)
        scale = f" (scaled by {written.factor:.6g})" if written.factor != 1 else ""
        _say(f"Wrote {written.path}: the grading worksheet with {written.students} grades in "
             f"{written.grade_column!r}{scale}" + (f" and their feedback in {written.feedback_column!r}"
                                                   if written.feedback_column else "")
             + (f"; {written.left} row(s) left as they were (see the warnings)" if written.left else "")
             + ". Upload it in the assignment: View all submissions > Grading action > Upload grading worksheet.")
        if written.feedback is not None:
            _say(_feedback_summary(written.feedback))
        return 0
    if args.rescale:
        raise ExportError("--rescale only applies to a worksheet (--worksheet): Moodle's gradebook import takes the "
                          "points as they are")
    if args.replace_feedback:
        raise ExportError("--replace-feedback only applies to a worksheet (--worksheet): the gradebook CSV is a new "
                          "file, with no comment to keep")
    output = Path(args.output) if args.output else \
        Path(args.course_dir).resolve() / "reports" / f"moodle-{cls.assignment}.csv"
    written = moodle.gradebook_csv(cls, mapping, output, identity=args.identity, decimal=args.decimal or ".")
    _say(f"Wrote {written.path}: {written.students} students, identity column {moodle.IDENTITIES[args.identity]!r}, "
         f"one column per notebook, {written.grade_column!r} and {written.feedback_column!r}. Import it in "
         "Moodle: Grades > Import > CSV file.")
    return 0


def _feedback_summary(counts) -> str:
    done = []
    if counts.added_after:
        done.append(f"kept the comment already there and added the kit's line after it for {counts.added_after} "
                    "student(s)")
    if counts.replaced:
        done.append(f"replaced the comment already there by the kit's line for {counts.replaced} student(s) "
                    "(--replace-feedback)")
    if counts.alone:
        done.append(f"wrote the kit's line alone for {counts.alone} student(s) (no comment there)")
    refreshed = (f"; the kit's line of an earlier export was replaced, not repeated, for {counts.refreshed} "
                 "student(s)") if counts.refreshed else ""
    return "Feedback comments: " + ("; ".join(done) or "none written") + refreshed + "."


def cmd_export_canvas(args) -> int:
    from . import canvas

    cls, mapping = _load(args)
    source = Path(args.gradebook)
    output = Path(args.output) if args.output else _beside(source, "filled")
    written = canvas.fill_gradebook(cls, mapping, source, output, explicit=args.column or [],
                                    new_columns=args.new_columns, decimal=args.decimal, rescale=args.rescale,
                                    allow_unmatched=args.allow_unmatched)
    _warn(written.warnings)
    columns = ", ".join(f"{c!r} ({t}{', new' if c in written.added else ''})" for c, t in written.columns.items())
    left = f"; {written.left} cell(s) left as Canvas wrote them (see the warnings)" if written.left else ""
    _say(f"Wrote {written.path}: {written.students} students, column(s) {columns}{left}. Import it in Canvas: "
         "Grades > Import.")
    return 0


def _common(p: argparse.ArgumentParser) -> None:
    # SUPPRESS: not given here, the command line's own --assignment (before `export`) stands
    p.add_argument("--assignment", default=argparse.SUPPRESS,
                   help="the nbgrader assignment (default: the command line's --assignment, else the only "
                        "one in the gradebook)")
    p.add_argument("--students", metavar="students.csv", default=None,
                   help="who is who when nbgrader's ids are not the LMS's: student_id (nbgrader's) and any of "
                        "email, username, idnumber, participant, canvas_id, sis_user_id, sis_login_id")
    p.add_argument("--output", metavar="FILE", default=None, help="where to write (written whole or not at all)")
    p.add_argument("--decimal", choices=(".", ","), default=None, metavar="./,",
                   help="decimal separator of the grades (default: the one the LMS's file uses, else '.')")
    p.add_argument("--allow-unmatched", action="store_true",
                   help="leave out, with a warning, students found on one side only (default: an error)")


def add_export_commands(sub) -> None:
    """`export moodle` and `export canvas`, under the command line's subcommands."""
    export = sub.add_parser("export", help="grades for Moodle or Canvas (docs/export-moodle-canvas.md)",
                            description="Grades and feedback from the gradebook, for Moodle or Canvas.")
    lms = export.add_subparsers(dest="lms", required=True, metavar="{moodle,canvas}")

    p = lms.add_parser("moodle", help="a CSV for Moodle's gradebook import, or Moodle's grading worksheet filled in",
                       description="Without --worksheet: a CSV for Moodle's gradebook (Grades > Import > CSV file). "
                                   "With --worksheet: the assignment's offline grading worksheet filled in, to "
                                   "upload back.")
    _common(p)
    p.add_argument("--worksheet", metavar="FILE", default=None,
                   help="the grading worksheet downloaded from the Moodle assignment (English or French)")
    p.add_argument("--identity", choices=("email", "username", "idnumber"), default="email",
                   help="gradebook CSV: the column Moodle recognises users by (default: email)")
    p.add_argument("--rescale", action="store_true",
                   help="worksheet: scale the totals to the assignment's Maximum grade when it differs")
    p.add_argument("--replace-feedback", action="store_true",
                   help="worksheet: replace the feedback comment already there by the kit's line (default: keep "
                        "it and add the kit's line after it)")
    p.set_defaults(func=cmd_export_moodle)

    p = lms.add_parser("canvas", help="a gradebook exported from Canvas, filled in, to import back",
                       description="A gradebook CSV exported from Canvas (Grades > Export), filled in with the "
                                   "gradebook's points, to import back (Grades > Import).")
    _common(p)
    p.add_argument("--gradebook", "--from", dest="gradebook", metavar="FILE", required=True,
                   help="the CSV exported from Canvas (Grades > Export > Export Entire Gradebook)")
    p.add_argument("--column", action="append", metavar="TITLE=TARGET",
                   help="fill Canvas's column TITLE with TARGET: 'total' or a notebook name (repeatable); "
                        "default: the columns titled like the assignment or a notebook")
    p.add_argument("--new-columns", choices=("total", "notebooks"), default="total",
                   help="when no column matches: add one column for the total (default) or one per notebook; "
                        "Canvas creates those assignments on import")
    p.add_argument("--rescale", action="store_true",
                   help="scale the points to a Canvas assignment's Points Possible when it differs")
    p.set_defaults(func=cmd_export_canvas)
