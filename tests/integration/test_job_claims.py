"""A job runs once however many processes try to run it: a conditional claim with a lease."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlmodel import SQLModel, col

from palett.models import Job, utcnow
from palett.services.generation import pipeline
from tests.conftest import reset_caches
from tests.integration.test_pipeline_local import balance_matches_ledger, new_user, submit

ROOT = Path(__file__).parents[2]


def test_of_twenty_simultaneous_claims_exactly_one_wins(db):
    job_id = submit(db, new_user(db))
    with ThreadPoolExecutor(20) as pool:
        won = [job for job in pool.map(lambda i: pipeline._claim(job_id, f"proc-{i}"), range(20)) if job]
    assert len(won) == 1
    assert won[0].status == "running" and won[0].attempts == 1 and won[0].claimed_by.startswith("proc-")


def test_a_dead_owners_job_is_resumed_only_after_its_lease_runs_out(db):
    job_id = submit(db, new_user(db))
    assert pipeline._claim(job_id, "alive-then-killed") is not None
    assert pipeline._claim(job_id, "sibling") is None
    assert job_id not in pipeline.active_job_ids()  # held: no sibling resumes it
    with db() as s:
        s.execute(update(Job).where(col(Job.id) == job_id).values(lease_until=utcnow() - timedelta(seconds=1)))
    assert job_id in pipeline.active_job_ids()
    taken = pipeline._claim(job_id, "sibling")
    assert taken is not None and taken.claimed_by == "sibling" and taken.attempts == 2


@pytest.fixture
def pg(pg_database, monkeypatch):
    import palett.models  # noqa: F401
    from palett.services.common.db import engine_for, session_scope

    monkeypatch.setenv("DATABASE_URL", pg_database)
    reset_caches()
    engine = engine_for(pg_database)
    SQLModel.metadata.drop_all(engine)
    SQLModel.metadata.create_all(engine)
    yield session_scope
    SQLModel.metadata.drop_all(engine)
    engine.dispose()


def test_three_processes_resuming_at_once_run_each_job_once_and_submit_to_fal_once(pg, fal_on, tmp_path):
    """What every web process does at start-up with in-process dispatch: resume every unfinished job."""
    user = new_user(pg)
    jobs = [submit(pg, user, model="flux-dev", size="landscape_4_3", num_images=1) for _ in range(4)]
    resume = textwrap.dedent("""
        import asyncio
        from palett.services.generation import pipeline

        async def main():
            await asyncio.gather(*(pipeline.execute(job_id) for job_id in pipeline.active_job_ids()))

        asyncio.run(main())
    """)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([sys.executable, "-c", resume], cwd=tmp_path, env=env, stderr=subprocess.PIPE)
             for _ in range(3)]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()[-3000:]
    assert len(fal_on.submits("fal-ai/flux/dev")) == len(jobs)  # one submission per job, not one per process
    with pg() as s:
        done = [s.get(Job, job_id) for job_id in jobs]
    assert [j.status for j in done] == ["succeeded"] * len(jobs)
    assert all(j.attempts == 1 and j.claimed_by is None for j in done)
    assert balance_matches_ledger(pg, user.id) == 10 - sum(j.charged for j in done)
