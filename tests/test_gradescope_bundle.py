"""Gradescope's autograder bundle (`python -m autograder gradescope-bundle`), run as Gradescope runs
it: the zip unpacked into a throw-away root laid out like /autograder (source/, submission/,
results/, run_autograder copied beside them), `run_autograder` run as a subprocess on a right and
a wrong submission, its results.json held to Gradescope's documented schema and to the scores of
the kit's own grader (`autograde_class`, nbgrader's sanitize pass then the sandbox) on the same
notebooks; then again with the "runuser" isolation forced (what the bundle falls back to where
bubblewrap cannot make namespaces), with a submission that tries to read the hidden checks; last,
where no sandbox can start: no score unless the bundle was built with --allow-unisolated.
"""
from __future__ import annotations

import io
import json
import math
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import pytest

from autograder.course import load
from autograder.courses.descente_gradient.sample_class import STUDENTS, Edit, Student, submission
from autograder.grader.autograde import autograde_class
from autograder.nbgrader_cli import ROOT, nbgrader
from autograder.reports.table import read_scores

ASSIGNMENT = "descente_gradient"
STEPS = load(ASSIGNMENT).steps
SANDBOX_USER = "nobody"            # exists everywhere; setup.sh makes a `student` user on Gradescope

# Gradescope's results.json (gradescope-autograders.readthedocs.io, "Autograder Specifications").
VISIBILITIES = {"hidden", "after_due_date", "after_published", "visible"}
FORMATS = {"text", "simple_format", "html", "md", "ansi"}
TOP_KEYS = {"score", "execution_time", "output", "output_format", "test_output_format", "test_name_format",
            "visibility", "stdout_visibility", "extra_data", "tests", "leaderboard"}
TEST_KEYS = {"score", "max_score", "status", "name", "name_format", "number", "output", "output_format", "tags",
             "visibility", "extra_data"}


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def check_gradescope_schema(results: dict) -> None:
    """Types and required keys of Gradescope's results.json, as its specification documents them,
    plus what this kit promises: every test scored, statuses that agree with the scores."""
    assert isinstance(results, dict)
    assert set(results) <= TOP_KEYS, f"keys Gradescope does not know: {set(results) - TOP_KEYS}"
    for key in ("score", "execution_time", "stdout_visibility", "tests"):
        assert key in results, f"results.json lacks {key!r}"
    assert _number(results["score"]) and results["score"] >= 0
    assert _number(results["execution_time"]) and results["execution_time"] >= 0
    assert results["stdout_visibility"] in VISIBILITIES
    assert results.get("visibility", "visible") in VISIBILITIES
    assert isinstance(results.get("output", ""), str)
    assert isinstance(results.get("extra_data", {}), dict)
    for key in ("output_format", "test_output_format", "test_name_format"):
        assert results.get(key, "text") in FORMATS
    assert isinstance(results["tests"], list) and results["tests"]
    for test in results["tests"]:
        assert isinstance(test, dict) and set(test) <= TEST_KEYS, test
        for key in ("name", "score", "max_score", "status", "output", "visibility"):
            assert key in test, f"test {test.get('name')!r} lacks {key!r}"
        assert isinstance(test["name"], str) and test["name"]
        assert isinstance(test["output"], str) and test["output"]
        assert _number(test["score"]) and _number(test["max_score"]) and 0 <= test["score"] <= test["max_score"]
        assert test["status"] in ("passed", "failed")
        assert (test["status"] == "passed") == (test["score"] == test["max_score"]), test
        assert test["visibility"] in VISIBILITIES
    assert abs(results["score"] - sum(t["score"] for t in results["tests"])) < 1e-9
    assert len({t["name"] for t in results["tests"]}) == len(results["tests"]), "test names must be unique"


def _no_nan(text: str) -> dict:
    def refuse(constant):
        raise ValueError(f"{constant} is not JSON Gradescope reads")
    return json.loads(text, parse_constant=refuse)


# --- the bundle ---------------------------------------------------------------------------

def build(where: Path, *options: str) -> Path:
    """autograder.zip, made by the real command line."""
    out = where / "autograder.zip"
    proc = subprocess.run([sys.executable, "-m", "autograder", "gradescope-bundle", "--output", str(out), *options],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert out.is_file()
    return out


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    return build(tmp_path_factory.mktemp("bundle"))


def test_the_zip_has_gradescopes_layout_and_the_pinned_kit(bundle, tmp_path):
    with zipfile.ZipFile(bundle) as zf:
        infos = {i.filename: i for i in zf.infolist()}
        names = set(infos)
        for script in ("setup.sh", "run_autograder"):
            assert script in names, f"{script} must be at the zip's root (Gradescope looks there only)"
            assert (infos[script].external_attr >> 16) & 0o111, f"{script} must be executable"
            assert zf.read(script).startswith(b"#!/usr/bin/env bash\n")
        for step in STEPS.values():
            assert f"source/{ASSIGNMENT}/{step.filename}" in names
        assert "autograder/exports/gradescope_run.py" in names and "autograder/sandbox/zygote.py" in names
        assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
        assert not [n for n in names if n.startswith(("submitted/", "autograded/", "feedback/"))
                    or n.endswith("kit.json")], "no student work in the bundle"
        for step in STEPS.values():     # an nbgrader course root: the kit's grader runs there as at home
            assert f"release/{ASSIGNMENT}/{step.filename}" in names
        assert {"nbgrader_config.py", "gradebook.db", "bundle.json"} <= names
        gradebook = tmp_path / "gradebook.db"
        gradebook.write_bytes(zf.read("gradebook.db"))
        torch_pin = zf.read("requirements-torch.txt").decode().split()
        others = zf.read("requirements-gradescope.txt").decode().split()
        setup = zf.read("setup.sh").decode()
    pins = [line.split("#")[0].strip() for line in (ROOT / "requirements.txt").read_text().splitlines()]
    assert torch_pin == [p for p in pins if p.startswith("torch==")] == ["torch==2.13.0"]
    assert set(others) == {p for p in pins if p and not p.startswith(("torch==", "pytest==", "playwright=="))}
    assert "https://download.pytorch.org/whl/cpu" in setup and "requirements-torch.txt" in setup
    assert "bubblewrap" in setup and "useradd" in setup
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{gradebook}") as gb:    # the assignment, and no student's grade
        assignment = gb.find_assignment(ASSIGNMENT)
        assert gb.students == [] and assignment.submissions == []
        assert sorted(n.name for n in assignment.notebooks) == sorted(s.notebook for s in STEPS.values())


# --- a Gradescope-like root ---------------------------------------------------------------

def gradescope_root(bundle: Path) -> Path:
    """/autograder as Gradescope lays it: the zip unpacked (with its modes, as `unzip` does) into
    source/, run_autograder copied beside it, empty submission/ and results/. Made under /tmp with
    mode 0755, as /autograder is, so that only run_autograder's own doing makes it private."""
    root = Path(tempfile.mkdtemp(prefix="gradescope-root-", dir="/tmp"))
    root.chmod(0o755)
    with zipfile.ZipFile(bundle) as zf:
        for info in zf.infolist():
            target = root / "source" / info.filename
            zf.extract(info, root / "source")
            target.chmod((info.external_attr >> 16) & 0o777 or 0o644)
    for folder in [root / "source", *[p for p in (root / "source").rglob("*") if p.is_dir()]]:
        folder.chmod(0o755)
    shutil.copy2(root / "source" / "run_autograder", root / "run_autograder")
    (root / "submission").mkdir()
    (root / "results").mkdir()
    return root


@pytest.fixture
def roots():
    made = []
    yield made
    for root in made:
        shutil.rmtree(root, ignore_errors=True)


def notebooks_of(student: Student, only=None) -> dict[str, bytes]:
    return {STEPS[s].filename: json.dumps(submission(ROOT, student, s), indent=1, ensure_ascii=False).encode()
            for s in STEPS if only is None or s in only}


def _needs_namespace_for(user: str) -> list[str]:
    """Folders of this machine's Python that `user` cannot traverse (the venv's interpreter lives
    under /root here, mode 0700): none on Gradescope, where the venv is /opt/kit-venv."""
    probe = subprocess.run(["runuser", "-u", user, "--", sys.executable, "-c", "pass"], capture_output=True)
    if probe.returncode == 0:
        return []
    base = Path(os.path.realpath(sys.base_prefix))
    return [str(Path(*base.parts[:3]))] if base.parts[1:2] == ("root",) else [str(base)]


def run_autograder(root: Path, isolation: str | None = None, without_bwrap: bool = False,
                   user: str = SANDBOX_USER) -> tuple[dict, str]:
    """Gradescope's step: run /autograder/run_autograder from /autograder; (results.json, stdout).
    `isolation`: KIT_ISOLATION; `without_bwrap`: bubblewrap fails, as in a container that lets it
    make no namespace (/usr/bin/bwrap is /bin/false in the run's own mount namespace); `user`:
    KIT_SANDBOX_USER."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KIT_", "AUTOGRADER_"))}
    env.update(AUTOGRADER_ROOT=str(root), KIT_PYTHON=sys.executable, KIT_SANDBOX_USER=user)
    if isolation:
        env.update(KIT_ISOLATION=isolation)
    cmd, keep, script = [str(root / "run_autograder")], None, ""
    hidden = _needs_namespace_for(SANDBOX_USER) if isolation == "runuser" or without_bwrap else []
    if hidden:   # show this machine's Python to the unprivileged user, in a mount namespace of the run's own
        keep = Path(tempfile.mkdtemp(prefix="kit-root-view-"))
        script += (f'mount --bind /root "{keep}"; mount -t tmpfs -o mode=0755,size=1m kit-root /root; '
                   + "".join(f'mkdir -p "{p}"; mount --bind "{keep}/{Path(p).relative_to("/root")}" "{p}"; '
                             for p in hidden))
    if without_bwrap:
        bwrap = shutil.which("bwrap") or "/usr/bin/bwrap"
        script += f'mount --bind /bin/false "{bwrap}"; '
    if script:
        cmd = ["unshare", "--mount", "--propagation", "private", "sh", "-c", "set -e; " + script + 'exec "$@"',
               "sh", *cmd]
    try:
        proc = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, timeout=600)
    finally:
        if keep is not None:
            keep.rmdir()      # the bind mount lived in the run's namespace only: an empty folder here
    assert proc.returncode == 0, proc.stdout + proc.stderr
    results_path = root / "results" / "results.json"
    assert results_path.is_file(), proc.stdout + proc.stderr
    return _no_nan(results_path.read_text(encoding="utf-8")), proc.stdout


def scores_of(results: dict) -> dict[tuple[str, str], float]:
    """{(notebook, grade_id): score} from the tests, named `<step>: <grade_id>`."""
    out = {}
    for test in results["tests"]:
        step, grade_id = test["name"].split(": ")
        out[(STEPS[step].notebook, grade_id)] = test["score"]
    return out


def checks_of(results: dict, step: str) -> list[dict]:
    return [t for t in results["tests"] if t["name"].startswith(f"{step}: ")]


def all_tests() -> set[tuple[str, str]]:
    keys = set()
    for step in STEPS.values():
        nb = json.loads((ROOT / "source" / ASSIGNMENT / step.filename).read_text(encoding="utf-8"))
        keys |= {(step.notebook, c["metadata"]["nbgrader"]["grade_id"]) for c in nb["cells"]
                 if c["metadata"].get("nbgrader", {}).get("grade") and not c["metadata"]["nbgrader"].get("solution")}
    return keys


@pytest.fixture(scope="module")
def kit_course(tmp_path_factory) -> Path:
    """A course made from this repository as an instructor makes one (not from the bundle)."""
    course = tmp_path_factory.mktemp("kit_course")
    shutil.copytree(ROOT / "source" / ASSIGNMENT, course / "source" / ASSIGNMENT)
    shutil.copy(ROOT / "nbgrader_config.py", course / "nbgrader_config.py")
    nbgrader("generate_assignment", ASSIGNMENT, "--force", root=course)
    return course


def kit_scores(kit_course: Path, tmp: Path,
               handed_in: dict[str, dict[str, bytes]]) -> dict[str, dict[tuple[str, str], float]]:
    """The kit's own grader (`python -m autograder autograde`) on the same notebooks, in a copy of
    that course: {student: {(notebook, grade_id): score}}, 0 for a notebook not handed in."""
    course = tmp / "course"
    shutil.copytree(kit_course, course)
    for student, files in handed_in.items():
        folder = course / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        for name, data in files.items():
            (folder / name).write_bytes(data)
        (folder / "timestamp.txt").write_text("2026-11-27 09:00:00.000000 UTC")
    autograde_class(course, ASSIGNMENT, jobs=2, stream=io.StringIO())
    graded = read_scores(f"sqlite:///{course / 'gradebook.db'}", ASSIGNMENT)
    return {student: {key: graded.get(student, {}).get(key, (0.0, 0.0))[0] for key in all_tests()}
            for student in handed_in}


def student(student_id: str) -> Student:
    return next(s for s in STUDENTS if s.id == student_id)


# --- a right and a wrong submission, default isolation --------------------------------------

def test_right_and_wrong_submissions_score_what_the_kits_grader_gives(bundle, kit_course, roots, tmp_path):
    right = notebooks_of(student("alice_juste"))
    wrong = notebooks_of(student("lea_regret_somme"), only=("etape1", "etape2", "etape3"))   # etape4 not handed in
    renamed = notebooks_of(student("lea_regret_somme"), only=("etape4",))["etape4_modele.ipynb"]
    wrong_files = {**wrong, "etape4_modele (1).ipynb": renamed}      # ... but under another name
    expected = kit_scores(kit_course, tmp_path, {"alice_juste": right, "lea_regret_somme": wrong_files})

    root = gradescope_root(bundle)
    roots.append(root)
    folder = root / "submission" / "mon devoir é"       # a subfolder, as students upload
    folder.mkdir()
    for name, data in right.items():
        (folder / name).write_bytes(data)
    (folder / ".ipynb_checkpoints").mkdir()
    (folder / ".ipynb_checkpoints" / "etape1_numpy.ipynb").write_bytes(wrong["etape1_numpy.ipynb"])
    results, stdout = run_autograder(root)
    check_gradescope_schema(results)
    assert scores_of(results) == expected["alice_juste"]
    assert results["score"] == 22 and all(t["status"] == "passed" for t in results["tests"])
    assert oct(root.stat().st_mode & 0o777) == oct(0o700), "run_autograder must make /autograder root-only"
    mode = results["extra_data"]["isolation"]
    assert mode in ("bwrap", "runuser"), "a bundle built without --allow-unisolated never grades without isolation"
    assert f"Isolation: {mode} " in stdout and results["stdout_visibility"] == "hidden"
    assert results["extra_data"]["isolation_detail"] in stdout
    for visible in [results["output"]] + [t["output"] for t in results["tests"]]:
        assert "Isolation" not in visible and "bwrap" not in visible, "isolation is for the instructor only"

    root = gradescope_root(bundle)
    roots.append(root)
    with zipfile.ZipFile(root / "submission" / "rendu.zip", "w") as zf:   # a zip, with a folder inside
        for name, data in wrong_files.items():
            zf.writestr(f"devoir/{name}", data)
    results, stdout = run_autograder(root)
    check_gradescope_schema(results)
    got = scores_of(results)
    assert got == expected["lea_regret_somme"]
    assert set(got) == all_tests()
    lost = {key for key, score in got.items() if score == 0}
    assert ("etape1_numpy", "test_regret") in lost and ("etape2_autograd", "test_regret") in lost
    assert ("etape3_perte_optimiseur", "test_entrainement") not in lost
    etape4 = checks_of(results, "etape4")
    assert etape4 and all(t["score"] == 0 and t["status"] == "failed" for t in etape4)
    assert all("etape4_modele.ipynb" in t["output"] and "rendu" in t["output"] for t in etape4)
    assert "etape4_modele.ipynb : absent" in results["output"]
    assert "renomme-le etape4_modele.ipynb" in results["output"]
    failed_regret = next(t for t in results["tests"] if t["name"] == "etape1: test_regret")
    assert "somme" in failed_regret["output"].lower()


# --- the runuser fallback -------------------------------------------------------------------

PROBE = '''import json as _json, os as _os
def _essai(action):
    try:
        action()
        return "lu"
    except Exception as exc:
        return type(exc).__name__
_sonde = {{
    "verifications": _essai(lambda: open({checks!r}).read()),
    "notebook_instructeur": _essai(lambda: open({source_nb!r}).read()),
    "dossier_source": _essai(lambda: _os.listdir({source!r})),
    "ecriture_resultats": _essai(lambda: open({results!r}, "w").write("{{}}")),
    "stdlib": _essai(lambda: open(_os.__file__).read()),
    "canari": _essai(lambda: open({canary!r}).read()),
    "uid": _os.getuid(),
}}
try:
    with open({report!r}, "w") as _f:
        _json.dump(_sonde, _f)
except OSError:
    pass
_fuite = 0.0 if _sonde["stdlib"] == "lu" and all(_sonde[k] != "lu" for k in
    ("verifications", "notebook_instructeur", "dossier_source", "ecriture_resultats")) else 1.0

'''


def test_runuser_isolation_grades_the_same_and_hides_the_hidden_checks(bundle, kit_course, roots, tmp_path):
    root = gradescope_root(bundle)
    roots.append(root)
    checks = sorted(p for p in (root / "source" / "autograder").rglob("*.py")
                    if "checks" in p.relative_to(root / "source").parts or p.stem == "checks")
    assert checks, "the bundle must hold the hidden checks"
    spy = Path(tempfile.mkdtemp(prefix="kit-spy-", dir="/tmp"))      # where the student's code reports
    try:
        spy.chmod(0o777)
        (spy / "canari.txt").write_text("lisible par tous")
        (spy / "canari.txt").chmod(0o644)
        probe = PROBE.format(checks=str(checks[0]), source_nb=str(root / "source" / "source" / ASSIGNMENT /
                                                                   STEPS["etape1"].filename),
                             source=str(root / "source"), results=str(root / "results" / "pirate.json"),
                             canary=str(spy / "canari.txt"), report=str(spy / "sonde.json"))
        david = student("david_sans_zero_grad")        # wrong on steps 2 and 3, right on 1 and 4
        spying = Student("sonde", edits=(Edit("etape1", "avant", "def avant(x):\n    return w * x",
                                              probe + "def avant(x):\n    return w * x + _fuite"),) + david.edits)
        handed_in = notebooks_of(spying)
        root.chmod(0o700)     # (whatever isolation the kit's grader gets here, the root is not what it tests)
        expected = kit_scores(kit_course, tmp_path, {"sonde": handed_in})
        root.chmod(0o755)     # as Gradescope leaves /autograder: run_autograder must close it itself
        (spy / "sonde.json").unlink(missing_ok=True)    # only the runuser run below may write it

        for name, data in handed_in.items():
            (root / "submission" / name).write_bytes(data)
        results, stdout = run_autograder(root, isolation="runuser")
        check_gradescope_schema(results)
        assert results["extra_data"]["isolation"] == "runuser", stdout
        assert "Isolation: runuser" in stdout and f"'{SANDBOX_USER}'" in stdout
        got = scores_of(results)
        assert got == expected["sonde"], "runuser must grade as the kit's grader does"
        assert got[("etape1_numpy", "test_avant")] == 1.0, "the student's code read or wrote what it must not"
        assert got[("etape2_autograd", "test_entrainement")] == 0.0
        assert got[("etape4_modele", "test_entrainement")] == 3.0

        report = json.loads((spy / "sonde.json").read_text())   # what the student's process saw
        assert report["uid"] == pwd.getpwnam(SANDBOX_USER).pw_uid
        assert report["canari"] == "lu" and report["stdlib"] == "lu", report
        for secret in ("verifications", "notebook_instructeur", "dossier_source", "ecriture_resultats"):
            assert report[secret] == "PermissionError", report
        assert not (root / "results" / "pirate.json").exists()
    finally:
        shutil.rmtree(spy, ignore_errors=True)


def test_where_bubblewrap_cannot_make_namespaces_the_bundle_falls_back_to_runuser(bundle, roots):
    """No KIT_ISOLATION: what Gradescope runs. bubblewrap is there but fails (as in a container
    that allows no namespace): the student's code runs as the unprivileged user, and the
    instructor's output says so and why."""
    root = gradescope_root(bundle)
    roots.append(root)
    for name, data in notebooks_of(student("chloe_gradient_somme"), only=("etape1",)).items():
        (root / "submission" / name).write_bytes(data)
    results, stdout = run_autograder(root, without_bwrap=True)
    check_gradescope_schema(results)
    assert results["extra_data"]["isolation"] == "runuser", stdout
    assert "Not used: bwrap: bubblewrap cannot create its namespaces here" in stdout
    got = scores_of(results)
    assert [got[("etape1_numpy", g)] for g in ("test_avant", "test_regret", "test_gradient", "test_entrainement")] \
        == [1.0, 1.0, 0.0, 0.0]
    assert results["score"] == 2


def test_a_forced_isolation_that_cannot_start_is_reported_not_hidden(bundle, roots):
    """KIT_ISOLATION=runuser with a user that does not exist: no fallback to a weaker isolation;
    every notebook scores 0 with a French message, and the instructor's output says why."""
    root = gradescope_root(bundle)
    roots.append(root)
    for name, data in notebooks_of(student("alice_juste"), only=("etape1",)).items():
        (root / "submission" / name).write_bytes(data)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KIT_", "AUTOGRADER_"))}
    env.update(AUTOGRADER_ROOT=str(root), KIT_PYTHON=sys.executable, KIT_ISOLATION="runuser",
               KIT_SANDBOX_USER="personne-kit-inexistant")
    proc = subprocess.run([str(root / "run_autograder")], cwd=root, env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    results = _no_nan((root / "results" / "results.json").read_text(encoding="utf-8"))
    check_gradescope_schema(results)
    assert results["score"] == 0 and results["extra_data"]["isolation"] == "failed"
    assert "personne-kit-inexistant" in proc.stdout
    etape1 = checks_of(results, "etape1")
    assert etape1 and all("enseignant" in t["output"] for t in etape1)


# --- where no sandbox can start --------------------------------------------------------------

NOBODY_HERE = "personne-kit-inexistant"     # KIT_SANDBOX_USER that does not exist: runuser cannot start


def student_visible(results: dict) -> list[str]:
    return [results["output"]] + [t["output"] for t in results["tests"]]


def test_without_any_sandbox_a_default_bundle_gives_no_score_and_says_who_must_act(bundle, roots):
    """bubblewrap fails and the unprivileged user does not exist, as in a container where neither
    works: no notebook is run, no point given; the student reads it in French, the instructor in
    English with what to do."""
    root = gradescope_root(bundle)
    roots.append(root)
    with zipfile.ZipFile(bundle) as zf:
        assert json.loads(zf.read("bundle.json"))["allow_unisolated"] is False
    for name, data in notebooks_of(student("alice_juste")).items():
        (root / "submission" / name).write_bytes(data)
    results, stdout = run_autograder(root, without_bwrap=True, user=NOBODY_HERE)
    check_gradescope_schema(results)
    assert results["score"] == 0 and results["extra_data"]["isolation"] == "refused", stdout
    assert len(results["tests"]) == len(all_tests()) and all(t["status"] == "failed" for t in results["tests"])
    french = ("La correction n'a pas pu être isolée de ton code sur Gradescope : aucun point n'est donné pour "
              "l'instant. Ton enseignant doit intervenir, puis ta copie sera corrigée à nouveau.")
    assert results["output"].startswith(french + "\n"), results["output"]
    assert all(t["output"] == french for t in results["tests"])
    assert not any("Isolation" in text or "bwrap" in text for text in student_visible(results))
    line = next(x for x in stdout.splitlines() if x.startswith("Isolation: "))
    assert line == results["extra_data"]["isolation_detail"]
    assert line.startswith("Isolation: refused (no sandbox could start and this bundle does not allow grading "
                           "without isolation"), line
    assert "ACTION NEEDED" in line and "--allow-unisolated" in line and "Regrade All Submissions" in line, line
    assert "bwrap: bubblewrap cannot create its namespaces here" in line and f"runuser: no user '{NOBODY_HERE}'" in line
    assert "none: not allowed by this bundle (built without --allow-unisolated)" in line, line
    assert "Isolation: none" not in stdout and "grading without isolation refused" in stdout

    root = gradescope_root(bundle)      # KIT_ISOLATION=none does not get round the bundle either
    roots.append(root)
    for name, data in notebooks_of(student("alice_juste"), only=("etape1",)).items():
        (root / "submission" / name).write_bytes(data)
    results, stdout = run_autograder(root, isolation="none")
    assert results["score"] == 0 and results["extra_data"]["isolation"] == "refused", stdout
    assert results["output"].startswith(french)


def test_a_bundle_built_with_allow_unisolated_grades_without_sandbox_and_tells_the_student(
        kit_course, roots, tmp_path, tmp_path_factory):
    allowed = build(tmp_path_factory.mktemp("bundle_unisolated"), "--allow-unisolated")
    with zipfile.ZipFile(allowed) as zf:
        assert json.loads(zf.read("bundle.json"))["allow_unisolated"] is True
    handed_in = notebooks_of(student("chloe_gradient_somme"), only=("etape1",))
    expected = kit_scores(kit_course, tmp_path, {"chloe": handed_in})["chloe"]
    root = gradescope_root(allowed)
    roots.append(root)
    for name, data in handed_in.items():
        (root / "submission" / name).write_bytes(data)
    results, stdout = run_autograder(root, without_bwrap=True, user=NOBODY_HERE)
    check_gradescope_schema(results)
    assert results["extra_data"]["isolation"] == "none", stdout
    assert scores_of(results) == expected, "graded as the kit's grader grades"
    assert 0 < results["score"] < 22
    assert ("Attention : ton code a été exécuté sans isolation (hors du bac à sable habituel du correcteur), comme "
            "ton enseignant l'a autorisé pour ce devoir.") in results["output"], results["output"]
    line = results["extra_data"]["isolation_detail"]
    assert line.startswith("Isolation: none (NO isolation") and "allowed by this bundle (--allow-unisolated)" in line
    assert line in stdout and "grading without isolation allowed" in stdout
