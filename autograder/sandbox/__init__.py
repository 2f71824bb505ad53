"""Run the observer on a student's notebook in a process of its own, and read back plain data."""
from .runner import ObserverFailed, observe_in_subprocess  # noqa: F401
