"""The command line: `python -m autograder COMMAND` (run from the course root)."""
from __future__ import annotations

import argparse
import re
import shutil
import sys
import time
from pathlib import Path

from .course import CourseError, load
from .courses import DEFAULT
from .nbgrader_cli import ROOT, nbgrader
from .nbgrader_settings import course_settings
from .service import add_service_commands


def _say(text: str) -> None:
    print(text, flush=True)


def _sample_class(assignment: str):
    """The course's sample class (its `sample_class` module), for the demo."""
    try:
        return load(assignment).part("sample_class")
    except ModuleNotFoundError:
        raise RuntimeError(f"the course {assignment} has no sample class (autograder/courses/{assignment}/"
                           "sample_class.py)") from None


def cmd_sample_class(args) -> int:
    ids = _sample_class(args.assignment).write_class(ROOT, Path(args.course_dir))
    _say(f"Wrote {len(ids)} sample submissions under {Path(args.course_dir) / 'submitted'}: {', '.join(ids)}")
    return 0


def _nbgrader_autograde(course_dir: Path, assignment: str, students: list[str]) -> None:
    total = len(students) * len(load(assignment).steps)
    done = [0]

    def progress(line: str) -> None:
        m = re.search(r"Autograding (.*/autograded/([^/]+)/[^/]+/([^/]+)\.ipynb)", line)
        if m:
            done[0] += 1
            _say(f"  [{done[0]:>3}/{total}] nbgrader autograde: {m[2]} / {m[3]}")
        elif ("[AutogradeApp | ERROR]" in line or "[AutogradeApp | WARNING]" in line) and "checksum" not in line:
            _say("  " + line.strip())

    nbgrader("autograde", assignment, "--force", "--create", root=course_dir, on_line=progress)


def cmd_demo(args) -> int:
    """The instructor's whole loop on the sample class: generate, autograde, feedback, export."""
    from .reports.table import format_table, read_scores

    assignment, course = args.assignment, load(args.assignment)
    sample = _sample_class(assignment)
    course_dir = Path(args.course_dir).resolve()
    settings = course_settings(course_dir)
    start = time.monotonic()
    if args.fresh:
        for name in ("submitted", "autograded", "feedback"):
            shutil.rmtree(course_dir / name, ignore_errors=True)
        if settings.sqlite_path is None:
            raise RuntimeError(f"the demo starts from an empty SQLite gradebook; this course's is {settings.shown_db()} "
                               "(pass --no-fresh to grade into it)")
        settings.sqlite_path.unlink(missing_ok=True)
    _say(f"1/6 nbgrader generate_assignment {assignment} (source/ -> release/, gradebook)")
    nbgrader("generate_assignment", assignment, "--force", root=course_dir)
    ids = sample.write_class(ROOT, course_dir)
    _say(f"2/6 sample class written: {len(ids)} students under submitted/")
    _say(f"3/6 autograding {len(ids)} students x {len(course.steps)} notebooks with {args.grader}")
    if args.grader == "nbgrader":
        _nbgrader_autograde(course_dir, assignment, ids)
    else:
        from .grader.autograde import autograde_class

        autograde_class(course_dir, assignment, jobs=args.jobs)
    _say("4/6 nbgrader generate_feedback (feedback/)")
    nbgrader("generate_feedback", assignment, "--force", root=course_dir)
    _say("5/6 nbgrader export (grades.csv)")
    nbgrader("export", root=course_dir)
    _say("6/6 feedback pages with curves, class summary, Gradescope files")
    _write_reports(course_dir, assignment)
    scores = read_scores(settings.db_url, assignment)
    _say("\n" + format_table(scores, course))
    expected = {s.id for s in sample.STUDENTS}
    missing = expected - set(scores)
    _say(f"\nGraded {len(scores)} students in {time.monotonic() - start:.0f} s. "
         f"Gradebook: {settings.shown_db()}; feedback: {course_dir / 'feedback'}; "
         f"grades: {course_dir / 'grades.csv'}")
    if missing:
        _say(f"Not graded: {', '.join(sorted(missing))}")
        return 1
    return 0


def _write_reports(course_dir: Path, assignment: str) -> None:
    from .reports.build import write_reports

    written = write_reports(course_dir, assignment)
    _say(f"  {len(written.pages)} student pages: {course_dir / 'feedback'}/<student>/{assignment}/resume.html")
    _say(f"  class summary: {written.summary}")
    _say(f"  {len(written.gradescope)} Gradescope files: {course_dir / 'reports' / 'gradescope'}"
         "/<student>/<notebook>/results.json")


def _need_gradebook(course_dir: Path) -> None:
    settings = course_settings(course_dir)
    if not settings.gradebook_exists():
        raise RuntimeError(f"no gradebook at {settings.shown_db()} (nbgrader's CourseDirectory.db_url of {course_dir}): "
                           "run nbgrader autograde (or `demo`) first")


def cmd_report(args) -> int:
    """Student pages, class summary and Gradescope files from an autograded course: read from the
    gradebook and the grading records (nothing is run again)."""
    course_dir = Path(args.course_dir).resolve()
    _need_gradebook(course_dir)
    _write_reports(course_dir, args.assignment)
    return 0


def cmd_export_gradescope(args) -> int:
    from .reports.build import export_gradescope

    course_dir = Path(args.course_dir).resolve()
    _need_gradebook(course_dir)
    paths = export_gradescope(course_dir, args.assignment)
    _say(f"{len(paths)} Gradescope files under {course_dir / 'reports' / 'gradescope'}")
    return 0


def cmd_table(args) -> int:
    from .reports.table import format_table, read_scores

    scores = read_scores(course_settings(Path(args.course_dir).resolve()).db_url, args.assignment)
    _say(format_table(scores, load(args.assignment)))
    return 0


def cmd_autograde(args) -> int:
    """The kit's fast isolated grader over submitted/, written as `nbgrader autograde` writes."""
    from .grader.autograde import autograde_class   # no nbgrader yet: the sandbox starts first

    course_dir = Path(args.course_dir).resolve()
    report = autograde_class(course_dir, args.assignment, student=args.student, jobs=args.jobs)
    from .grader.summary import summary

    _say(summary(course_dir, args.assignment, report))
    return 0


def cmd_grade(args) -> int:
    """One notebook, graded by the kit, written as Gradescope's results.json."""
    from .grader.single import grade_notebook

    return grade_notebook(Path(args.notebook), Path(args.results), Path(args.course_dir).resolve(), args.assignment)


def cmd_check_course(args) -> int:
    """Are the notebooks of source/ and the courses' packages consistent? Names each cell to fix."""
    from .check_course import check_course
    from .course import available

    root = Path(args.course_dir).resolve()
    problems = []
    for assignment in args.assignments or available():
        found = check_course(assignment, root)
        _say(f"{assignment}: " + ("consistent" if not found else f"{len(found)} problem(s)"))
        problems += found
    for problem in problems:
        _say(f"  {problem}")
    return 1 if problems else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__)
    parser.add_argument("--course-dir", default=None,
                        help="the nbgrader course root (default: the working folder when it holds nbgrader_config.py, "
                             "else this checkout)")
    parser.add_argument("--assignment", default=DEFAULT,
                        help=f"the assignment (a package of autograder/courses/; default: {DEFAULT})")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("demo", help="grade the sample class end to end and print the grade table")
    p.add_argument("--grader", choices=("nbgrader", "kit"), default="kit",
                   help="the kit's fast isolated grader (default), or nbgrader autograde itself")
    p.add_argument("--jobs", type=int, default=2, help="notebooks graded at once by the kit's grader")
    p.add_argument("--no-fresh", dest="fresh", action="store_false",
                   help="keep the gradebook and folders of an earlier run")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("sample-class", help="write the sample class under submitted/")
    p.set_defaults(func=cmd_sample_class)

    p = sub.add_parser("autograde", help="grade submitted/ with the kit's fast isolated grader (nbgrader's gradebook)")
    p.add_argument("assignment", help="the assignment id (a package of autograder/courses/)")
    p.add_argument("--student", default=None, help="grade this student only")
    p.add_argument("--jobs", type=int, default=2, help="notebooks graded at once (sandboxed workers)")
    p.set_defaults(func=cmd_autograde)

    p = sub.add_parser("grade", help="grade one notebook into a Gradescope results.json")
    p.add_argument("notebook", help="the student's notebook (.ipynb)")
    p.add_argument("--results", default="results.json", help="where to write results.json")
    p.set_defaults(func=cmd_grade)

    p = sub.add_parser("report", help="feedback pages with curves, class summary and Gradescope files")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("export-gradescope", help="one Gradescope results.json per student and notebook")
    p.set_defaults(func=cmd_export_gradescope)

    p = sub.add_parser("check-course", help="check that source/ and the courses' checks are consistent")
    p.add_argument("assignments", nargs="*", help="assignments to check (default: every course)")
    p.set_defaults(func=cmd_check_course)

    p = sub.add_parser("table", help="print the grade table of the gradebook")
    p.set_defaults(func=cmd_table)
    from .exports.gradescope_bundle import add_subcommand as add_gradescope_bundle
    add_gradescope_bundle(sub)
    add_service_commands(sub)
    from .deployment.doctor import add_subcommand as add_doctor
    add_doctor(sub)
    from .exports.cli import add_export_commands   # export moodle | export canvas
    add_export_commands(sub)
    from .lti.cli import add_lti_commands   # lti keys | jwks | status | push
    add_lti_commands(sub)
    return parser


def default_course_dir() -> Path:
    """The working folder when it is a course root (it holds nbgrader_config.py), else this checkout."""
    return Path.cwd().resolve() if (Path.cwd() / "nbgrader_config.py").is_file() else ROOT


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.course_dir is None:
        args.course_dir = str(default_course_dir())
    try:
        return args.func(args)
    except (RuntimeError, CourseError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
