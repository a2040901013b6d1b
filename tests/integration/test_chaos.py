"""Chaos: a worker killed with SIGKILL, the app's database connections terminated, Redis going away.

Each test asserts what a user would notice: every job ends once and is charged once (balance ==
ledger), the provider is asked once per job (counted on the Fal emulator), and a fault gives a short
message to act on, never a 500 or a lost click.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlmodel import func, select
from starlette.testclient import TestClient

from palett.api import mount_api
from palett.models import Job
from palett.services.billing import credits
from palett.services.common.errors import UserError, message_for
from palett.services.generation import dispatch
from palett.services.generation import procrastinate_queue as queue
from palett.services.generation import submit as submit_service
from tests.conftest import reset_caches
from tests.integration import test_worker
from tests.integration.test_auth_routes import ORIGIN, PW, not_found, signed_up, where
from tests.integration.test_pipeline_local import balance_matches_ledger, new_user, submit
from tests.integration.test_worker import start_worker, stop_gracefully, wait_for

pg_db = test_worker.pg_db  # the fixture: app tables, procrastinate's schema, DISPATCH=worker

FLUX = "fal-ai/flux/dev"
FLUX_JOB = {"model": "flux-dev", "prompt": "a quiet harbour at sunset", "size": "landscape_4_3", "num_images": 1}


def jobs(db, ids: list[int]) -> list[Job]:
    with db() as s:
        return [s.get(Job, i) for i in ids]


def test_a_worker_killed_mid_jobs_loses_nothing_and_fal_is_asked_once_per_job(
        pg_db, pg_database, fal_on, tmp_path, monkeypatch):
    # Quick stalled-worker detection: heartbeats every 0.3 s, silent for 1.5 s = dead.
    monkeypatch.setenv("WORKER_HEARTBEAT_SECONDS", "0.3")
    monkeypatch.setenv("WORKER_STALLED_SECONDS", "1.5")
    monkeypatch.setenv("WORKER_CONCURRENCY", "2")  # each worker holds two of the four jobs
    reset_caches()
    fal_on.behave(FLUX, "hang")  # the jobs run until the test lets Fal finish them
    user = new_user(pg_db, credits_=100)
    ids = [submit(pg_db, user, model="flux-dev", size="landscape_4_3", num_images=1) for _ in range(4)]
    for job_id in ids:
        asyncio.run(dispatch.enqueue(job_id, 0))

    doomed = start_worker(tmp_path, "doomed")
    survivor = None
    try:
        wait_for(lambda: sum(bool(j.provider_request_id) for j in jobs(pg_db, ids)) == 2, "two jobs at Fal", doomed)
        survivor = start_worker(tmp_path, "survivor")
        wait_for(lambda: all(j.provider_request_id for j in jobs(pg_db, ids)), "all four jobs at Fal", survivor)
        assert len(fal_on.submits(FLUX)) == 4
        doomed.kill()  # SIGKILL mid-job: its two jobs stay "doing" and its worker row stays
        doomed.wait(10)

        async def sweep() -> list[int]:  # what the survivor's periodic sweeper does every minute
            app = queue.get_app()
            async with app.open_async():
                return (await queue.recover(app)).stalled

        wait_for(lambda: len(asyncio.run(sweep())) == 2, "the killed worker's two jobs back in the queue",
                 survivor, timeout=20)
        for request in fal_on.submits(FLUX):
            fal_on.finish(request.request_id)
        wait_for(lambda: all(j.status == "succeeded" for j in jobs(pg_db, ids)), "every job to succeed",
                 survivor, timeout=30)
    finally:
        doomed.kill()
        if survivor is not None:
            stop_gracefully(survivor)
    done = jobs(pg_db, ids)
    assert sorted(j.attempts for j in done) == [1, 1, 2, 2]  # the killed worker's two resumed once each
    assert all(j.finished_at is not None and j.finished_at < j.deadline_at for j in done)
    assert len(fal_on.submits(FLUX)) == 4  # re-attached to the stored request ids, never re-submitted
    assert {r.request_id for r in fal_on.submits(FLUX)} == {j.provider_request_id for j in done}
    assert balance_matches_ledger(pg_db, user.id) == 100 - sum(j.cost for j in done)
    assert all(j.charged == j.cost for j in done)


def terminate_app_connections(url: str) -> int:
    """`pg_terminate_backend` on every other connection to the test database (web side and worker)."""
    with psycopg.connect(url, autocommit=True) as conn:
        return len(conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()").fetchall())


def job_count(db) -> int:
    with db() as s:
        return s.exec(select(func.count()).select_from(Job)).one()


def test_connections_killed_mid_submit_and_mid_job(pg_db, pg_database, fal_on, tmp_path, monkeypatch):
    monkeypatch.setenv("WORKER_HEARTBEAT_SECONDS", "0.3")
    monkeypatch.setenv("WORKER_STALLED_SECONDS", "1.5")
    reset_caches()
    fal_on.behave(FLUX, "hang")
    user = new_user(pg_db, credits_=100)
    running = asyncio.run(submit_service.submit(user_id=user.id, requests=[FLUX_JOB])).job_ids[0]
    proc = start_worker(tmp_path, "worker")
    try:
        wait_for(lambda: jobs(pg_db, [running])[0].provider_request_id, "the job to reach Fal", proc)

        apply = credits.apply
        killed: list[int] = []

        def apply_after_a_kill(*args, **kwargs):  # the connection dies inside the submit's transaction
            if not killed:
                killed.append(terminate_app_connections(pg_database))
            return apply(*args, **kwargs)

        monkeypatch.setattr(credits, "apply", apply_after_a_kill)
        with pytest.raises(UserError) as refused:
            asyncio.run(submit_service.submit(user_id=user.id, requests=[FLUX_JOB]))
        assert refused.value.code == "db_unavailable"
        assert refused.value.message == "Couldn't save that — try again; nothing was charged."
        assert killed and killed[0] >= 2  # the submit's connection and the worker's
        assert job_count(pg_db) == 1
        assert balance_matches_ledger(pg_db, user.id) == 100 - jobs(pg_db, [running])[0].cost

        monkeypatch.setattr(credits, "apply", apply)
        again = asyncio.run(submit_service.submit(user_id=user.id, requests=[FLUX_JOB])).job_ids[0]
        ids = [running, again]
        wait_for(lambda: jobs(pg_db, [again])[0].provider_request_id, "the retried submit to reach Fal", proc)
        terminate_app_connections(pg_database)  # again, while both jobs wait on Fal
        for request in fal_on.submits(FLUX):
            fal_on.finish(request.request_id)
        wait_for(lambda: all(j.status == "succeeded" for j in jobs(pg_db, ids)), "both jobs to succeed",
                 proc, timeout=30)
    finally:
        stop_gracefully(proc)
    done = jobs(pg_db, ids)
    assert len(fal_on.submits(FLUX)) == 2  # one submission per job
    assert all(j.finished_at < j.deadline_at and j.charged == j.cost for j in done)
    assert balance_matches_ledger(pg_db, user.id) == 100 - sum(j.cost for j in done)


class OwnRedis:
    """A redis-server of this test's own on a free loopback port (the machine's Redis is never touched)."""

    def __init__(self, folder: Path) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.folder, self.proc = folder, None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.folder)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()  # this test's own process, by its PID
            self.proc.wait(10)


@pytest.fixture
def own_redis(tmp_path) -> Iterator[OwnRedis]:
    folder = tmp_path / "redis"
    folder.mkdir()
    redis = OwnRedis(folder)
    redis.start()
    try:
        yield redis
    finally:
        redis.stop()


def test_redis_down_refuses_sign_in_and_generate_plainly_and_recovers_without_restart(
        pg_db, own_redis, monkeypatch):
    monkeypatch.setenv("REDIS_URL", own_redis.url)
    monkeypatch.setenv("PUBLIC_URL", "http://testserver")
    reset_caches()
    sign_in = {"email": "ada@example.com", "password": PW}
    with TestClient(mount_api(not_found), follow_redirects=False) as client:
        signed_up(client)
        user_id = new_user(pg_db, "maker@example.com", credits_=10).id
        assert client.get("/api/ready").status_code == 200

        own_redis.stop()
        path, query = where(client.post("/api/auth/login", data=sign_in, headers=ORIGIN))
        assert (path, query["error"]) == ("/signin", "try_again_shortly")  # not a 500, not let through uncounted
        assert message_for("try_again_shortly") == "We can't take that right now. Try again shortly."
        with pytest.raises(UserError) as refused:  # the generation limit can't be counted either
            asyncio.run(submit_service.submit(user_id=user_id, requests=[{**FLUX_JOB, "model": "local-preview",
                                                                          "size": "square"}]))
        assert refused.value.code == "try_again_shortly"
        assert job_count(pg_db) == 0 and balance_matches_ledger(pg_db, user_id) == 10  # nothing charged
        ready = client.get("/api/ready")
        assert ready.status_code == 503 and ready.json()["checks"]["redis"]["ok"] is False
        assert client.get("/api/health").status_code == 200  # liveness: no restart for a Redis outage

        own_redis.start()  # the same address, empty: the app reconnects by itself
        assert client.get("/api/ready").status_code == 200
        assert where(client.post("/api/auth/login", data=sign_in, headers=ORIGIN))[0] == "/app"
        made = asyncio.run(submit_service.submit(user_id=user_id, requests=[{**FLUX_JOB, "model": "local-preview",
                                                                             "size": "square"}]))
        assert len(made.job_ids) == 1 and balance_matches_ledger(pg_db, user_id) == 10 - made.reserved
