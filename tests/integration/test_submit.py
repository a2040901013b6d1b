"""The submit service: one call validates, rate limits, reserves, writes, commits and enqueues."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func
from sqlmodel import select

from palett.models import CreditTransaction, Job
from palett.services.common.errors import UserError
from palett.services.generation import dispatch, submit
from tests.conftest import reset_caches
from tests.integration.test_pipeline_local import PROMPT, balance_matches_ledger, new_user


def count(db, model, user_id: int) -> int:
    with db() as s:
        return s.exec(select(func.count()).select_from(model).where(model.user_id == user_id)).one()


async def wait_until_done(db, job_id: int, timeout: float = 30) -> Job:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with db() as s:
            job = s.get(Job, job_id)
            if job.status not in ("queued", "running"):
                return job
        await asyncio.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish within {timeout} s")


async def test_a_submitted_job_runs_on_the_in_process_queue_and_is_charged_once(db):
    user = new_user(db)  # 10 free credits
    queue = asyncio.create_task(dispatch.get_queue().serve())
    try:
        made = await submit.submit(user_id=user.id, requests=[{**PROMPT, "num_images": 2}])
        assert made.reserved == 2 and made.balance == 8 and made.batch_id is None
        job = await wait_until_done(db, made.job_ids[0])
    finally:
        queue.cancel()
    assert job.status == "succeeded" and job.charged == 2
    assert balance_matches_ledger(db, user.id) == 8
    with db() as s:  # reserve + capture of 0 (nothing returned): the job is paid once
        kinds = s.exec(select(CreditTransaction.kind).where(CreditTransaction.user_id == user.id,
                                                            CreditTransaction.kind != "grant")).all()
    assert sorted(kinds) == ["capture", "reserve"]


async def test_a_batch_shares_one_id_and_is_reserved_together(db):
    user = new_user(db)
    made = await submit.submit(user_id=user.id, requests=[PROMPT, PROMPT, PROMPT], batch=True)
    assert len(made.job_ids) == 3 and made.batch_id and made.reserved == 3
    with db() as s:
        assert {j.batch_id for j in s.exec(select(Job).where(Job.user_id == user.id))} == {made.batch_id}


async def test_without_enough_credits_nothing_is_written(db):
    user = new_user(db, credits_=3)
    with pytest.raises(UserError) as err:  # the third request does not fit: none of the three is kept
        await submit.submit(user_id=user.id, requests=[{**PROMPT, "num_images": 2}] * 2, batch=True)
    assert err.value.code == "no_credits"
    assert count(db, Job, user.id) == 0
    assert balance_matches_ledger(db, user.id) == 3


async def test_over_the_rate_limit_nothing_is_written(db, monkeypatch):
    monkeypatch.setenv("RATE_LIMIT_FREE", "2/hour")
    reset_caches()
    user = new_user(db)
    await submit.submit(user_id=user.id, requests=[PROMPT])
    await submit.submit(user_id=user.id, requests=[PROMPT])
    with pytest.raises(UserError) as err:
        await submit.submit(user_id=user.id, requests=[PROMPT])
    assert err.value.code == "rate_limited"
    assert count(db, Job, user.id) == 2
    assert balance_matches_ledger(db, user.id) == 8


async def test_a_batch_over_the_limit_is_refused_before_anything_is_written(db):
    user = new_user(db, credits_=100)
    with pytest.raises(UserError) as err:
        await submit.submit(user_id=user.id, requests=[PROMPT] * (submit.MAX_BATCH + 1), batch=True)
    assert err.value.code == "too_many_selected"
    assert count(db, Job, user.id) == 0


def test_parallel_submits_reserve_atomically_and_never_overdraw(db, monkeypatch):
    """The reservation skips the repeated-key guard (its key names the job just inserted): the conditional
    UPDATE alone must still let exactly as many jobs through as the balance pays for, each charged once."""
    monkeypatch.setenv("RATE_LIMIT_FREE", "1000/hour")
    reset_caches()
    user = new_user(db)  # 10 free credits

    def one(_: int) -> str:
        try:
            asyncio.run(submit.submit(user_id=user.id, requests=[PROMPT]))
            return "made"
        except UserError as exc:
            return exc.code

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(one, range(30)))
    assert outcomes.count("made") == 10 and outcomes.count("no_credits") == 20
    assert balance_matches_ledger(db, user.id) == 0
    assert count(db, Job, user.id) == 10
    with db() as s:
        reserves = s.exec(select(CreditTransaction.idempotency_key).where(
            CreditTransaction.user_id == user.id, CreditTransaction.kind == "reserve")).all()
        jobs = s.exec(select(Job).where(Job.user_id == user.id)).all()
    assert sorted(reserves) == sorted(f"job:{job.id}:reserve" for job in jobs)
    assert all(job.charged == job.cost == 1 for job in jobs)
