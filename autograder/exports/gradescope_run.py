"""What Gradescope's `run_autograder` runs for each submission (see gradescope_bundle.py):

    python -m autograder.exports.gradescope_run --root /autograder

1. Finds the assignment's notebooks in `<root>/submission`, under their names, at any depth or
   inside a zip (`.ipynb_checkpoints/` and `__MACOSX/` skipped; the copy nearest the top wins),
   never through a symbolic link.
2. Grades them with the kit's own grader, exactly as `python -m autograder autograde` grades a
   student: a private copy of the bundled course (`/autograder/source` is an nbgrader course
   root: `nbgrader_config.py`, `gradebook.db`, `source/`, `release/`) gets the notebooks under
   `submitted/<student>/<assignment>/`, then `autograde_class` (nbgrader's sanitize pass, the
   sandbox, the hidden checks) and the points and French messages are read back as
   `export-gradescope` reads them (`reports.outcomes` + `reports.gradescope_export`). A missing
   notebook scores 0 on each of its tests, with the kit's French message. Same code, same scores.
3. Writes ONE `<root>/results/results.json` in Gradescope's format (`reports.gradescope`).

Isolation, tried in this order unless `KIT_ISOLATION` forces one: "bwrap" (the kit's bubblewrap
sandbox), "runuser" (bubblewrap cannot create namespaces in this container: the sandbox's warm
parent and every student process run as the unprivileged user `KIT_SANDBOX_USER`, default
`student`, under the kit's rlimits; `<root>` is readable by root only), then "none" only if the
bundle was built with `--allow-unisolated` (`bundle.json`): the students are then told, in the
results they see, that their code ran without isolation. Without it, where no sandbox starts, no
notebook is run: every test scores 0, the students read in French that grading could not be
isolated and their teacher must act, the instructor reads why and what to do ("refused").
Which isolation was used goes to the instructor: the run's stdout (`stdout_visibility: hidden`)
and `extra_data`.

`--selftest` grades the instructor's notebooks (setup.sh runs it once) and fails unless they get
every point.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import traceback
import zipfile
from pathlib import Path

from ..course import Step, load
from ..grader import single as grader_single
from ..grader.single import test_points
from ..reports.gradescope import results_json
from ..sandbox import Limits
from ..sandbox.pool import bwrap_path

MODES = ("bwrap", "runuser", "none")
STUDENT = grader_single.STUDENT                        # the student's id in the private course
MAX_NOTEBOOK_BYTES = 256 * 1024**2
SKIPPED_DIRS = {"__MACOSX", ".ipynb_checkpoints"}
COURSE_DIR = Path(__file__).resolve().parents[2]       # /autograder/source: the bundled course


def say(text: str = "") -> None:
    """The run's stdout: Gradescope shows it to the instructor only (stdout_visibility hidden)."""
    print(text, flush=True)


def _bundle() -> dict:
    try:
        info = json.loads((COURSE_DIR / "bundle.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return info if isinstance(info, dict) else {}


def bundled_assignment() -> str:
    """The assignment the bundle was built for (bundle.json), else KIT_ASSIGNMENT."""
    assignment = _bundle().get("assignment")
    if isinstance(assignment, str) and assignment:
        return assignment
    from ..courses import DEFAULT

    return os.environ.get("KIT_ASSIGNMENT", DEFAULT)


def unisolated_allowed() -> bool:
    """Whether the instructor built the bundle with --allow-unisolated."""
    return _bundle().get("allow_unisolated") is True


# --- the submission -----------------------------------------------------------------------

def _read_regular(path: Path) -> bytes:
    """A regular file's bytes, never through a symbolic link, a pipe or a device."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise OSError("not a regular file")
        if info.st_size > MAX_NOTEBOOK_BYTES:
            raise OSError(f"larger than {MAX_NOTEBOOK_BYTES >> 20} MiB")
        with os.fdopen(fd, "rb", closefd=False) as f:
            return f.read(MAX_NOTEBOOK_BYTES + 1)
    finally:
        os.close(fd)


def _candidates(submission: Path) -> list[tuple[str, str, object]]:
    """(shown name, file name, source) for every .ipynb handed in: a path, or (zip, member)."""
    found = []
    if not submission.is_dir():
        return found
    for folder, dirs, files in os.walk(submission, followlinks=False):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS)
        for name in sorted(files):
            path = Path(folder) / name
            shown = path.relative_to(submission).as_posix()
            if name.lower().endswith(".ipynb"):
                found.append((shown, name, path))
            elif name.lower().endswith(".zip") and not path.is_symlink() and path.is_file():
                try:
                    with zipfile.ZipFile(path) as zf:
                        for info in zf.infolist():
                            parts = info.filename.replace("\\", "/").split("/")
                            if parts[-1].lower().endswith(".ipynb") and not info.is_dir() \
                                    and not set(parts) & SKIPPED_DIRS:
                                found.append((f"{shown}:{info.filename}", parts[-1], (path, info)))
                except (zipfile.BadZipFile, OSError, ValueError):
                    say(f"  {shown}: not a readable zip, ignored")
    return sorted(found, key=lambda c: (c[0].count("/") + c[0].count(":"), ":" in c[0], c[0]))


def _load(source) -> bytes:
    if isinstance(source, Path):
        return _read_regular(source)
    path, info = source
    if info.file_size > MAX_NOTEBOOK_BYTES:
        raise OSError(f"larger than {MAX_NOTEBOOK_BYTES >> 20} MiB")
    with zipfile.ZipFile(path) as zf, zf.open(info) as f:
        return f.read(MAX_NOTEBOOK_BYTES + 1)


def find_notebooks(steps: dict[str, Step], submission: Path) -> tuple[dict[str, bytes], list[str]]:
    """({file name of a step: the student's notebook}, French notes for the student on files
    that were not graded). As nbgrader, only the assignment's file names count."""
    wanted = {s.filename for s in steps.values()}
    found: dict[str, bytes] = {}
    notes: list[str] = []
    renamed: list[tuple[str, str]] = []
    for shown, name, source in _candidates(submission):
        if name not in wanted:
            close = [w for w in sorted(wanted) if w.lower() == name.lower() or name.startswith(w[:-len(".ipynb")])]
            renamed += [(shown, close[0])] if close else []
            say(f"  {shown}: not a notebook name of the assignment, ignored")
            continue
        if name in found:
            say(f"  {shown}: another {name} was taken first, ignored")
            continue
        try:
            found[name] = _load(source)
            say(f"  {name}: {shown}")
        except (OSError, zipfile.BadZipFile, ValueError, EOFError) as exc:
            notes.append(f"le fichier « {shown} » n'a pas pu être lu ({exc}) : rends un notebook ordinaire")
            say(f"  {shown}: cannot be read ({exc}): not graded")
    notes += [f"le fichier « {shown} » n'est pas corrigé : renomme-le {name}" for shown, name in renamed
              if name not in found]
    return found, notes


# --- isolation ----------------------------------------------------------------------------

def _bwrap_problem() -> str:
    path = shutil.which("bwrap") or ("/usr/bin/bwrap" if os.path.exists("/usr/bin/bwrap") else None)
    if path is None:
        return "bubblewrap is not installed"
    probe = subprocess.run([path, "--unshare-net", "--ro-bind", "/", "/", "true"], capture_output=True, text=True)
    return f"bubblewrap cannot create its namespaces here ({probe.stderr.strip()[:200] or probe.returncode})"


def _runuser_problem(user: str) -> str | None:
    import pwd

    if os.getuid() != 0 or not shutil.which("runuser"):
        return "needs root and util-linux's runuser"
    try:
        if pwd.getpwnam(user).pw_uid == 0:
            return f"{user!r} is root"
    except KeyError:
        return f"no user {user!r}"
    probe = subprocess.run(["runuser", "-u", user, "--", sys.executable, "-c", "pass"], capture_output=True,
                           text=True, timeout=60)
    if probe.returncode != 0:
        return f"{user!r} cannot run {sys.executable}: {probe.stderr.strip()[:200]}"
    return None


def isolation_problem(mode: str, user: str) -> str | None:
    """Why this machine cannot give `mode` (a cheap probe), or None."""
    if mode == "bwrap":
        return None if bwrap_path() else _bwrap_problem()
    return _runuser_problem(user) if mode == "runuser" else None


def isolation_line(mode: str, user: str, limits: Limits, tried: list[str], root: Path) -> str:
    rlimits = (f"rlimits CPU {limits.cpu_seconds} s, memory {limits.memory_bytes >> 30} GiB, files "
               f"{limits.file_bytes >> 20} MiB, {limits.processes} processes, wall {limits.wall_seconds:g} s")
    if mode == "bwrap":
        what = ("bubblewrap sandbox: no network, own PID/IPC/mount namespaces, nothing of the kit mounted; each "
                f"notebook in a fresh child under a uid of its own; {rlimits}")
    elif mode == "runuser":
        import pwd

        what = (f"no namespaces; the sandbox and every student process run as the unprivileged user '{user}' "
                f"(uid {pwd.getpwnam(user).pw_uid}); {rlimits}")
    elif mode == "none":
        what = (f"NO isolation but a separate process; children drop to uid 61000 when the grader is root; {rlimits}; "
                "allowed by this bundle (--allow-unisolated), and the student is told")
    elif mode == "refused":
        what = ("no sandbox could start and this bundle does not allow grading without isolation: no notebook was "
                "run, every test scored 0. ACTION NEEDED: make bubblewrap or the unprivileged user "
                f"'{user}' work in the image (setup.sh's output says why they do not), or rebuild the bundle "
                "with `python -m autograder gradescope-bundle --allow-unisolated` and upload it; then Regrade "
                "All Submissions")
    else:
        what = "no sandbox could be started: no notebook was run"
    private = stat.S_IMODE(root.stat().st_mode) & 0o077 == 0
    line = f"Isolation: {mode} ({what}). {root} is {'readable by root only' if private else 'NOT private'}."
    return line + (f" Not used: {'; '.join(tried)}." if tried else "")


# --- grading ------------------------------------------------------------------------------

def private_course(assignment: str, notebooks: dict[str, bytes]) -> Path:
    """A copy of the bundled course with the student's notebooks under submitted/ (root only)."""
    return grader_single.private_course(COURSE_DIR, assignment, notebooks, STUDENT)


def _zeros(step: Step, message: str) -> list[dict]:
    """Each test of a notebook that was not graded: 0 out of its points, with the French reason."""
    source_nb = json.loads((COURSE_DIR / "source" / step.assignment / step.filename).read_text(encoding="utf-8"))
    return [{"name": f"{step.name}: {gid}", "score": 0.0, "max_score": pts, "output": message}
            for gid, pts in test_points(source_nb).items()]


def grade_with_kit(assignment: str, steps: dict[str, Step],
                   notebooks: dict[str, bytes]) -> tuple[list[dict], list[str], str | None]:
    """(Gradescope's tests, English lines for the instructor, why the sandbox never worked if no
    notebook could be run at all): `python -m autograder autograde` on this one student, read back
    as `export-gradescope` reads a graded class."""
    from ..grader.autograde import autograde_class
    from ..reports.gradescope_export import notebook_checks
    from ..reports.outcomes import class_outcomes

    course = private_course(assignment, notebooks)
    try:
        report = autograde_class(course, assignment, student=STUDENT, jobs=1, stream=io.StringIO())
        lines = [f"  {g.notebook}: {g.problem}" for g in report.graded if g.problem]
        lines += [f"  {s.notebook}: {s.reason}" for s in report.skipped if getattr(s, "reason", None)]
        runs = [g for g in report.graded if g.problem_code != "not_read"]    # notebooks sent to the sandbox
        unstarted = runs[0].problem if runs and all(g.problem_code == "sandbox_failed" for g in runs) else None
        outcomes = {o.step.name: o for o in class_outcomes(course, assignment, [STUDENT])[STUDENT]}
        checks = []
        for name, step in steps.items():
            checks += notebook_checks(outcomes[name]) if name in outcomes and outcomes[name].checks else \
                _zeros(step, "Ce notebook n'a pas pu être corrigé (préviens ton enseignant).")
        return checks, lines, unstarted
    finally:
        shutil.rmtree(course, ignore_errors=True)


# What students read when their code could not be run (French), by isolation.
NOT_RUN = {
    "refused": ("La correction n'a pas pu être isolée de ton code sur Gradescope : aucun point n'est donné pour "
                "l'instant. Ton enseignant doit intervenir, puis ta copie sera corrigée à nouveau."),
    "failed": "Le correcteur n'a pas pu exécuter le notebook (préviens ton enseignant).",
}
UNISOLATED = ("ton code a été exécuté sans isolation (hors du bac à sable habituel du correcteur), comme ton "
              "enseignant l'a autorisé pour ce devoir")


def _summary(steps: dict[str, Step], results: dict, notebooks: dict, notes: list[str]) -> str:
    """The French text every student sees at the top of the results."""
    parts = []
    for name, step in steps.items():
        mine = [t for t in results["tests"] if t["name"].startswith(f"{name}: ")]
        got, most = sum(t["score"] for t in mine), sum(t["max_score"] for t in mine)
        parts.append(f"{step.filename} : " + (f"{got:g}/{most:g}" if step.filename in notebooks
                                               else f"absent (0/{most:g})"))
    most = sum(t["max_score"] for t in results["tests"])
    text = f"Total : {results['score']:g}/{most:g}. " + " ; ".join(parts) + "."
    return text + "".join(f"\nAttention : {note}." for note in notes)


def run(root: Path, forced: str | None, user: str, assignment: str) -> dict:
    start = time.monotonic()
    steps = load(assignment).steps
    limits = Limits()
    try:
        os.chmod(root, 0o700)         # run_autograder did it too: the student's code never reads it
    except OSError as exc:
        say(f"warning: cannot make {root} private: {exc}")
    say(f"Kit: {_bundle_info()} (grader {Path(__file__).resolve().parents[1]})")
    say(f"Submission ({root / 'submission'}):")
    notebooks, notes = find_notebooks(steps, root / "submission")
    checks, lines, tried, used = None, [], [], "failed"
    modes = [forced] if forced else list(MODES)
    refused = "none" in modes and not unisolated_allowed()
    if refused:   # never a score without isolation unless the instructor said so when building the bundle
        modes.remove("none")
    for mode in modes:      # the first isolation whose sandbox starts; a forced one or none
        problem = isolation_problem(mode, user)
        if problem is None:
            os.environ.update(KIT_ISOLATION=mode, KIT_SANDBOX_USER=user)    # read by the kit's SandboxPool
            try:
                checks, lines, problem = grade_with_kit(assignment, steps, notebooks)
            except Exception as exc:  # noqa: BLE001  (the grader could not run: say so, go on)
                say(traceback.format_exc())
                checks, lines, problem = None, [], f"the kit's grader failed: {type(exc).__name__}: {exc}"
            if problem is None:
                used = mode
                break
            if mode != modes[-1]:
                checks, lines = None, []   # the sandbox did not start: the next isolation grades again
        tried.append(f"{mode}: {problem}")
    if checks is None and refused:
        used = "refused"
        tried.append("none: not allowed by this bundle (built without --allow-unisolated)")
    line = isolation_line(used, user, limits, tried, root)
    say(line)
    for text in lines:
        say(text)
    if checks is None:
        checks = [t for step in steps.values() for t in _zeros(step, NOT_RUN[used])]
    if used == "none":
        notes = [UNISOLATED, *notes]
    results = results_json(checks)
    for name, step in steps.items():
        mine = [t for t in results["tests"] if t["name"].startswith(f"{name}: ")]
        say(f"{step.notebook}: {sum(t['score'] for t in mine):g}/{sum(t['max_score'] for t in mine):g}"
            + "".join(f"\n  failed {t['name']}: {t['output'][:160]!r}" for t in mine if t["status"] == "failed"))
    summary = _summary(steps, results, notebooks, notes)
    results.update(
        execution_time=int(round(time.monotonic() - start)),
        output=f"{NOT_RUN[used]}\n{summary}" if used in NOT_RUN else summary,
        stdout_visibility="hidden",
        extra_data={"isolation": used, "isolation_detail": line, "notebooks_found": sorted(notebooks)},
    )
    say(f"Total: {results['score']:g}/{sum(t['max_score'] for t in results['tests']):g} "
        f"in {time.monotonic() - start:.1f} s")
    return results


def _bundle_info() -> str:
    info = _bundle()
    if not info:
        return "not from a bundle"
    unisolated = "allowed" if unisolated_allowed() else "refused"
    return (f"{info.get('assignment')} bundle, kit {info.get('kit_revision') or '?'}, {info.get('torch')}, "
            f"grading without isolation {unisolated}")


def selftest(forced: str | None, user: str, assignment: str) -> int:
    """Grade the instructor's notebooks as a submission: every point, or exit 1."""
    root = Path(tempfile.mkdtemp(prefix="kit-selftest-"))
    try:
        shutil.copytree(COURSE_DIR / "source" / assignment, root / "submission")
        results = run(root, forced, user, assignment)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    most = sum(t["max_score"] for t in results["tests"])
    ok = results["score"] == most and most > 0
    say(f"self-test: {results['score']:g}/{most:g} -> {'OK' if ok else 'FAILED'}")
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.exports.gradescope_run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", default=os.environ.get("AUTOGRADER_ROOT", "/autograder"))
    parser.add_argument("--selftest", action="store_true", help="grade the instructor's notebooks, fail unless full")
    args = parser.parse_args(argv)
    forced = os.environ.get("KIT_ISOLATION") or None
    if forced not in (None, *MODES):
        print(f"error: KIT_ISOLATION must be one of {', '.join(MODES)}", file=sys.stderr)
        return 2
    user = os.environ.get("KIT_SANDBOX_USER") or "student"
    assignment = bundled_assignment()
    if args.selftest:
        return selftest(forced, user, assignment)
    root = Path(args.root).resolve()
    results = run(root, forced, user, assignment)
    (root / "results").mkdir(exist_ok=True)
    (root / "results" / "results.json").write_text(json.dumps(results, indent=2, ensure_ascii=False),
                                                    encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
