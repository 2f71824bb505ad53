"""`python -m bench.compare --students 40`: nbgrader autograde against the kit's grader, same run.

Builds a synthetic class of K students (the sample class's right and wrong submissions, in
turn), grades one copy with `nbgrader autograde` and others with `python -m autograder
autograde --jobs N` (`--kit-runs`, the median is kept), and prints seconds per notebook for each, the ratio, and the kit's time
against the compute floor: the student code's own run time (the observer's replays, measured
here in a warm process, one thread) divided by the cores used.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from autograder.courses.descente_gradient.course import ASSIGNMENT, STEPS
from autograder.nbgrader_cli import ROOT, nbgrader
from autograder.reports.table import read_scores
from autograder.courses.descente_gradient.sample_class import STUDENTS, write_class


def synthetic_class(k: int) -> list:
    return [dataclasses.replace(STUDENTS[i % len(STUDENTS)], id=f"{STUDENTS[i % len(STUDENTS)].id}_{i:03d}")
            for i in range(k)]


def make_course(where: Path, students) -> Path:
    where.mkdir(parents=True)
    shutil.copytree(ROOT / "source", where / "source")
    shutil.copy(ROOT / "nbgrader_config.py", where / "nbgrader_config.py")
    nbgrader("generate_assignment", ASSIGNMENT, "--force", root=where)
    write_class(ROOT, where, students)
    return where


def timed(cmd: list[str], cwd: Path) -> tuple[float, str]:
    """Wall seconds of `cmd` (a fresh process: its start-up counts), and what it printed."""
    env = dict(os.environ, PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""))
    start = time.monotonic()
    done = subprocess.run(cmd, cwd=cwd, env=env, check=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                          text=True)
    return time.monotonic() - start, done.stdout


def kit_start_up(summary: str) -> float | None:
    """Seconds from the kit's start to its first graded notebook, as its summary prints them."""
    found = re.search(r"until the first notebook was graded ([0-9.]+) s", summary)
    return float(found[1]) if found else None


def compute_floor(course: Path) -> float:
    """CPU seconds of the observer's replays of every submitted notebook, in this warm process
    (one torch thread; CPU time, so that other load on the machine does not inflate it)."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    import torch

    from autograder.courses.descente_gradient.draws import draw
    from autograder.grader.autograde import sandbox_cells
    from autograder.observe import observe

    torch.set_num_threads(1)
    total = 0.0
    for path in sorted((course / "submitted").glob(f"*/{ASSIGNMENT}/*.ipynb")):
        step = next(s.name for s in STEPS.values() if s.filename == path.name)
        cells, _ = sandbox_cells(json.loads(path.read_text(encoding="utf-8")))
        tirage = draw(step)
        start = time.process_time()
        observe(step, cells, tirage)
        total += time.process_time() - start
    return total


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.compare", description=__doc__)
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--kit-runs", type=int, default=3,
                        help="grade the class this many times with the kit (fresh copies) and take the median: "
                             "its 30 s are more easily disturbed by other load than nbgrader's 15 minutes")
    parser.add_argument("--keep", default=None, help="keep the course folders here")
    parser.add_argument("--kit-only", action="store_true",
                        help="skip nbgrader autograde (for the floor ratio of a large K; no speed-up then)")
    args = parser.parse_args(argv)

    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-"))
    students = synthetic_class(args.students)
    n = len(students) * len(STEPS)
    print(f"{len(students)} students x {len(STEPS)} notebooks = {n} notebooks; kit --jobs {args.jobs}; "
          f"{os.cpu_count()} cores", flush=True)
    nb_course = None if args.kit_only else make_course(work / "nbgrader", students)
    kit_course = make_course(work / "kit", students)

    runs = []
    for i in range(max(1, args.kit_runs)):
        copy = work / f"kit-run{i}"
        shutil.copytree(kit_course, copy)
        seconds, printed = timed([sys.executable, "-m", "autograder", "--course-dir", str(copy), "autograde",
                                  ASSIGNMENT, "--jobs", str(args.jobs)], copy)
        runs.append((seconds, kit_start_up(printed), copy))
        print(f"kit grader, run {i + 1}: {seconds:6.1f} s  {seconds / n:7.3f} s/notebook   (load average {_load()})",
              flush=True)
    kit, start_up, _ = sorted(runs, key=lambda r: r[0])[len(runs) // 2]
    print(f"kit grader:         {kit:8.1f} s  {kit / n:7.3f} s/notebook   (median of {len(runs)} runs)", flush=True)
    cores = min(args.jobs, os.cpu_count() or 1)
    floor = compute_floor(kit_course) / cores
    print(f"compute floor:      {floor:8.1f} s  {floor / n:7.3f} s/notebook "
          f"(observer replays, CPU time in a warm process, / {cores} cores)", flush=True)
    if start_up is not None:
        steady = kit - start_up
        print(f"kit after start-up: {steady:8.1f} s  {steady / n:7.3f} s/notebook "
              f"(the first {start_up:.1f} s: imports, torch warm-up, first notebook)")
    if args.kit_only:
        print(f"kit / floor: {kit / floor:.2f}x" + (f" ({steady / floor:.2f}x after start-up)" if start_up else ""))
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        return 0
    ref, _ = timed([sys.executable, "-m", "nbgrader", "autograde", ASSIGNMENT, "--force", "--create",
                    f"--CourseDirectory.root={nb_course}"], nb_course)
    print(f"nbgrader autograde: {ref:8.1f} s  {ref / n:7.3f} s/notebook   (load average {_load()})", flush=True)
    print(f"speed-up over nbgrader: {ref / kit:.1f}x;  kit / floor: {kit / floor:.2f}x"
          + (f" ({steady / floor:.2f}x after start-up)" if start_up else ""))

    a = read_scores(f"sqlite:///{nb_course / 'gradebook.db'}", ASSIGNMENT)
    cells = [(s, c) for s in a for c in a[s]]
    differ = []
    for _, _, copy in runs:   # every run of the kit, against nbgrader's gradebook
        b = read_scores(f"sqlite:///{copy / 'gradebook.db'}", ASSIGNMENT)
        differ += [(copy.name, s, c, a[s][c], b.get(s, {}).get(c)) for s, c in cells if b.get(s, {}).get(c) != a[s][c]]
    print(f"graded cells: {len(cells)} (x {len(runs)} kit runs); scores that differ between the two graders: "
          f"{len(differ)}")
    for d in differ[:20]:
        print("  differs:", d)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
