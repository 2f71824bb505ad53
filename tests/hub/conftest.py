"""The shared environment both JupyterHub tests install (tests/hub/deployment.py's PREFIX) is
removed at the end of the run when the run made it; one that was there before is left."""
from __future__ import annotations

import shutil

import pytest

from .deployment import PREFIX


@pytest.fixture(scope="session", autouse=True)
def shared_environment_removed_if_made_here():
    existed = PREFIX.exists()
    yield
    if not existed:
        shutil.rmtree(PREFIX, ignore_errors=True)
