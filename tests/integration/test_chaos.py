"""Chaos: a worker killed with SIGKILL, the app's database connections terminated, Redis going away.

Each test asserts what a user would notice: every job ends once and is charged once (balance ==
ledger), the provider is asked once per job (counted on the Fal emulator), and a fault gives a short
message to act on, never a 500 or a lost click.
"""

from __future__ import annotations

import asyncio

from palett.models import Job
from palett.services.generation import dispatch
from palett.services.generation import procrastinate_queue as queue
from tests.conftest import reset_caches
from tests.integration import test_worker
from tests.integration.test_pipeline_local import balance_matches_ledger, new_user, submit
from tests.integration.test_worker import start_worker, stop_gracefully, wait_for

pg_db = test_worker.pg_db  # the fixture: app tables, procrastinate's schema, DISPATCH=worker

FLUX = "fal-ai/flux/dev"


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
