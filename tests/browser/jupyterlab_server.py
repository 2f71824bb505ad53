"""A JupyterLab server for the browser test: localhost, a free port, a token, its own config and
runtime folders, in a folder of our own; stopped with every process it started (kernels too)."""
from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from bench.harness import free_port

START_SECONDS = 60
# JupyterLab plugins that would reach the internet or pop up over the notebook.
DISABLED_PLUGINS = {"@jupyterlab/apputils-extension:announcements": True}
# Every cell stays in the page (no virtual scrolling), so that the test finds cells by their text.
USER_SETTINGS = {"@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"}}


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@contextmanager
def jupyterlab(root: Path, home: Path):
    """Yields (base_url, token, log_path, process group id) of a JupyterLab serving `root`."""
    token = secrets.token_hex(16)
    port = free_port()
    config = home / "config"
    (config / "labconfig").mkdir(parents=True, exist_ok=True)
    (config / "labconfig" / "page_config.json").write_text(json.dumps({"disabledExtensions": DISABLED_PLUGINS}))
    for name, settings in USER_SETTINGS.items():
        path = home / "settings" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(settings))
    venv_bin = str(Path(sys.executable).parent)
    env = {**os.environ, "HOME": str(home), "JUPYTER_CONFIG_DIR": str(config),
           "JUPYTER_RUNTIME_DIR": str(home / "runtime"), "IPYTHONDIR": str(home / "ipython"),
           "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"), "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
           "PATH": venv_bin + os.pathsep + os.environ.get("PATH", "")}
    env.pop("MPLBACKEND", None)  # the student's JupyterLab draws inline, as on their machine
    log_path = home / "jupyterlab.log"
    log = open(log_path, "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
         "--ServerApp.port_retries=0", "--allow-root", f"--IdentityProvider.token={token}",
         f"--ServerApp.root_dir={root}",
         "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_SECONDS
        while not _ready(f"{base}/api/status?token={token}"):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"JupyterLab did not start:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.3)
        yield base, token, log_path, proc.pid
    finally:
        _stop(proc)
        log.close()


def _stop(proc: subprocess.Popen) -> None:
    """SIGTERM to the server's process group (server and kernels), then SIGKILL if needed."""
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            proc.wait(timeout=wait)
            break
        except subprocess.TimeoutExpired:
            continue
    try:  # kernels may outlive the server for a moment: the group must be empty
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
