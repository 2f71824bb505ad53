"""One notebook at a time: `observe_in_subprocess` on a shared one-worker pool, started on first use."""
from __future__ import annotations

import threading

from ..observe import Cell
from .pool import ObserverFailed, SandboxPool

_pool: SandboxPool | None = None
_lock = threading.Lock()


def shared_pool() -> SandboxPool:
    global _pool
    with _lock:
        if _pool is None:
            _pool = SandboxPool(jobs=1)
        return _pool


def observe_in_subprocess(step: str, cells: list[Cell], tirage: dict) -> dict:
    """Replay `cells` on `tirage` in a fresh sandboxed child; raises ObserverFailed."""
    return shared_pool().observe(step, cells, tirage)


__all__ = ["ObserverFailed", "observe_in_subprocess", "shared_pool"]
