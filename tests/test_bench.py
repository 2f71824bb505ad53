"""`python -m bench.compare`: the benchmark runs end to end and prints what the issue asks for
(seconds per notebook, the floor, the ratios). Only the kit's side here (`--kit-only`):
the comparison with nbgrader autograde takes minutes per student and is run by hand."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_bench_prints_the_kit_time_the_floor_and_their_ratio(tmp_path):
    env = dict(os.environ, PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""))
    done = subprocess.run([sys.executable, "-m", "bench.compare", "--students", "2", "--kit-only", "--kit-runs", "2",
                           "--keep", str(tmp_path / "work")], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout
    assert "2 students x 4 notebooks = 8 notebooks" in out, out
    kit = re.search(r"kit grader: +([0-9.]+) s +([0-9.]+) s/notebook", out)
    floor = re.search(r"compute floor: +([0-9.]+) s +([0-9.]+) s/notebook", out)
    ratio = re.search(r"kit / floor: ([0-9.]+)x \(([0-9.]+)x after start-up\)", out)
    assert kit and floor and ratio, f"a figure is missing from the benchmark's output:\n{out}"
    assert float(floor[1]) > 0.05, f"the floor must be measured, not zero:\n{out}"
    low, high = (float(kit[1]) - 0.05) / (float(floor[1]) + 0.05), (float(kit[1]) + 0.05) / (float(floor[1]) - 0.05)
    assert low - 0.005 <= float(ratio[1]) <= high + 0.005, f"the printed ratio is not kit time / floor:\n{out}"
    runs = re.findall(r"kit grader, run [12]: +([0-9.]+) s", out)
    assert len(runs) == 2 and "(median of 2 runs)" in out, f"each of the kit's runs must be printed:\n{out}"
    assert float(kit[1]) in {float(r) for r in runs}, f"the kit's figure must be one of its runs:\n{out}"
    for run in ("kit-run0", "kit-run1"):
        graded = sorted((tmp_path / "work" / run / "autograded").glob("*/descente_gradient/*.ipynb"))
        assert len(graded) == 8, f"{run}: the kit must have graded the 8 notebooks, found {len(graded)}"


def test_service_bench_checks_the_rush_and_survives_a_worker_killed_in_it(tmp_path):
    """`python -m bench.service`, embedded and with two Redis workers of which one is killed
    mid-rush: each rush ends checked (every student in the gradebook with the expected scores,
    graded once), and the figures against the compute floor are printed."""
    env = dict(os.environ, PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""))
    done = subprocess.run([sys.executable, "-m", "bench.service", "--students", "6", "--idle", "1", "--spread", "2",
                           "--modes", "embedded,redis2", "--kill-worker", "1"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    out = done.stdout
    assert done.returncode == 0, f"{out[-3000:]}\n{done.stderr[-3000:]}"
    checked = re.findall(r"checked: +6 students, each in the gradebook with the expected score on every test cell, "
                         r"graded once", out)
    assert len(checked) == 2, f"both rushes must end checked:\n{out}"
    assert "worker 0 and its sandbox killed (SIGKILL) 1 s after the first submit" in out, out
    floor = re.search(r"compute floor: ([0-9.]+) s .* ([0-9.]+) s per submission\)", out)
    assert floor and float(floor[2]) > 0.02, f"the floor must be measured, not zero:\n{out}"
    for mode in ("embedded", "redis2"):
        line = re.search(rf"  {mode} +rush +([0-9.]+) s: +([0-9.]+)x the floor", out)
        assert line, f"no ratio for {mode}:\n{out}"
        rush, base, ratio = float(line[1]), float(floor[1]), float(line[2])
        # both times are printed to 0.1 s, the ratio is taken before rounding
        assert (rush - 0.05) / (base + 0.05) <= ratio <= (rush + 0.05) / max(base - 0.05, 0.01), line[0]
    sandbox = re.search(r"warm-sandbox floor: ([0-9.]+) s ", out)
    assert sandbox, f"no warm-sandbox floor:\n{out}"
    assert float(sandbox[1]) >= 0.9 * float(floor[1]) - 0.05, (
        f"the sandbox runs the same student code on as many cores, it cannot beat the compute floor:\n{out}")
    for mode in ("embedded", "redis2"):
        line = re.search(rf"  {mode} +rush +([0-9.]+) s: +([0-9.]+)x the warm-sandbox floor", out)
        assert line and float(line[1]) >= float(sandbox[1]), f"the rush grades through the same sandbox:\n{out}"
