"""Submitting generation jobs: the one way a job is created and handed to a queue.

submit(): validate → reserve credits → write the jobs → rate limit (one transaction) → commit →
enqueue. The studio, the editor, the image page, admin retry and the public API all come through
here; nothing else enqueues. `write_job` is the in-transaction step for services that must write a
job together with their own rows (admin retry); run such work through `submit_with` so the jobs it
wrote are enqueued once the transaction has committed.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

from sqlalchemy.exc import DBAPIError
from sqlmodel import Session as DB

from palett.models import GeneratedImage, Job, User, utcnow
from palett.services.billing import credits
from palett.services.billing.allowance import covers
from palett.services.common import metrics, ratelimit
from palett.services.common.db import session_scope
from palett.services.common.errors import UserError
from palett.services.generation import catalog, dispatch, job_events
from palett.services.media.storage import get_storage
from palett.settings import get_settings

log = logging.getLogger(__name__)
MAX_BATCH = 20  # jobs in one batch (studio prompts, editor images)
PREMIUM_PRIORITY = 10
_NEW_JOBS = "palett.new_jobs"  # Session.info key: (job id, priority) written in this transaction
T = TypeVar("T")


@dataclass(frozen=True)
class Submitted:
    """What a caller shows after a submit."""

    job_ids: tuple[int, ...]
    batch_id: str | None
    reserved: int  # credits held for these jobs (0 for jobs a plan's allowance pays)
    balance: int  # the user's balance after the reservation


def rate_limit_for(user: User) -> str:
    settings = get_settings()
    return {"pro": settings.rate_limit_pro, "premium": settings.rate_limit_premium}.get(
        user.plan, settings.rate_limit_free)


async def submit(*, user_id: int, requests: Sequence[dict[str, Any]], batch: bool | str = False,
                 priority: int | None = None) -> Submitted:
    """Submit one job per request for the user, all in one transaction: all are reserved or none.

    batch: False = no batch; True = a new batch id shared by the jobs; a string = that batch id.
    priority: None = the user's plan decides (Premium first).
    """
    if not requests:
        raise UserError("invalid_input", field="the request", detail="nothing to make")
    if len(requests) > MAX_BATCH:
        raise UserError("too_many_selected", limit=MAX_BATCH)
    batch_id = (uuid.uuid4().hex[:16] if batch is True else batch) or None

    def work(db: DB) -> Submitted:
        user = db.get(User, user_id)
        if user is None or user.disabled:
            raise UserError("signed_out")
        made = [write_job(db, user=user, params=params, batch_id=batch_id, priority=priority) for params in requests]
        return Submitted(tuple(job.id or 0 for job in made), batch_id, sum(job.charged for job in made), user.credits)

    return await submit_with(work)


async def submit_with(work: Callable[[DB], T]) -> T:
    """Run `work` in one transaction; once it has committed, enqueue every job it wrote with write_job.

    A database error inside the transaction rolls it back (no job, no reservation) and becomes
    UserError("db_unavailable"), so the person sees a short message instead of a lost click.
    """

    def run() -> tuple[T, list[tuple[int, int]]]:
        with session_scope() as db:
            result = work(db)
            written = list(db.info.pop(_NEW_JOBS, []))
        return result, written

    try:
        result, written = await asyncio.to_thread(run)
    except DBAPIError:  # a lost connection, a failover, a killed backend: the transaction rolled back
        log.exception("submit: the database failed mid-transaction")
        raise UserError("db_unavailable") from None
    for job_id, job_priority in written:
        await dispatch.enqueue(job_id, job_priority)
    return result


def write_job(db: DB, *, user: User, params: dict[str, Any], batch_id: str | None = None,
              priority: int | None = None) -> Job:
    """Validate, rate limit and reserve credits; the job is committed with the caller's transaction
    (and enqueued by submit_with after that commit)."""
    assert user.id is not None
    spec = catalog.get(str(params.get("model", "")))
    missing = catalog.missing_setting(spec, get_settings())
    if missing:
        log.warning("model %s was asked for but %s is not set", spec.key, missing)  # the operator's detail
        raise UserError("model_unavailable", model=spec.label)
    valid = spec.validate(params)
    valid.bind_sources(_owned_sources(db, user.id))
    valid.prepare(spec, user.id)
    if spec.seed and getattr(valid, "seed", 0) is None:
        valid.seed = secrets.randbelow(2**31)  # type: ignore[attr-defined]  # a concrete seed: re-makeable
    cost = spec.cost(valid)
    covered = covers(db, user, operation=spec.operation, cost=cost)  # a plan's allowance: nothing reserved
    if priority is None:
        priority = PREMIUM_PRIORITY if user.plan == "premium" else 0
    # `charged` is written with the row (no second UPDATE): if the reservation below fails, the whole
    # transaction rolls back, job included. Every defaulted field is given (pydantic inspects a default
    # factory's signature each time it calls it: ~0.2 ms a field).
    now = utcnow()
    job = Job(
        user_id=user.id, batch_id=batch_id, operation=spec.operation, model=spec.key, provider=spec.provider,
        params=valid.model_dump(), logs=[], cost=cost, charged=0 if covered else cost, created_at=now,
        deadline_at=now + timedelta(seconds=get_settings().job_timeout_seconds), priority=priority,
    )
    db.add(job)
    db.flush()
    if not covered:
        try:  # the key names the job just inserted, so no earlier reservation can hold it
            credits.apply(db, user_id=user.id, delta=-cost, kind=credits.Kind.reserve, new_key=True,
                          idempotency_key=f"job:{job.id}:reserve", reference=f"{spec.label} · job #{job.id}")
        except credits.InsufficientCredits:
            raise UserError("no_credits", cost=cost, balance=user.credits) from None
    # Last, so only a job that would run counts; a refusal raises and the caller's transaction
    # rolls back the job and its reservation. One atomic hit: parallel submits can't all slip past.
    limit = rate_limit_for(user)
    wait = ratelimit.hit(limit, f"gen:{user.id}")
    if wait:
        raise UserError("rate_limited", limit=limit.replace("/", " per "), minutes=wait)
    metrics.CREDITS.labels(kind="reserved").inc(job.charged)
    db.info.setdefault(_NEW_JOBS, []).append((job.id or 0, job.priority))
    job_events.notify(db, user.id)
    return job


def _owned_sources(db: DB, user_id: int) -> catalog.SourceLookup:
    """Resolve an input image (a gallery id) or mask (a storage key) the user owns."""

    def lookup(kind: str, ref: int | str) -> catalog.Source:
        if kind == "mask":
            key = str(ref)
            if not key.startswith(f"u/{user_id}/") or not get_storage().exists(key):
                raise UserError("image_not_found")
            return catalog.Source(key)
        try:
            image = db.get(GeneratedImage, int(ref))
        except (TypeError, ValueError):
            image = None
        if image is None or image.user_id != user_id:
            raise UserError("image_not_found")
        return catalog.Source(image.image_url, image.width, image.height)

    return lookup
