"""Run the observer on a student's notebook in a sandboxed process of its own, read back plain data.

`SandboxPool(jobs)` keeps one warm parent inside bubblewrap with `jobs` isolated slots, each
forking a fresh child per notebook; `observe_in_subprocess` is the one-notebook shortcut (used by `pytest autograder`).
"""
from .pool import Limits, ObserverFailed, SandboxPool  # noqa: F401
from .runner import observe_in_subprocess  # noqa: F401
