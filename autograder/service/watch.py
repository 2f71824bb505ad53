"""Wake the service when `nbgrader submit` writes into the exchange's inbound folder, or
`nbgrader release_assignment` into its outbound folder.

watchdog's observer (inotify on Linux) watches the inbound folder itself, not recursively:
`nbgrader submit` creates the entry `student+assignment+timestamp+random`, copies the notebooks
into it, writes timestamp.txt and the submission's secret, then changes the entry's mode; each
of those is an event on the entry seen from the inbound folder. The service looks at the entry
after each event and grades it once it is complete (see exchange.CourseExchange.ready).
"""
from __future__ import annotations

import os
from typing import Callable

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer


class _Entries(FileSystemEventHandler):
    def __init__(self, inbound: str, on_entry: Callable[[str], None]):
        self.inbound, self.on_entry = inbound, on_entry

    def on_any_event(self, event: FileSystemEvent) -> None:
        for path in (event.src_path, getattr(event, "dest_path", "")):
            path = os.fsdecode(path) if path else ""
            if not path:
                continue
            rel = os.path.relpath(path, self.inbound)
            outside = rel == os.pardir or rel.startswith(os.pardir + os.sep)   # an entry may be named "..+..."
            if rel != os.curdir and not outside:
                self.on_entry(rel.split(os.sep)[0])


class InboundWatcher:
    """`on_entry(name)` (from watchdog's thread) for each event on an entry of `inbound`; with
    `outbound`, `on_release(name)` for each event on an assignment folder of the exchange's
    outbound folder (nbgrader release_assignment while serve runs)."""

    def __init__(self, inbound: str, on_entry: Callable[[str], None], outbound: str | None = None,
                 on_release: Callable[[str], None] | None = None):
        self.observer = Observer()
        self.observer.daemon = True
        self.observer.schedule(_Entries(str(inbound), on_entry), str(inbound), recursive=False)
        if outbound is not None and on_release is not None and os.path.isdir(outbound):
            self.observer.schedule(_Entries(str(outbound), on_release), str(outbound), recursive=False)

    def start(self) -> None:
        self.observer.start()

    def stop(self) -> None:
        self.observer.stop()
        self.observer.join(timeout=5)
