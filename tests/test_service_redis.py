"""`serve --queue redis://...` with `worker` processes: a real redis-server (the Debian package,
started on a free loopback port and stopped by the fixture), a real nbgrader exchange, students
running the real nbgrader commands. A worker killed mid-job: the job is done by the other, the
submission graded once. Redis stopped: serve says so, keeps the submission, grades it when
Redis is back."""
from __future__ import annotations

import copy
import os
import shutil
import signal
import subprocess
import time

import pytest

from service_support import (ASSIGNMENT, Process, Student, free_port, graded_lines, make_course_with_exchange,
                             notebooks_of)
from test_service import RIGHT, gradebook_submissions, kit_scores, submission_scores

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
pytestmark = pytest.mark.skipif(not os.path.exists(REDIS_SERVER),
                                reason="redis-server is not installed (scripts/setup.sh installs it)")
SLOW_CELL = "import time\ntime.sleep(2)   # a slow cell: the job lasts long enough to kill its worker\n"


class RedisServer:
    def __init__(self, folder, port: int):
        self.folder, self.port, self.proc = folder, port, None
        self.url = f"redis://127.0.0.1:{port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen([REDIS_SERVER, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
                                      "--appendonly", "no", "--dir", str(self.folder), "--daemonize", "no"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        from redis import Redis

        client = Redis.from_url(self.url, socket_connect_timeout=1)
        for _ in range(100):
            try:
                client.ping()
                return
            except Exception:  # noqa: BLE001
                time.sleep(0.1)
        raise AssertionError("redis-server did not start")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path, free_port())
    server.start()
    yield server
    server.stop()



def start_service(tmp_path, redis_url: str, processes: list, workers: int = 2):
    course = make_course_with_exchange(tmp_path)
    serve = Process(["serve", ASSIGNMENT, "--queue", redis_url], course, tmp_path / "serve.log")
    processes.append(serve)
    started = []
    for i in range(workers):
        worker = Process(["worker", "--queue", redis_url, "--jobs", "1"], tmp_path, tmp_path / f"worker{i}.log")
        processes.append(worker)
        started.append(worker)
    serve.wait_for("serving ", timeout=180)
    for worker in started:
        worker.wait_for(" ready: warm sandbox", timeout=180)
    return course, serve, started


def decided_cells(course, student: str) -> int:
    """How many of the student's test cells have an auto score in the gradebook."""
    import sqlite3

    if not (course / "gradebook.db").exists():
        return 0
    with sqlite3.connect(course / "gradebook.db") as db:
        return db.execute("""select count(*) from grade g join submitted_notebook sn on sn.id = g.notebook_id
                               join submitted_assignment sa on sa.id = sn.assignment_id
                              where sa.student_id = ? and g.auto_score is not null""", (student,)).fetchone()[0]


def with_slow_cell(notebooks: dict[str, dict]) -> dict[str, dict]:
    out = copy.deepcopy(notebooks)
    name = sorted(out)[-1]
    out[name]["cells"].append({"cell_type": "code", "id": "cellule-lente", "execution_count": None, "metadata": {},
                               "outputs": [], "source": SLOW_CELL})
    return out


def test_a_worker_killed_mid_job_its_job_is_done_by_the_other_graded_once(tmp_path, redis_server, processes):
    from redis import Redis
    from rq.job import Job
    from rq.registry import StartedJobRegistry
    from rq.serializers import JSONSerializer
    from rq.worker import Worker

    from autograder.service.queue import job_queue

    course, serve, workers = start_service(tmp_path, redis_server.url, processes)
    alice = Student("alice", tmp_path, tmp_path / "exchange")
    alice.fetch()
    notebooks = with_slow_cell(notebooks_of(RIGHT))
    alice.fill(notebooks)
    alice.submit()

    connection = Redis.from_url(redis_server.url)
    registry = StartedJobRegistry(queue=job_queue(connection))
    victim = None
    deadline = time.monotonic() + 60
    while victim is None and time.monotonic() < deadline:
        for job_id in registry.get_job_ids():
            job = Job.fetch(job_id, connection=connection, serializer=JSONSerializer)
            if any("time.sleep(2)" in c["source"] for c in job.args[0]["cells"]) and job.worker_name:
                victim = Worker.find_by_key(Worker.redis_worker_namespace_prefix + job.worker_name,
                                            connection=connection, serializer=JSONSerializer)
        time.sleep(0.1)
    assert victim is not None, "the slow notebook's job was never seen running"
    killed = next(w for w in workers if w.proc.pid == victim.pid)
    os.kill(victim.pid, signal.SIGKILL)                 # mid-job: the slow cell sleeps 2 s, four runs
    killed.proc.wait(timeout=10)

    out = serve.wait_for("graded ", timeout=120)
    time.sleep(2)
    assert [line.split()[1] for line in graded_lines(serve.output)] == ["alice"], out
    survivor = next(w for w in workers if w is not killed)
    assert survivor.proc.poll() is None
    expected, _ = kit_scores(tmp_path / "ref", notebooks)
    assert submission_scores(course) == {"alice": expected}
    assert [s for s, _ in gradebook_submissions(course)] == ["alice"]
    assert len(alice.fetch_feedback()) == 1
    assert serve.interrupt() == 0, serve.output


def test_redis_down_serve_says_so_and_grades_when_it_is_back(tmp_path, redis_server, processes):
    course, serve, workers = start_service(tmp_path, redis_server.url, processes, workers=1)
    bruno = Student("bruno", tmp_path, tmp_path / "exchange")
    bruno.fetch()
    bruno.fill(notebooks_of(RIGHT))
    redis_server.stop()
    bruno.submit()
    serve.wait_for("Redis unreachable", timeout=60)
    time.sleep(2)
    assert graded_lines(serve.output) == []             # nothing graded (nor scored 0) while Redis is away
    assert decided_cells(course, "bruno") == 0          # nbgrader's rows may exist (collected), no grade in them
    redis_server.start()                                # the same port, empty: the job is put on it again
    out = serve.wait_for("graded ", timeout=180)
    assert "Redis is back" in out
    expected, _ = kit_scores(tmp_path / "ref", notebooks_of(RIGHT))
    assert submission_scores(course) == {"bruno": expected}
    assert len(bruno.fetch_feedback()) == 1
    assert serve.interrupt() == 0, serve.output


def test_redis_restarted_empty_serve_puts_the_lost_jobs_on_it_again(tmp_path, redis_server, processes):
    from redis import Redis

    from autograder.service.queue import job_queue

    course, serve, _ = start_service(tmp_path, redis_server.url, processes, workers=0)
    chloe = Student("chloe", tmp_path, tmp_path / "exchange")
    chloe.fetch()
    chloe.fill(notebooks_of(RIGHT))
    chloe.submit()
    queue = job_queue(Redis.from_url(redis_server.url))
    deadline = time.monotonic() + 60
    while queue.count < len(notebooks_of(RIGHT)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert queue.count == len(notebooks_of(RIGHT)), f"the submission's jobs never reached the queue:\n{serve.output}"
    redis_server.stop()
    redis_server.start()                                # the same port, empty: every job is lost
    assert job_queue(Redis.from_url(redis_server.url)).count == 0
    worker = Process(["worker", "--queue", redis_server.url, "--jobs", "1"], tmp_path, tmp_path / "worker.log")
    processes.append(worker)
    serve.wait_for("graded ", timeout=180)
    time.sleep(2)
    assert [line.split()[1] for line in graded_lines(serve.output)] == ["chloe"], serve.output
    expected, _ = kit_scores(tmp_path / "ref", notebooks_of(RIGHT))
    assert submission_scores(course) == {"chloe": expected}
    assert [s for s, _ in gradebook_submissions(course)] == ["chloe"]
    assert len(chloe.fetch_feedback()) == 1
    assert serve.interrupt() == 0, serve.output
