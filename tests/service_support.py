"""What the service tests share: a course root with a real nbgrader exchange in a temporary
folder, students who run the real `nbgrader fetch_assignment`, `submit` and `fetch_feedback`
commands from homes of their own, and `python -m autograder serve` / `worker` processes that
are always stopped."""
from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

from bench.harness import VENV_BIN, LoggedProcess, course_id, free_port, make_course_with_exchange  # noqa: F401

from autograder.course import load
from autograder.courses import DEFAULT
from autograder.nbgrader_cli import ROOT

ASSIGNMENT = DEFAULT


def notebooks_of(sample_student: str) -> dict[str, dict]:
    """{file name: notebook} of one of the course's sample students (right answers, mistakes)."""
    sample = load(ASSIGNMENT).part("sample_class")
    student = next(s for s in sample.STUDENTS if s.id == sample_student)
    return {step.filename: sample.submission(ROOT, student, name) for name, step in load(ASSIGNMENT).steps.items()}


class Student:
    """A student with a home of their own (nbgrader's cache is there) and $USER set; nbgrader
    0.9.6 names the submitter from the OS account (`pwd`), not $USER, so `--student` is passed
    too (every test process runs as the same OS user)."""

    def __init__(self, name: str, where: Path, exchange: Path):
        self.name, self.home = name, where / "homes" / name
        self.home.mkdir(parents=True)
        (self.home / "nbgrader_config.py").write_text(
            f"c = get_config()\nc.Exchange.root = {str(exchange)!r}\n"
            f"c.CourseDirectory.course_id = {course_id()!r}\n")

    def env(self) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "NBGRADER"))}
        env.update(HOME=str(self.home), USER=self.name, LOGNAME=self.name,
                   PATH=VENV_BIN + os.pathsep + os.environ.get("PATH", ""))
        return env

    def nbgrader(self, *args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "nbgrader", *args, f"--student={self.name}"], cwd=self.home,
                              env=self.env(), capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"nbgrader {' '.join(args)} as {self.name} failed:\n{done.stdout}\n{done.stderr}"
        return done.stdout + done.stderr

    @property
    def folder(self) -> Path:
        return self.home / ASSIGNMENT

    def fetch(self) -> None:
        self.nbgrader("fetch_assignment", ASSIGNMENT)
        assert sorted(p.name for p in self.folder.glob("*.ipynb")) == sorted(notebooks_of_names())

    def fill(self, notebooks: dict[str, dict]) -> None:
        for name, nb in notebooks.items():
            (self.folder / name).write_text(json.dumps(nb, indent=1, ensure_ascii=False), encoding="utf-8")

    def submit(self) -> None:
        self.nbgrader("submit", ASSIGNMENT)

    def submit_at_once(self, *notebook_sets: dict[str, dict]) -> None:
        """Several submissions in the same second: one process (nbgrader's imports paid once)
        runs, as this student, what `nbgrader submit` runs (nbgrader's SubmitApp) once per set of
        notebooks, each set written into the assignment folder just before; it starts at the
        beginning of a second."""
        sets = self.home / "sets.json"
        sets.write_text(json.dumps(notebook_sets, ensure_ascii=False), encoding="utf-8")
        script = (   # the apps configured first: in the second, only the submitting itself
            "import json, sys, time\n"
            "from pathlib import Path\n"
            "from nbgrader.apps import SubmitApp\n"
            "folder, sets = Path(sys.argv[1]), json.loads(Path(sys.argv[2]).read_text(encoding='utf-8'))\n"
            "apps = [SubmitApp() for _ in sets]\n"
            "for app in apps:\n"
            f"    app.initialize([{ASSIGNMENT!r}, '--student={self.name}'])\n"
            "while time.time() % 1 > 0.2:\n"
            "    time.sleep(0.005)\n"
            "for app, notebooks in zip(apps, sets):\n"
            "    for name, nb in notebooks.items():\n"
            "        (folder / name).write_text(json.dumps(nb), encoding='utf-8')\n"
            "    app.start()\n")
        done = subprocess.run([sys.executable, "-c", script, str(self.folder), str(sets)], cwd=self.home,
                              env=self.env(), capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"nbgrader's SubmitApp as {self.name} failed:\n{done.stdout}\n{done.stderr}"

    def fetch_feedback(self) -> dict[str, list[Path]]:
        """{timestamp: feedback html files} after `nbgrader fetch_feedback`."""
        self.nbgrader("fetch_feedback", ASSIGNMENT)
        out: dict[str, list[Path]] = {}
        for path in sorted((self.folder / "feedback").glob("*/*.html")):
            out.setdefault(path.parent.name, []).append(path)
        return out


def notebooks_of_names() -> list[str]:
    return [step.filename for step in load(ASSIGNMENT).steps.values()]


def in_parallel(*calls) -> None:
    """Run the calls at once (each nbgrader command spends seconds importing); re-raise the first error."""
    errors: list[BaseException] = []

    def run(call):
        try:
            call()
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


class Process(LoggedProcess):
    """A `python -m autograder ...` process whose output is kept (a file) and read as it grows."""

    def __init__(self, args: list[str], cwd: Path, log: Path):
        super().__init__([sys.executable, "-m", "autograder", *args], cwd, log)


def error_in_page(page_html: str, grade_id: str) -> str:
    """The text of the error a test cell shows in nbgrader's feedback page (not the cell's source)."""
    start = page_html.index(f'<a name="{grade_id}"></a>')
    end = page_html.find("<a name=", start + 1)
    error = re.search(r'class="[^"]*output_error[^"]*">\s*<pre>(.*?)</pre>', page_html[start:end], re.S)
    assert error, f"{grade_id} shows no error in the feedback page"
    return html.unescape(re.sub(r"<[^>]+>", "", error.group(1))).strip()


def graded_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("graded ")]
