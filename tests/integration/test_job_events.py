"""Job watchers are woken by commits that change their user's jobs (in process, and across processes on
PostgreSQL through LISTEN/NOTIFY), not by polling."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from palett.services.generation import job_events, pipeline
from tests.integration.test_pipeline_local import new_user, submit


async def woken_within(user_id: int, seconds: float, during) -> bool:
    """Start waiting, run `during` in a thread, and say whether the waiter was woken in time."""
    seen = job_events.version(user_id)
    waiter = asyncio.create_task(job_events.wait(user_id, seen=seen, timeout=seconds))
    await asyncio.sleep(0.2)  # the waiter is waiting (and, on PostgreSQL, listening)
    await asyncio.to_thread(during)
    return await waiter


def test_a_commit_wakes_the_users_watchers_and_a_rollback_does_not(db):
    user = new_user(db)

    def change(rollback: bool, user_id: int = user.id):
        with pytest.raises(RuntimeError) if rollback else _nothing(), db() as s:
            job_events.notify(s, user_id)
            if rollback:
                raise RuntimeError("rolled back")

    assert asyncio.run(woken_within(user.id, 5, lambda: change(False)))
    assert not asyncio.run(woken_within(user.id, 1, lambda: change(True)))
    assert not asyncio.run(woken_within(user.id, 1, lambda: change(False, user_id=user.id + 1)))


def test_a_change_made_while_the_watcher_was_reading_wakes_it_at_once(db):
    user = new_user(db)

    async def scenario() -> float:
        await job_events.wait(user.id, seen=job_events.version(user.id), timeout=0.2)  # listening (PostgreSQL)
        seen = job_events.version(user.id)  # the watcher starts reading its jobs...
        await asyncio.to_thread(_notify_in_a_transaction, db, user.id)  # ...and a job changes meanwhile
        await asyncio.sleep(0.5)  # the notification arrives while it is still reading
        started = time.monotonic()
        assert await job_events.wait(user.id, seen=seen, timeout=5)
        return time.monotonic() - started

    assert asyncio.run(scenario()) < 0.1


def test_a_burst_of_changes_is_read_once_and_a_later_change_again(db):
    """Submitted, claimed and first progress land within milliseconds: an open tab reads its cards once for
    them (one state update), not three times; a change after the burst is still read."""
    user = new_user(db)

    async def scenario() -> tuple[int, int]:
        reads = 0
        await job_events.wait(user.id, seen=job_events.version(user.id), timeout=0.2)  # listening (PostgreSQL)

        async def watch() -> None:
            nonlocal reads
            async for _ in job_events.changes(user.id, timeout=30):
                reads += 1

        watcher = asyncio.create_task(watch())
        await asyncio.sleep(0.2)
        for _ in range(3):
            await asyncio.to_thread(_notify_in_a_transaction, db, user.id)
        await asyncio.sleep(job_events.SETTLE_SECONDS + 0.5)
        burst = reads
        await asyncio.to_thread(_notify_in_a_transaction, db, user.id)
        await asyncio.sleep(job_events.SETTLE_SECONDS + 0.5)
        watcher.cancel()
        return burst, reads

    assert asyncio.run(scenario()) == (2, 3)  # the first read, one for the burst; then one more


def _notify_in_a_transaction(db, user_id: int) -> None:
    with db() as s:
        job_events.notify(s, user_id)


def test_running_a_job_wakes_its_owners_watcher_on_every_step(db):
    user = new_user(db)
    job_id = submit(db, user)
    seen = job_events.version(user.id)
    asyncio.run(_execute_and_settle(job_id, user.id, seen))
    assert job_events.version(user.id) >= seen + 2  # claimed (running), then finished


async def _execute_and_settle(job_id: int, user_id: int, seen: int) -> None:
    await job_events.wait(user_id, seen=seen, timeout=0.1)  # starts the listener on PostgreSQL
    await pipeline.execute(job_id)
    deadline = time.monotonic() + 5
    while job_events.version(user_id) < seen + 2 and time.monotonic() < deadline:
        await job_events.wait(user_id, seen=job_events.version(user_id), timeout=0.5)


def test_on_postgresql_another_process_wakes_this_ones_watchers(pg_database, monkeypatch):
    from tests.conftest import reset_caches

    monkeypatch.setenv("DATABASE_URL", pg_database)
    reset_caches()
    elsewhere = textwrap.dedent("""
        from palett.services.common.db import session_scope
        from palett.services.generation import job_events
        with session_scope() as db:
            job_events.notify(db, 4242)
    """)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}

    def other_process() -> None:
        subprocess.run([sys.executable, "-c", elsewhere], env=env, check=True, timeout=60)

    assert asyncio.run(woken_within(4242, 10, other_process))


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False
