"""The pipeline end to end with the local engine, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import io
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import func
from sqlmodel import select

from palett.models import CreditTransaction, GeneratedImage, Job, UsageLog, User, utcnow
from palett.services.accounts import users as accounts
from palett.services.billing import credits
from palett.services.common.errors import UserError
from palett.services.generation import pipeline
from palett.services.generation.submit import write_job
from palett.services.media import images
from palett.services.media.storage import get_storage
from tests.conftest import reset_caches

PROMPT = {"model": "local-preview", "prompt": "a quiet harbour at sunset", "size": "square"}


def new_user(db, email="maker@example.com", credits_: int | None = None) -> User:
    with db() as s:
        user = accounts.create_user(s, email=email, verified=True)
        if credits_ is not None:
            credits.apply(s, user_id=user.id, delta=credits_ - user.credits, kind=credits.Kind.admin_adjust,
                          idempotency_key=f"test-adjust:{user.id}")
            s.refresh(user)
        return user


def submit(db, user: User, **overrides) -> int:
    with db() as s:
        return write_job(s, user=s.get(User, user.id), params={**PROMPT, **overrides}).id


def balance_matches_ledger(db, user_id: int) -> int:
    with db() as s:
        balance = s.get(User, user_id).credits
        assert balance == credits.ledger_sum(s, user_id) and balance >= 0
        return balance


def test_local_job_runs_stores_images_and_captures(db):
    user = new_user(db)
    job_id = submit(db, user, num_images=2)
    assert balance_matches_ledger(db, user.id) == 8  # reserved at submit
    asyncio.run(pipeline.execute(job_id))
    with db() as s:
        job = s.get(Job, job_id)
        assert job.status == "succeeded" and job.charged == 2 and job.progress == 1.0
        imgs = s.exec(select(GeneratedImage).where(GeneratedImage.job_id == job_id)).all()
        assert len(imgs) == 2
        assert imgs[0].recipe["local"] is True and imgs[0].recipe["engine"] == "local"
        assert "not AI" in imgs[0].recipe["label"]
        assert imgs[0].seed is not None and imgs[1].seed == imgs[0].seed + 1
        storage = get_storage()
        png = Image.open(io.BytesIO(storage.get(imgs[0].image_url)))
        assert png.format == "PNG" and "not AI" in png.text["Software"]  # labelled inside the file too
        assert storage.get(imgs[0].thumbnail_url)[8:12] == b"WEBP"
        kinds = [t.kind for t in s.exec(select(CreditTransaction).where(CreditTransaction.user_id == user.id))]
        assert kinds == ["grant", "reserve", "capture"]
        assert s.exec(select(UsageLog).where(UsageLog.job_id == job_id)).one().status == "succeeded"
    assert balance_matches_ledger(db, user.id) == 8


def test_local_outputs_are_not_decoded_again_and_keep_only_our_label(db, monkeypatch):
    """The heavy-work process sends its pixels back with the PNG: the pipeline labels the PNG as it is and
    thumbnails those pixels instead of decoding what our own engine just encoded."""
    decodes, decode = [], images.open_safely
    monkeypatch.setattr(images, "open_safely", lambda *a: decodes.append(a) or decode(*a))
    user = new_user(db)
    job_id = submit(db, user, num_images=1)
    asyncio.run(pipeline.execute(job_id))
    assert decodes == []
    with db() as s:
        img = s.exec(select(GeneratedImage).where(GeneratedImage.job_id == job_id)).one()
    storage = get_storage()
    png = Image.open(io.BytesIO(storage.get(img.image_url)))
    assert (png.width, png.height) == (img.width, img.height)
    assert set(png.text) == {"Software", "palett:engine", "palett:model", "palett:job"}
    thumb = Image.open(io.BytesIO(storage.get(img.thumbnail_url)))
    assert max(thumb.size) == images.THUMBNAIL_SIZE


def test_not_enough_credits_is_refused_before_anything_is_submitted(db):
    user = new_user(db, credits_=1)
    with pytest.raises(UserError) as err:
        submit(db, user, num_images=2)
    assert err.value.code == "no_credits" and "needs 2 credits and you have 1" in err.value.message
    with db() as s:
        assert s.exec(select(func.count()).select_from(Job)).one() == 0
    assert balance_matches_ledger(db, user.id) == 1


@pytest.mark.parametrize(("override", "code"), [
    ({"prompt": "   "}, "invalid_input"), ({"prompt": "x" * 2001}, "invalid_input"),
    ({"num_images": 5}, "invalid_input"), ({"size": "huge"}, "unsupported"),
    ({"steps": 20}, "unsupported"), ({"negative_prompt": "cats"}, "unsupported"),
    ({"model": "nope"}, "unknown_model"), ({"model": "flux-dev"}, "model_unavailable"),
])
def test_bad_input_is_refused_with_a_clear_code(db, override, code):
    user = new_user(db)
    with pytest.raises(UserError) as err:
        submit(db, user, **override)
    assert err.value.code == code and err.value.message
    assert balance_matches_ledger(db, user.id) == 10


def test_rate_limit_per_plan(db, monkeypatch):
    monkeypatch.setenv("RATE_LIMIT_FREE", "3/hour")
    reset_caches()
    user = new_user(db)
    for _ in range(3):
        submit(db, user)
    with pytest.raises(UserError) as err:
        submit(db, user)
    assert err.value.code == "rate_limited" and "3 per hour" in err.value.message
    assert balance_matches_ledger(db, user.id) == 7


def test_cancel_refunds_once_and_only_for_the_owner(db):
    user = new_user(db)
    other = new_user(db, "other@example.com")
    job_id = submit(db, user, num_images=3)
    with db() as s:
        assert not pipeline.cancel(s, user_id=other.id, job_id=job_id)
        assert pipeline.cancel(s, user_id=user.id, job_id=job_id)
    with db() as s:
        assert not pipeline.cancel(s, user_id=user.id, job_id=job_id)
    asyncio.run(pipeline.execute(job_id))  # a runner that picks it up later does nothing
    with db() as s:
        assert s.get(Job, job_id).status == "cancelled"
        assert s.exec(select(func.count()).select_from(GeneratedImage)).one() == 0
    assert balance_matches_ledger(db, user.id) == 10


def test_failure_reported_twice_refunds_once(db):
    user = new_user(db)
    job_id = submit(db, user, num_images=2)
    assert pipeline.fail(job_id, "The model reported an error.")
    assert not pipeline.fail(job_id, "again, from the poller")
    with db() as s:
        refunds = s.exec(select(CreditTransaction).where(CreditTransaction.kind == "refund")).all()
        assert [r.delta for r in refunds] == [2]
    assert balance_matches_ledger(db, user.id) == 10


def test_sweeper_times_out_stuck_jobs_and_refunds(db):
    user = new_user(db)
    job_id = submit(db, user)
    with db() as s:
        job = s.get(Job, job_id)
        job.status, job.deadline_at = "running", utcnow() - timedelta(seconds=1)
        s.add(job)
    assert pipeline.sweep() == [job_id]
    assert pipeline.sweep() == []
    with db() as s:
        assert s.get(Job, job_id).error == "Timed out"
    assert balance_matches_ledger(db, user.id) == 10


def test_a_job_left_running_by_a_crash_completes_on_restart(db):
    user = new_user(db)
    job_id = submit(db, user)
    with db() as s:  # the runner had claimed it and then the process died
        job = s.get(Job, job_id)
        job.status, job.attempts = "running", 1
        s.add(job)
    assert pipeline.active_job_ids() == [job_id]
    asyncio.run(pipeline.execute(job_id))
    with db() as s:
        job = s.get(Job, job_id)
        assert job.status == "succeeded" and job.attempts == 2
    assert balance_matches_ledger(db, user.id) == 9


def test_200_concurrent_submits_on_50_credits_reserve_exactly_50(db, monkeypatch):
    monkeypatch.setenv("RATE_LIMIT_FREE", "1000/hour")
    reset_caches()
    user = new_user(db, credits_=50)

    def one(_: int) -> bool:
        try:
            submit(db, user)
            return True
        except UserError as err:
            assert err.code == "no_credits"
            return False

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(one, range(200)))
    assert sum(results) == 50
    with db() as s:
        assert s.exec(select(func.count()).select_from(Job)).one() == 50
    assert balance_matches_ledger(db, user.id) == 0
