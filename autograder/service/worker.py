"""`python -m autograder worker --queue redis://HOST:PORT/N [--jobs N]`: take grading jobs.

Each worker process keeps a warm sandbox (one slot: torch imported once) and is an RQ
`SimpleWorker` (jobs run in this process, next to the warm sandbox; student code runs only in
the sandbox's children). While it works on a job, a thread refreshes the job's heartbeat every
second with a 5-second time to live, so that a worker killed mid-job is noticed within seconds
and its job given to another (see queue.py). `--jobs N` starts N such processes.
"""
from __future__ import annotations

import ctypes
import signal
import subprocess
import sys
import threading
import time

from rq.serializers import JSONSerializer
from rq.worker import SimpleWorker, WorkerStatus

from . import grade_job
from .queue import HEARTBEAT_SECONDS, HEARTBEAT_TTL, QUEUE_NAME, REDIS_ERRORS, connect, job_queue


class KitWorker(SimpleWorker):
    def get_heartbeat_ttl(self, job) -> int:
        return HEARTBEAT_TTL

    def execute_job(self, job, queue):
        self.prepare_execution(job)
        done = threading.Event()
        beat = threading.Thread(target=self._beat, args=(job, done), daemon=True)
        beat.start()
        try:
            self.perform_job(job, queue)
        finally:
            done.set()
            beat.join()
        self.set_state(WorkerStatus.IDLE)

    def _beat(self, job, done: threading.Event) -> None:
        while not done.wait(HEARTBEAT_SECONDS):
            try:
                self.maintain_heartbeats(job)
            except Exception:  # noqa: BLE001  (Redis away for a moment: the next beat tries again)
                pass


def _say(text: str) -> None:
    print(text, flush=True)


def run_one(url: str) -> int:
    from ..sandbox import SandboxPool

    pool = SandboxPool(1)          # warm before the first job: torch imported, first optimizer step done
    grade_job.set_pool(pool)
    connection = connect(url)
    waiting = False
    while True:
        try:
            connection.ping()
            break
        except REDIS_ERRORS:
            if not waiting:
                _say(f"worker: Redis unreachable at {url}; waiting for it")
                waiting = True
            time.sleep(1)
    worker = KitWorker([job_queue(connection)], connection=connection, serializer=JSONSerializer)
    _say(f"worker {worker.name} (pid {worker.pid}) ready: warm sandbox, queue '{QUEUE_NAME}' at {url}")
    try:
        worker.work(logging_level="WARNING")
    finally:
        pool.close()
    return 0


def _die_with_parent() -> None:
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)   # PR_SET_PDEATHSIG


def run_many(url: str, jobs: int) -> int:
    """`jobs` worker processes; SIGINT/SIGTERM are passed on to them."""
    cmd = [sys.executable, "-m", "autograder", "worker", "--queue", url, "--jobs", "1"]
    children = [subprocess.Popen(cmd, preexec_fn=_die_with_parent) for _ in range(jobs)]

    def forward(signum, _frame):
        for child in children:
            if child.poll() is None:
                child.send_signal(signum)

    signal.signal(signal.SIGINT, forward)
    signal.signal(signal.SIGTERM, forward)
    return max(child.wait() for child in children)


def cmd_worker(args) -> int:
    return run_one(args.queue) if args.jobs <= 1 else run_many(args.queue, args.jobs)
