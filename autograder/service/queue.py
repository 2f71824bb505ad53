"""The Redis job queue (RQ) between serve and the workers.

serve enqueues one job per notebook (`grade_job.grade`, plain JSON both ways: RQ's
JSONSerializer) and waits for its result; any number of `python -m autograder worker` processes,
on any machines, take jobs. A worker refreshes its job's heartbeat every second with a short
time to live; if it dies (killed, machine lost), the job's heartbeat lapses, RQ's own clean-up of
the started-jobs registry (run by serve while it waits, and by the workers) counts the job as
abandoned and RQ's `Retry` puts it back at the front of the queue for another worker. serve
takes the first result of each job: a notebook is saved once, by serve.
"""
from __future__ import annotations

import threading
import time
import uuid
from typing import Callable

from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError, TimeoutError as RedisTimeoutError
from rq import Queue, Retry
from rq.exceptions import NoSuchJobError
from rq.job import Job
from rq.registry import StartedJobRegistry
from rq.serializers import JSONSerializer

from .grade_job import job_of

QUEUE_NAME = "autograder"
JOB_FUNCTION = "autograder.service.grade_job.grade"
HEARTBEAT_SECONDS = 1          # a worker refreshes its job's heartbeat this often
HEARTBEAT_TTL = 5              # a job whose heartbeat is older is abandoned, and retried elsewhere
JOB_TIMEOUT = 300              # seconds a worker may spend on a notebook (the sandbox kills at 60 s)
RETRIES = 3                    # times a job is retried after its worker died or failed
REDIS_ERRORS = (RedisConnectionError, RedisTimeoutError, OSError)


def connect(url: str) -> Redis:
    return Redis.from_url(url, socket_connect_timeout=2, socket_timeout=30, health_check_interval=10)


def job_queue(connection: Redis) -> Queue:
    return Queue(QUEUE_NAME, connection=connection, serializer=JSONSerializer)


class Stopped(Exception):
    """serve is stopping: the notebook is left ungraded (it will be graded at the next start)."""


class RemotePool:
    """Stands for the sandbox pool in serve's pipeline: `run(step, cells, tirage)` puts the job
    on the queue and waits for a worker's result, returned as an answer already decided
    (`{"ok": True, "graded": {...}}`). While Redis cannot be reached it says so once through
    `say`, keeps the job and tries again every second: the notebook waits, it is never scored
    as failed. `close()` makes every waiting call raise `Stopped`."""

    isolated = True   # the workers' sandboxes

    def __init__(self, url: str, say: Callable[[str], None]):
        self.url, self.say = url, say
        self.connection = connect(url)
        self.queue = job_queue(self.connection)
        self._stop = threading.Event()
        self._down_lock = threading.Lock()
        self._down = False
        self._last_cleanup = 0.0

    def reachable(self) -> bool:
        try:
            self.connection.ping()
            return True
        except REDIS_ERRORS:
            return False

    def _redis(self, what: Callable):
        """`what()`, again every second while Redis cannot be reached."""
        while True:
            if self._stop.is_set():
                raise Stopped()
            try:
                value = what()
            except REDIS_ERRORS as exc:
                with self._down_lock:
                    if not self._down:
                        self._down = True
                        self.say(f"Redis unreachable at {self.url} ({type(exc).__name__}): submissions wait, "
                                 "none is lost; grading resumes when Redis is back")
                self._stop.wait(1.0)
                continue
            with self._down_lock:
                if self._down:
                    self._down = False
                    self.say(f"Redis is back at {self.url}: grading resumes")
            return value

    def _enqueue(self, job: dict) -> Job:
        return self.queue.enqueue(JOB_FUNCTION, job, job_id=f"kit-{uuid.uuid4().hex}", job_timeout=JOB_TIMEOUT,
                                  description=f"grade a notebook of {job['step']}",
                                  result_ttl=3600, failure_ttl=3600, retry=Retry(max=RETRIES, enqueue_at_front=True))

    def _cleanup(self) -> None:
        """RQ's own clean-up of jobs whose worker stopped beating: retried (Retry) or failed."""
        now = time.monotonic()
        if now - self._last_cleanup >= HEARTBEAT_SECONDS:
            self._last_cleanup = now
            StartedJobRegistry(queue=self.queue).cleanup()

    def run(self, step: str, cells: list, tirage: dict) -> dict:
        payload = job_of(step, cells, tirage)
        job = self._redis(lambda: self._enqueue(payload))
        while True:
            result = self._redis(lambda: job.latest_result(timeout=1))
            if result is not None:
                if result.type == result.Type.SUCCESSFUL:
                    return {"ok": True, "graded": result.return_value}
                status = self._redis(job.get_status)
                if status == "failed":   # no retry left
                    return {"ok": False, "code": "sandbox_failed",
                            "error": f"the grading worker failed: {str(result.exc_string)[-300:]}"}
                self._stop.wait(0.5)   # a failed try that RQ retries: a later result will tell
                continue
            self._redis(self._cleanup)
            if self._redis(lambda: self._lost(job)):   # Redis restarted empty: the job is gone
                job = self._redis(lambda: self._enqueue(payload))

    def _lost(self, job: Job) -> bool:
        try:
            job.refresh()
            return False
        except NoSuchJobError:
            return True

    def close(self) -> None:
        self._stop.set()
