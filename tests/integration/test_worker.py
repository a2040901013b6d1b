"""DISPATCH=worker: procrastinate workers on real PostgreSQL run, order, recover and sweep jobs."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlmodel import SQLModel

from palett import worker
from palett.models import Job, User, utcnow
from palett.services.generation import dispatch
from palett.services.generation import procrastinate_queue as queue
from tests.conftest import reset_caches
from tests.integration.test_pipeline_local import balance_matches_ledger, new_user, submit

ROOT = Path(__file__).parents[2]


@pytest.fixture
def pg_db(pg_database, monkeypatch) -> Iterator[Any]:
    """The test database with the app's tables and procrastinate's schema, and DISPATCH=worker."""
    import palett.models  # noqa: F401
    from palett.services.common.db import engine_for, session_scope

    monkeypatch.setenv("DATABASE_URL", pg_database)
    monkeypatch.setenv("DISPATCH", "worker")
    reset_caches()
    engine = engine_for(pg_database)
    SQLModel.metadata.drop_all(engine)
    SQLModel.metadata.create_all(engine)
    stamp_head(pg_database)  # workers refuse a database at another revision
    drop_procrastinate(pg_database)
    assert queue.ensure_schema() is True
    assert queue.ensure_schema() is False  # idempotent
    yield session_scope
    queue.app_for(queue.conninfo(), sync=True).close()  # the web side's defer pool
    queue.app_for.cache_clear()
    drop_procrastinate(pg_database)
    SQLModel.metadata.drop_all(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    engine.dispose()


def stamp_head(url: str) -> None:
    from alembic import command
    from tests.integration.test_migrations import alembic_config

    command.stamp(alembic_config(url), "head")


def drop_procrastinate(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{queue.SCHEMA}" CASCADE')


def queue_rows(url: str, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with psycopg.connect(url, autocommit=True, options=f"-c search_path={queue.SCHEMA}") as conn:
        return conn.execute(sql, params).fetchall()


def job(db, job_id: int) -> Job:
    with db() as s:
        return s.get(Job, job_id)


def wait_for(check: Callable[[], Any], what: str, *procs: subprocess.Popen, timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        for proc in procs:
            assert proc.poll() is None, f"worker exited with {proc.returncode}:\n{Path(proc.args[-1]).read_text()}"
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def start_worker(tmp_path: Path, name: str) -> subprocess.Popen:
    """`python -m palett.worker` with this test's environment (database, data folder, Fal emulator)."""
    log = tmp_path / f"{name}.log"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "palett.worker"], cwd=tmp_path, env=env,
                                stdout=out, stderr=subprocess.STDOUT)
    proc.args = [*proc.args, str(log)]  # type: ignore[list-item]  (wait_for prints it on failure)
    return proc


def stop_gracefully(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0, Path(proc.args[-1]).read_text()


def test_a_worker_process_runs_an_enqueued_job(pg_db, pg_database, tmp_path):
    proc = start_worker(tmp_path, "worker")
    try:
        wait_for(lambda: queue_rows(pg_database, "SELECT id FROM procrastinate_workers"), "the worker", proc)
        user = new_user(pg_db)
        job_id = submit(pg_db, user, num_images=2)
        asyncio.run(dispatch.enqueue(job_id, 0))
        wait_for(lambda: job(pg_db, job_id).status == "succeeded", "the job to succeed", proc)
    finally:
        stop_gracefully(proc)
    done = job(pg_db, job_id)
    assert done.charged == 2 and done.attempts == 1
    assert balance_matches_ledger(pg_db, user.id) == 8
    assert queue_rows(pg_database, "SELECT id FROM procrastinate_workers") == []  # it unregistered


async def test_priority_jobs_start_first(pg_db):
    user = new_user(pg_db)
    premium = new_user(pg_db, "premium@example.com")
    with pg_db() as s:
        row = s.get(User, premium.id)
        row.plan = "premium"
        s.add(row)
    normal_id = submit(pg_db, user)
    premium_id = submit(pg_db, premium)
    for job_id in (normal_id, premium_id):  # the normal job is queued first
        await dispatch.enqueue(job_id, job(pg_db, job_id).priority)
    assert job(pg_db, premium_id).priority == 10
    await worker.serve(concurrency=1, wait=False, install_signal_handlers=False)
    normal, first = job(pg_db, normal_id), job(pg_db, premium_id)
    assert normal.status == first.status == "succeeded"
    assert first.started_at < normal.started_at
    balance_matches_ledger(pg_db, user.id)
    balance_matches_ledger(pg_db, premium.id)


def test_a_worker_killed_mid_job_is_replaced_and_the_job_resumes(pg_db, pg_database, fal_on, tmp_path):
    fal_on.behave("fal-ai/flux/dev", "hang")  # the job runs until the test lets Fal finish it
    user = new_user(pg_db)
    job_id = submit(pg_db, user, model="flux-dev", size="landscape_4_3", num_images=1)
    asyncio.run(dispatch.enqueue(job_id, 0))
    first = start_worker(tmp_path, "first")
    try:
        wait_for(lambda: job(pg_db, job_id).provider_request_id, "the job to reach Fal", first)
    finally:
        first.kill()  # SIGKILL: no goodbye, the job stays "doing" and its worker row stays
        first.wait(10)
    assert job(pg_db, job_id).status == "running"
    # Its heartbeat has stopped; rather than sleep through worker_stalled_seconds, make it old.
    queue_rows(pg_database, "UPDATE procrastinate_workers SET last_heartbeat = now() - interval '1 hour' RETURNING id")
    (request,) = fal_on.submits("fal-ai/flux/dev")
    fal_on.finish(request.request_id)

    second = start_worker(tmp_path, "second")
    try:
        wait_for(lambda: job(pg_db, job_id).status == "succeeded", "the job to succeed", second)
    finally:
        stop_gracefully(second)
    done = job(pg_db, job_id)
    assert done.attempts == 2 and done.provider_request_id == request.request_id
    assert len(fal_on.submits("fal-ai/flux/dev")) == 1  # resumed polling; Fal was never asked twice
    assert balance_matches_ledger(pg_db, user.id) == 10 - done.charged and done.charged == done.cost


async def test_the_sweeper_redefers_lost_jobs_and_times_out_late_ones(pg_db, pg_database):
    user = new_user(pg_db)
    lost_id = submit(pg_db, user)  # committed, but its defer never happened (web process died)
    late_id = submit(pg_db, user)
    with pg_db() as s:
        late = s.get(Job, late_id)
        late.status, late.deadline_at = "running", utcnow() - timedelta(seconds=1)
        s.add(late)
    app = queue.get_app()
    async with app.open_async():
        await queue.sweep_jobs(timestamp=int(time.time()))
        assert await queue.recover(app) == queue.Recovered()  # nothing left to do the second time
    assert job(pg_db, late_id).status == "failed" and job(pg_db, late_id).error == "Timed out"
    queued = queue_rows(pg_database, "SELECT args, lock, status FROM procrastinate_jobs WHERE task_name = %s",
                        queue.RUN_JOB)
    assert queued == [({"job_id": lost_id}, f"job:{lost_id}", "todo")]
    await dispatch.enqueue(lost_id, 0)  # its queueing lock keeps a second copy out
    assert len(queue_rows(pg_database, "SELECT id FROM procrastinate_jobs WHERE task_name = %s", queue.RUN_JOB)) == 1

    await worker.serve(wait=False, install_signal_handlers=False)
    assert job(pg_db, lost_id).status == "succeeded"
    assert balance_matches_ledger(pg_db, user.id) == 9


async def test_a_job_hung_past_its_deadline_frees_its_worker_and_is_refunded(pg_db, fal_on):
    fal_on.behave("fal-ai/flux/dev", "hang")  # Fal never answers
    user = new_user(pg_db)
    job_id = submit(pg_db, user, model="flux-dev", size="landscape_4_3", num_images=1)
    with pg_db() as s:
        row = s.get(Job, job_id)
        row.deadline_at = utcnow() + timedelta(seconds=1)
        s.add(row)
    await dispatch.enqueue(job_id, 0)
    await asyncio.wait_for(worker.serve(wait=False, install_signal_handlers=False), 20)
    done = job(pg_db, job_id)
    assert done.status == "failed" and done.error == "Timed out"
    assert balance_matches_ledger(pg_db, user.id) == 10


async def test_a_graceful_stop_puts_the_running_job_back_in_the_queue(pg_db, pg_database, fal_on):
    fal_on.behave("fal-ai/flux/dev", "hang")
    user = new_user(pg_db)
    job_id = submit(pg_db, user, model="flux-dev", size="landscape_4_3", num_images=1)
    await dispatch.enqueue(job_id, 0)
    running = asyncio.create_task(worker.serve(install_signal_handlers=False, shutdown_graceful_timeout=0.2))
    deadline = time.monotonic() + 30
    while not job(pg_db, job_id).provider_request_id:
        assert time.monotonic() < deadline, "the worker never sent the job to the provider"
        await asyncio.sleep(0.05)
    running.cancel()  # what SIGTERM does, without signalling the test process
    with pytest.raises(asyncio.CancelledError):
        await running
    assert queue_rows(pg_database, "SELECT status FROM procrastinate_jobs WHERE task_name = %s",
                      queue.RUN_JOB) == [("todo",)]
    assert job(pg_db, job_id).status == "running"  # for the next worker to resume, not refunded
