"""`python -m autograder gradescope-bundle [--output autograder.zip]`: Gradescope's autograder zip.

At the zip's root, as Gradescope wants it: `setup.sh` (run once when Gradescope builds the image:
pinned packages, bubblewrap, an unprivileged user) and `run_autograder` (run for each submission),
next to the kit itself (`autograder/`), the pinned requirements, `bundle.json`, and an nbgrader
course root: `nbgrader_config.py`, the instructor's notebooks `source/<assignment>/`, the release
and an empty `gradebook.db`. Gradescope unpacks it into /autograder/source; at grading time
`run_autograder` calls `autograder.exports.gradescope_run`, which grades the student's notebooks
with the kit's own grader (`grader.autograde.autograde_class`) into one results.json.
`--allow-unisolated` (recorded in `bundle.json`) lets it grade where no sandbox can start, the
student's code then isolated by nothing but a separate process; without it no score is written
there. See docs/gradescope.md.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]            # .../autograder
TEMPLATES = Path(__file__).resolve().parent / "gradescope"
TEST_TOOLS = {"pytest", "playwright"}                    # the kit's test suite's, not the grader's
EXECUTABLE = ("setup.sh", "run_autograder")
FIXED_TIME = (2026, 1, 1, 0, 0, 0)                       # the zip's entries carry no build date


def add_subcommand(sub) -> None:
    """Register `gradescope-bundle` on the CLI's subparsers (autograder/cli.py); the assignment is
    the command line's `--assignment`."""
    p = sub.add_parser("gradescope-bundle", help="autograder.zip for a Gradescope programming assignment")
    p.add_argument("--output", default="autograder.zip", help="where to write the zip (default: autograder.zip)")
    p.add_argument("--allow-unisolated", action="store_true",
                   help="where neither bubblewrap nor the unprivileged user can run the student's code, grade it "
                        "anyway in a plain separate process (the students are told); default: give no score and "
                        "say that the instructor must act")
    p.set_defaults(func=cmd_gradescope_bundle)


def cmd_gradescope_bundle(args) -> int:
    output = Path(args.output).resolve()
    names = build_bundle(output, Path(args.course_dir).resolve(), args.assignment,
                         allow_unisolated=args.allow_unisolated)
    unisolated = ("grades WITHOUT isolation where no sandbox can start (--allow-unisolated; students are told)"
                  if args.allow_unisolated else "gives no score where no sandbox can start")
    print(f"{output}: {len(names)} files; {unisolated}; upload it as the autograder of a Gradescope programming "
          "assignment (docs/gradescope.md)")
    return 0


def split_requirements(text: str) -> tuple[list[str], list[str]]:
    """(torch's pin, every other pin the grader needs) from the kit's requirements.txt."""
    torch, others = [], []
    for line in text.splitlines():
        spec = line.split("#", 1)[0].strip()
        if not spec:
            continue
        name = re.split(r"[<>=!~\[; ]", spec, maxsplit=1)[0].lower()
        if name in TEST_TOOLS:
            continue
        (torch if name == "torch" else others).append(spec)
    if len(torch) != 1 or "==" not in torch[0]:
        raise RuntimeError("requirements.txt must pin torch (torch==X.Y.Z)")
    return torch, others


def _kit_files() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*")
                  if p.is_file() and "__pycache__" not in p.parts and p.suffix not in (".pyc", ".pyo"))


def _kit_revision() -> str | None:
    try:
        proc = subprocess.run(["git", "-C", str(PACKAGE.parent), "describe", "--always", "--dirty"],
                              capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return proc.stdout.strip() or None if proc.returncode == 0 else None


def bundle_contents(course_dir: Path, assignment: str, allow_unisolated: bool = False) -> dict[str, bytes]:
    """Every file of the zip, by its path inside it."""
    from ..course import load

    steps = load(assignment).steps.values()
    requirements = (PACKAGE.parent / "requirements.txt").read_text(encoding="utf-8")
    torch, others = split_requirements(requirements)
    files: dict[str, bytes] = {name: (TEMPLATES / name).read_bytes() for name in EXECUTABLE}
    files["requirements-torch.txt"] = ("\n".join(torch) + "\n").encode()
    files["requirements-gradescope.txt"] = ("\n".join(others) + "\n").encode()
    for path in _kit_files():
        files[path.relative_to(PACKAGE.parent).as_posix()] = path.read_bytes()
    for step in steps:
        notebook = course_dir / "source" / assignment / step.filename
        if not notebook.is_file():
            raise RuntimeError(f"no instructor notebook {notebook}: the bundle needs source/{assignment}/")
        files[f"source/{assignment}/{step.filename}"] = notebook.read_bytes()
    files.update(course_template(course_dir, assignment))
    files["bundle.json"] = json.dumps({
        "assignment": assignment, "notebooks": [s.filename for s in steps],
        "kit_revision": _kit_revision(), "torch": torch[0], "requirements": others,
        "allow_unisolated": allow_unisolated,
    }, indent=2).encode()
    return files


def course_template(course_dir: Path, assignment: str) -> dict[str, bytes]:
    """What makes the bundle an nbgrader course root of its own, so that Gradescope grades with
    the kit's grader as an instructor does: the course's nbgrader_config.py, and the release and
    an empty gradebook that `nbgrader generate_assignment` makes from source/ (in a scratch copy:
    the instructor's own gradebook, with the class's grades, never goes into the zip)."""
    from ..nbgrader_cli import nbgrader

    config = course_dir / "nbgrader_config.py"
    if not config.is_file():
        raise RuntimeError(f"no {config}: the bundle needs the course's nbgrader configuration")
    with tempfile.TemporaryDirectory(prefix="kit-bundle-") as tmp:
        course = Path(tmp)
        shutil.copy(config, course / "nbgrader_config.py")
        shutil.copytree(course_dir / "source" / assignment, course / "source" / assignment)
        nbgrader("generate_assignment", assignment, "--force", root=course)
        files = {"nbgrader_config.py": config.read_bytes(), "gradebook.db": (course / "gradebook.db").read_bytes()}
        for path in sorted((course / "release" / assignment).iterdir()):
            if path.is_file():
                files[f"release/{assignment}/{path.name}"] = path.read_bytes()
    return files


def build_bundle(output: Path, course_dir: Path, assignment: str, allow_unisolated: bool = False) -> list[str]:
    """Write the zip (files at its root, never under a folder); returns the names inside."""
    files = bundle_contents(course_dir, assignment, allow_unisolated)
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(output.name + ".part")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = ((0o100755 if name in EXECUTABLE else 0o100644) << 16)
            info.create_system = 3        # unix: `unzip` restores the modes above
            zf.writestr(info, files[name])
    tmp.replace(output)
    return sorted(files)
