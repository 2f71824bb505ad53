"""`python -m bench.service --students 50`: a deadline rush on `python -m autograder serve`.

For each configuration (the embedded default; `serve --queue` with one, then two Redis workers
of one sandbox slot each), on a fresh course whose nbgrader exchange is a temporary folder:

1. start the service (and redis-server, the workers), wait until it is ready, grade one
   warm-up submission (start-up excluded from every figure: the sandbox is warm);
2. idle latency: single submissions, one at a time;
3. the rush: K students (the course's sample students in turn, right and wrong) submit the
   whole assignment within `--spread` seconds.

Students submit with nbgrader's own `ExchangeSubmit` in this process (what `nbgrader submit`
runs, without its 6 s of imports per student). Latency: from the call to submit to the moment
the feedback of every notebook of the submission is in the exchange, under the name
`nbgrader fetch_feedback` looks for. Printed: p50 and p95 latency, throughput, and, once every
configuration has run, the ratio of each rush's time (first submit to last feedback) to the
compute floor: the CPU time of the student code's own runs (the observer's replays of the same
notebooks, in a warm process, one torch thread, the best of three passes), divided by the cores
of the machine; and to the warm-sandbox floor: the time the kit's warm sandbox alone takes to
observe the same notebooks, one slot per core (the student code plus what isolating it costs: a
fresh forked child per notebook), so that the two ratios part what the sandbox costs from what
serve's bookkeeping (nbgrader's collect, save preprocessors, gradebook, pages) costs. After each
rush the gradebook is checked: every student there with their sample student's expected score on
every test cell, and one console line of serve's each (nothing lost, nothing graded twice). `--kill-worker S`: in the Redis configurations, the first worker and its
sandbox are killed (SIGKILL) S seconds after the rush's first submit.

Side by side, the mode `nbgrader` (last by default, about 20 minutes at K = 50): the same
submissions with no service, graded the way nbgrader offers, the instructor running `nbgrader
collect`, `autograde`, `generate_feedback` and `release_feedback` (the real commands) right after
the last submit; one idle submission through the same four commands, limited to its student.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from autograder.course import load
from autograder.courses import DEFAULT
from autograder.nbgrader_cli import ROOT, nbgrader

from .harness import LoggedProcess, course_id, free_port, make_course_with_exchange


class Students:
    """Students who submit with nbgrader's ExchangeSubmit, in this process."""

    def __init__(self, work: Path, exchange: Path, assignment: str):
        from nbgrader.utils import notebook_hash

        self.work, self.exchange, self.assignment, self.hash = work / "homes", exchange, assignment, notebook_hash
        self.feedback = exchange / course_id() / "feedback"

    def prepare(self, student: str, notebooks: dict[str, dict]) -> None:
        """The notebooks in the student's assignment folder, each answer cell ending with a
        comment of its own: as in a real class, no two students' code is the same text."""
        folder = self.work / student / self.assignment
        folder.mkdir(parents=True, exist_ok=True)
        for name, nb in notebooks.items():
            nb = json.loads(json.dumps(nb))
            for cell in nb["cells"]:
                if cell.get("metadata", {}).get("nbgrader", {}).get("solution"):
                    source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
                    cell["source"] = f"{source}\n# {student}"
            (folder / name).write_text(json.dumps(nb), encoding="utf-8")

    def submit(self, student: str) -> tuple[float, list[Path]]:
        """(time of the call, the feedback files `fetch_feedback` will look for)."""
        from nbgrader.auth import Authenticator
        from nbgrader.coursedir import CourseDirectory
        from nbgrader.exchange.default import ExchangeSubmit
        from traitlets.config import Config

        config = Config()
        config.Exchange.root = str(self.exchange)
        config.Exchange.assignment_dir = str(self.work / student)
        config.Exchange.cache = str(self.work / student / ".cache")
        config.CourseDirectory.course_id = course_id()
        config.CourseDirectory.student_id = student
        config.CourseDirectory.assignment_id = self.assignment
        coursedir = CourseDirectory(config=config)
        submit = ExchangeSubmit(coursedir=coursedir, authenticator=Authenticator(config=config), config=config)
        start = time.monotonic()
        submit.start()
        entry = self.exchange / course_id() / "inbound" / submit.assignment_filename
        secret = (entry / "submission_secret.txt").read_text()
        names = [p.stem for p in entry.glob("*.ipynb")]
        return start, [self.feedback / f"{self.hash(secret=secret, notebook_id=n)}.html" for n in names]


def wait_all(pending: dict[str, tuple[float, list[Path]]], timeout: float) -> dict[str, tuple[float, float]]:
    """{student: (submitted, feedback out)} once each submission's feedback files all exist
    (looked at every 10 ms)."""
    pending = dict(pending)
    out: dict[str, tuple[float, float]] = {}
    deadline = time.monotonic() + timeout
    while pending and time.monotonic() < deadline:
        for student, (start, files) in list(pending.items()):
            if all(f.exists() for f in files):
                out[student] = (start, time.monotonic())
                del pending[student]
        time.sleep(0.01)
    if pending:
        raise SystemExit(f"no feedback after {timeout} s for {sorted(pending)[:5]}...")
    return out


def tree_cpu(roots: list[int], parts: bool = False):
    """CPU seconds (user + system) of these processes and all their descendants, the reaped ones
    included (a reaped child's time is in its parent's cutime/cstime). With `parts`, split as
    {"serve": the roots themselves, "feedback pages": the multiprocessing children, "sandboxes":
    the rest}."""
    parent, times = {}, {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parent[int(entry)] = int(fields[1])
        times[int(entry)] = sum(int(x) for x in fields[11:15])   # utime stime cutime cstime
    wanted, todo = set(), list(roots)
    while todo:
        pid = todo.pop()
        if pid in wanted:
            continue
        wanted.add(pid)
        todo += [child for child, ppid in parent.items() if ppid == pid]
    tick = os.sysconf("SC_CLK_TCK")
    if not parts:
        return sum(times.get(pid, 0) for pid in wanted) / tick
    out = {"serve": 0.0, "feedback pages": 0.0, "sandboxes": 0.0}
    for pid in wanted:
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            command = b""
        part = "serve" if pid in roots else "feedback pages" if b"multiprocessing" in command else "sandboxes"
        out[part] += times.get(pid, 0) / tick
    return out


def graded_as_expected(result: dict, sample, assignment: str) -> str:
    """Every rush student in the gradebook with their sample student's expected score on every
    test cell, and (with a service) one console line each: nothing lost, nothing graded twice."""
    from autograder.grader.single import test_points
    from autograder.reports.table import read_scores

    spec = load(assignment)
    course, rush = result["course"], result["rush"]
    points = {}
    for step in spec.steps.values():
        nb = json.loads((course / "source" / assignment / step.filename).read_text(encoding="utf-8"))
        points.update({(step.name, grade_id): pts for grade_id, pts in test_points(nb).items()})
    expected = sample.expected_scores(points)
    scores = read_scores(f"sqlite:///{course / 'gradebook.db'}", assignment)
    wrong = []
    for student in rush:
        model = student.rsplit("_", 1)[0]
        got = {(step.name, check): score for step in spec.steps.values()
               for (notebook, check), (score, _) in scores.get(student, {}).items() if notebook == step.notebook}
        if student not in scores or got != expected[model]:
            wrong.append(student)
    if "serve_log" in result:
        lines = graded_lines(result["serve_log"])
        wrong += [f"{s} (graded {lines.count(s)} times)" for s in rush if lines.count(s) != 1]
    if wrong:
        raise SystemExit(f"{result['mode']}: not graded as expected: {', '.join(wrong[:8])}")
    return (f"{len(rush)} students, each in the gradebook with the expected score on every test cell"
            + (", graded once (one console line each)" if "serve_log" in result else ""))


def graded_lines(log: Path) -> list[str]:
    """The students of serve's console lines, one per graded submission."""
    return [line.split()[1] for line in log.read_text(errors="replace").splitlines() if line.startswith("graded ")]


def wait_for_console_lines(log: Path, students: list[str], timeout: float = 60) -> None:
    """serve prints a submission's line just after releasing its feedback: wait for every one."""
    deadline = time.monotonic() + timeout
    while not set(students) <= set(graded_lines(log)) and time.monotonic() < deadline:
        time.sleep(0.1)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def rush_notebooks(course: Path, assignment: str, students: list[str]) -> list[tuple[str, list]]:
    """(step, the cells sent into the sandbox) of each notebook these students handed in."""
    from autograder.grader.autograde import sandbox_cells

    spec = load(assignment)
    jobs = []
    for student in students:
        for path in sorted((course / "submitted" / student / assignment).glob("*.ipynb")):
            cells, _ = sandbox_cells(json.loads(path.read_text(encoding="utf-8")))
            jobs.append((spec.step_of(path.name).name, cells))
    return jobs


def compute_floor(course: Path, assignment: str, students: list[str], passes: int = 3) -> float:
    """CPU seconds of the observer's replays of these students' notebooks, in this warm process:
    the best of `passes` passes (a pass taken while the machine is still busy reads high)."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    import torch

    torch.set_num_threads(1)
    spec = load(assignment)
    jobs = rush_notebooks(course, assignment, students)
    for step, cells in jobs[:len(spec.steps)]:          # warm-up: first calls, imports
        spec.observe(step, cells, spec.draw(step))
    totals = []
    for _ in range(passes):
        total = 0.0
        for step, cells in jobs:
            tirage = spec.draw(step)
            start = time.process_time()
            spec.observe(step, cells, tirage)
            total += time.process_time() - start
        totals.append(total)
    return min(totals)


def sandbox_floor(course: Path, assignment: str, students: list[str], slots: int, passes: int = 2) -> float:
    """Seconds the kit's warm sandbox alone takes to observe these students' notebooks, `slots`
    at once (a fresh forked child per notebook, as serve's): nothing of nbgrader, no decision, no
    page. The best of `passes` passes."""
    from concurrent.futures import ThreadPoolExecutor

    from autograder.sandbox import SandboxPool

    spec = load(assignment)
    jobs = [(step, cells, spec.draw(step)) for step, cells in rush_notebooks(course, assignment, students)]
    with SandboxPool(slots) as pool, ThreadPoolExecutor(slots) as threads:
        list(threads.map(lambda job: pool.run(*job), jobs[:2 * slots]))       # warm-up
        spans = []
        for _ in range(passes):
            start = time.monotonic()
            answers = list(threads.map(lambda job: pool.run(*job), jobs))
            spans.append(time.monotonic() - start)
    failed = [a.get("code") for a in answers if not a.get("ok")]
    if failed:
        raise SystemExit(f"the warm sandbox failed {len(failed)} notebook(s) of the rush: {failed[:3]}")
    return min(spans)


def rush_prepared(k: int, pool, students: Students, notebooks: dict) -> list[str]:
    """K students' names (the sample students in turn), their notebooks ready to submit."""
    rush = [f"{pool[i % len(pool)].id}_{i:03d}" for i in range(k)]
    for i, student in enumerate(rush):
        students.prepare(student, notebooks[pool[i % len(pool)].id])
    return rush


def submit_rush(students: Students, rush: list[str], spread: float) -> tuple[float, dict, float]:
    """Each student submits, evenly within `spread` seconds: (when the first did, what
    `wait_all` waits for, how long the submitting took)."""
    pending = {}
    first = time.monotonic()
    for i, student in enumerate(rush):
        delay = first + spread * i / max(1, len(rush) - 1) - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        pending[student] = students.submit(student)
    return first, pending, time.monotonic() - first


def run_mode(mode: str, args, work: Path, sample, assignment: str) -> dict:
    work.mkdir(parents=True)
    course, exchange = make_course_with_exchange(work, assignment), work / "exchange"
    students = Students(work, exchange, assignment)
    procs: list[LoggedProcess] = []
    redis = None
    env = {"KIT_SERVE_TRACE": "1"} if args.trace else {}
    try:
        if mode == "embedded":
            serve = LoggedProcess([sys.executable, "-m", "autograder", "serve", assignment, "--jobs", str(args.jobs)],
                                  course, work / "serve.log", env)
        else:
            port = free_port()
            redis = subprocess.Popen([shutil.which("redis-server") or "/usr/bin/redis-server", "--bind", "127.0.0.1",
                                      "--port", str(port), "--save", "", "--appendonly", "no", "--dir", str(work)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            url = f"redis://127.0.0.1:{port}/0"
            serve = LoggedProcess([sys.executable, "-m", "autograder", "serve", assignment, "--queue", url], course,
                                  work / "serve.log", env)
            for i in range(int(mode[-1])):
                procs.append(LoggedProcess([sys.executable, "-m", "autograder", "worker", "--queue", url, "--jobs", "1"],
                                           work, work / f"worker{i}.log"))
        procs.append(serve)
        serve.wait_for("serving ", timeout=300)
        for worker in procs[:-1]:
            worker.wait_for(" ready: warm sandbox", timeout=300)
        pool = sample.STUDENTS
        steps = load(assignment).steps.items()
        notebooks = {s.id: {step.filename: sample.submission(ROOT, s, name) for name, step in steps} for s in pool}

        for i in range(2):                       # warm-up: nbgrader's converter, first HTML page
            students.prepare(f"warmup{i}", notebooks[pool[i].id])
            wait_all({f"warmup{i}": students.submit(f"warmup{i}")}, 120)

        idle = []
        for i in range(args.idle):
            student = f"idle{i:02d}"
            students.prepare(student, notebooks[pool[i % len(pool)].id])
            (begin, end), = wait_all({student: students.submit(student)}, 120).values()
            idle.append(end - begin)
            time.sleep(0.5)

        rush = rush_prepared(args.students, pool, students, notebooks)
        load_before = os.getloadavg()[0]
        serve_pid, worker_pids = serve.proc.pid, [w.proc.pid for w in procs[:-1]]
        cpu_before = (tree_cpu([serve_pid]), tree_cpu(worker_pids) if worker_pids else 0.0)
        parts_before = tree_cpu([serve_pid], parts=True)
        killer = None
        if args.kill_worker is not None and worker_pids:
            killer = threading.Timer(args.kill_worker, os.killpg, (worker_pids[0], signal.SIGKILL))
            killer.start()       # the worker and its sandbox, mid-rush
        first, pending, submitted = submit_rush(students, rush, args.spread)
        times = wait_all(pending, 60 + 30 * args.students)
        if killer is not None:
            killer.join()
        cpu = (tree_cpu([serve_pid]) - cpu_before[0], (tree_cpu(worker_pids) if worker_pids else 0.0) - cpu_before[1])
        parts = {part: t - parts_before[part] for part, t in tree_cpu([serve_pid], parts=True).items()}
        wait_for_console_lines(work / "serve.log", rush)
        return {"cpu": cpu, "parts": parts, "mode": mode, "idle": idle, "latencies": [end - begin for begin, end in times.values()],
                "span": max(end for _, end in times.values()) - first, "submitted_in": submitted,
                "rush": rush, "course": course, "load": load_before, "serve_log": work / "serve.log",
                "killed": killer is not None}
    finally:
        for proc in reversed(procs):
            proc.stop()
        if redis is not None:
            redis.terminate()
            redis.wait()


NBGRADER_STEPS = ("collect", "autograde", "generate_feedback", "release_feedback")


def nbgrader_steps(course: Path, assignment: str, student: str | None = None) -> dict[str, float]:
    """What an instructor runs without the service, each command timed (seconds)."""
    times = {}
    for step in NBGRADER_STEPS:
        start = time.monotonic()
        nbgrader(step, assignment, *([f"--student={student}"] if student and step != "collect" else []), root=course)
        times[step] = time.monotonic() - start
    return times


def run_nbgrader(args, work: Path, sample, assignment: str) -> dict:
    """The same submissions graded the way nbgrader offers: no service; once submitted, the
    instructor runs collect, autograde, generate_feedback and release_feedback."""
    import resource

    work.mkdir(parents=True)
    course, exchange = make_course_with_exchange(work, assignment), work / "exchange"
    students = Students(work, exchange, assignment)
    pool = sample.STUDENTS
    steps = load(assignment).steps.items()
    notebooks = {s.id: {step.filename: sample.submission(ROOT, s, name) for name, step in steps} for s in pool}
    idle = []
    for i in range(min(args.idle, 1)):          # about 45 s each: one is enough to compare
        student = f"idle{i:02d}"
        students.prepare(student, notebooks[pool[i % len(pool)].id])
        begin, files = students.submit(student)
        nbgrader_steps(course, assignment, student)
        (_, end), = wait_all({student: (begin, files)}, 10).values()
        idle.append(end - begin)

    rush = rush_prepared(args.students, pool, students, notebooks)
    load_before = os.getloadavg()[0]
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    first, pending, submitted = submit_rush(students, rush, args.spread)
    commands = nbgrader_steps(course, assignment)
    times = wait_all(pending, 10)
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = cpu_after.ru_utime + cpu_after.ru_stime - cpu_before.ru_utime - cpu_before.ru_stime
    return {"cpu": (cpu, 0.0), "mode": "nbgrader", "idle": idle, "commands": commands,
            "latencies": [end - begin for begin, end in times.values()],
            "span": max(end for _, end in times.values()) - first, "submitted_in": submitted,
            "rush": rush, "course": course, "load": load_before}


MODES = {"embedded": "embedded (serve --jobs {jobs})", "redis1": "Redis, 1 worker (1 slot)",
         "redis2": "Redis, 2 workers (1 slot each)",
         "nbgrader": "nbgrader's commands once all have submitted (collect, autograde, generate_feedback, "
                     "release_feedback; no service)"}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.service", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=50, help="K students in the rush (default 50)")
    parser.add_argument("--spread", type=float, default=3.0, help="seconds over which the K submit (default 3)")
    parser.add_argument("--idle", type=int, default=5, help="single submissions on the idle service (default 5)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2, help="serve's sandbox slots, embedded")
    parser.add_argument("--modes", default="embedded,redis1,redis2,nbgrader",
                        help="which configurations, in order (nbgrader: about 20 minutes at K = 50)")
    parser.add_argument("--assignment", default=DEFAULT)
    parser.add_argument("--keep", default=None, help="keep the work folder here")
    parser.add_argument("--trace", action="store_true", help="serve prints its phase timings into serve.log")
    parser.add_argument("--kill-worker", type=float, default=None, metavar="SECONDS",
                        help="with Redis workers: SIGKILL the first worker (and its sandbox) this long after the "
                             "rush's first submit")
    args = parser.parse_args(argv)

    try:
        sample = load(args.assignment).part("sample_class")
    except ModuleNotFoundError:
        raise SystemExit(f"the course {args.assignment} has no sample class to submit") from None
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-service-"))
    cores = os.cpu_count() or 1
    steps = len(load(args.assignment).steps)
    print(f"deadline rush: {args.students} students x {steps} notebooks submitted within {args.spread:g} s; "
          f"{cores} cores", flush=True)
    results = []
    for mode in args.modes.split(","):
        if mode == "nbgrader":
            result = run_nbgrader(args, work / mode, sample, args.assignment)
        else:
            result = run_mode(mode, args, work / mode, sample, args.assignment)
        results.append(result)
        lat, idle = result["latencies"], result["idle"]
        print(f"\n{MODES[mode].format(jobs=args.jobs)}   (load average before the rush {result['load']:.1f})")
        if result.get("killed"):
            print(f"  worker 0 and its sandbox killed (SIGKILL) {args.kill_worker:g} s after the first submit")
        print(f"  checked:               {graded_as_expected(result, sample, args.assignment)}")
        if idle:
            print(f"  idle, one submission:  p50 {statistics.median(idle):5.2f} s   p95 {percentile(idle, 95):5.2f} s   "
                  f"max {max(idle):5.2f} s   ({len(idle)} submission(s), one at a time)")
        if "commands" in result:
            print("  after the rush:        " + ", ".join(f"{step} {t:.1f} s" for step, t in result["commands"].items()))
        print(f"  rush latency:          p50 {statistics.median(lat):5.2f} s   p95 {percentile(lat, 95):5.2f} s   "
              f"max {max(lat):5.2f} s   (submitted within {result['submitted_in']:.1f} s)")
        print(f"  rush throughput:       {len(lat) / result['span']:5.2f} submissions/s, "
              f"{len(lat) * steps / result['span']:5.2f} notebooks/s   (all graded {result['span']:.1f} s after "
              "the first submit)")
        serve_cpu, workers_cpu = result["cpu"]
        where = {"embedded": "serve's process tree: itself, its sandbox, its feedback processes",
                 "nbgrader": "nbgrader's commands"}.get(
            mode, f"serve and its feedback processes {serve_cpu:.1f} s, workers and their sandboxes {workers_cpu:.1f} s")
        print(f"  CPU used in the rush:  {serve_cpu + workers_cpu:5.1f} s   ({where})")
        if "parts" in result:
            print("  per submission:        " + ", ".join(
                f"{part} {t / len(lat):.2f} s" for part, t in result["parts"].items()
                if mode == "embedded" or part != "sandboxes") + " of CPU", flush=True)
    floor_cpu = compute_floor(results[0]["course"], args.assignment, results[0]["rush"])   # the same notebooks in every mode
    floor = floor_cpu / cores
    print(f"\ncompute floor: {floor:.1f} s   (the student code's CPU time, {floor_cpu:.1f} s in a warm process, best of "
          f"3 passes, / {cores} cores; {floor_cpu / len(results[0]['rush']):.2f} s per submission)")
    for r in results:
        used = sum(r["cpu"])
        print(f"  {r['mode']:<9} rush {r['span']:6.1f} s: {r['span'] / floor:5.2f}x the floor;  CPU {used:6.1f} s: "
              f"{used / floor_cpu:5.2f}x the student code's, {(used - floor_cpu) / len(r['rush']):.2f} s per submission "
              "beyond it" + ("  (the killed worker's CPU is not counted)" if r.get("killed") else ""))
    sandbox = sandbox_floor(results[0]["course"], args.assignment, results[0]["rush"], cores)
    print(f"warm-sandbox floor: {sandbox:.1f} s   (the kit's warm sandbox alone observing the same notebooks, {cores} "
          f"slots, a fresh child per notebook; nothing of nbgrader, no page; best of 2 passes)")
    for r in results:
        print(f"  {r['mode']:<9} rush {r['span']:6.1f} s: {r['span'] / sandbox:5.2f}x the warm-sandbox floor")
    by_mode = {r["mode"]: r for r in results}
    if "nbgrader" in by_mode:
        theirs = by_mode["nbgrader"]
        print("\nside by side with nbgrader's commands, on the same submissions:")
        for mode, ours in by_mode.items():
            if mode == "nbgrader":
                continue
            line = (f"  {mode:<9} rush: all feedback out {ours['span']:6.1f} s after the first submit, against "
                    f"{theirs['span']:.1f} s: {theirs['span'] / ours['span']:5.1f}x sooner; p95 latency "
                    f"{percentile(ours['latencies'], 95):.1f} s against {percentile(theirs['latencies'], 95):.1f} s")
            if ours["idle"] and theirs["idle"]:
                line += (f"; one submission {statistics.median(ours['idle']):.2f} s against "
                         f"{statistics.median(theirs['idle']):.1f} s")
            print(line)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
