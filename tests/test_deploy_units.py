"""deploy/'s systemd units are units systemd accepts: each template, filled in as deploy/install.sh
and deploy/setup-course.sh fill it, passes `systemd-analyze verify` (the syntax, the directives,
the user, and that ExecStart names an executable), with no placeholder left. The shared-hub test
runs the serve unit that setup-course.sh writes, as its User says."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.nbgrader_cli import ROOT

UNITS = ROOT / "deploy" / "systemd"


def _prefix(where: Path) -> Path:
    """A prefix laid out as deploy/install.sh lays it out, its programs this test's own."""
    prefix = where / "opt"
    (prefix / "venv" / "bin").mkdir(parents=True)
    (prefix / "etc").mkdir()
    (prefix / "etc" / "hub.env").write_text("KIT_PREFIX=/opt/descente-gradient\n")
    for name in ("python", "jupyterhub"):
        (prefix / "venv" / "bin" / name).symlink_to(Path(sys.executable).parent / name)
    return prefix


@pytest.mark.parametrize("template", sorted(p.name for p in UNITS.glob("*.service")))
def test_each_unit_passes_systemd_analyze_verify(template, tmp_path):
    assert shutil.which("systemd-analyze"), "systemd-analyze (Debian's systemd package) is needed"
    values = {"PREFIX": str(_prefix(tmp_path)), "ACCOUNT": "daemon", "COURSE_DIR": str(tmp_path), "COURSE_ID": "cours",
              "STATE": str(tmp_path), "QUEUE": "redis://127.0.0.1:6379/0" if "worker" in template else
              "--queue redis://127.0.0.1:6379/0"}   # as setup-course.sh fills each
    text = (UNITS / template).read_text()
    for key, value in values.items():
        text = text.replace(f"@{key}@", value)
    assert not re.findall(r"@[A-Z_]+@", text), f"{template}: a placeholder left unfilled"
    unit = tmp_path / template.replace("@.service", "@1.service")
    unit.write_text(text)
    done = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60)
    problems = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    assert done.returncode == 0 and not problems, f"{template}:\n" + "\n".join(problems)
