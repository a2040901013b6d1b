"""The one pipeline every operation goes through.

submit: validate → rate limit → reserve credits → insert job (one transaction), then dispatch.
execute: run the provider → copy outputs into our storage → thumbnails → image rows →
capture credits; any failure, cancellation or timeout refunds the reservation.

The job row is the truth. Every state change is a conditional UPDATE on it, so a
webhook and a poller (or two workers) reporting the same end apply it once. Capture
and refund share one idempotency key per job: exactly one of them ever happens.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from datetime import timedelta
from typing import Any

from sqlalchemy import update
from sqlmodel import Session as DB
from sqlmodel import col, select

from palett.models import ACTIVE, GeneratedImage, Job, JobStatus, UsageLog, User, utcnow
from palett.services import allocator, catalog, credits, images, ratelimit
from palett.services.billing.premium import is_unlimited
from palett.services.db import session_scope
from palett.services.errors import UserError
from palett.services.fetch import FetchRefused, fetch_bytes
from palett.services.media_inputs import media_for
from palett.services.providers import ProviderFailed, Result, RunContext, get_provider
from palett.services.providers.local import LABEL as LOCAL_LABEL
from palett.services.storage import get_storage, new_key
from palett.settings import get_settings

log = logging.getLogger(__name__)
MAX_LOG_LINES = 20


def rate_limit_for(user: User) -> str:
    settings = get_settings()
    return {"pro": settings.rate_limit_pro, "premium": settings.rate_limit_premium}.get(
        user.plan, settings.rate_limit_free)


def submit(db: DB, *, user: User, params: dict[str, Any], batch_id: str | None = None) -> Job:
    """Validate, rate limit and reserve credits; the job is committed with the caller's transaction."""
    assert user.id is not None
    spec = catalog.get(str(params.get("model", "")))
    reason = catalog.unavailable_reason(spec, get_settings())
    if reason:
        raise UserError("model_unavailable", model=spec.label, reason=reason)
    valid = spec.validate(params)
    valid.bind_sources(_owned_sources(db, user.id))
    valid.prepare(spec, user.id)
    if spec.seed and getattr(valid, "seed", 0) is None:
        valid.seed = secrets.randbelow(2**31)  # type: ignore[attr-defined]  # a concrete seed: re-makeable
    limit = rate_limit_for(user)
    wait = ratelimit.minutes_until_allowed(limit, f"gen:{user.id}")
    if wait:
        raise UserError("rate_limited", limit=limit.replace("/", " per "), minutes=wait)
    cost = spec.cost(valid)
    unlimited = is_unlimited(user, db, cost=cost)  # Premium within fair use: nothing is reserved
    job = Job(
        user_id=user.id, batch_id=batch_id, operation=spec.operation, model=spec.key, provider=spec.provider,
        params=valid.model_dump(), cost=cost,
        deadline_at=utcnow() + timedelta(seconds=get_settings().job_timeout_seconds),
        priority=10 if user.plan == "premium" else 0,
    )
    db.add(job)
    db.flush()
    if not unlimited:
        try:
            credits.apply(db, user_id=user.id, delta=-cost, kind=credits.Kind.reserve,
                          idempotency_key=f"job:{job.id}:reserve", reference=f"{spec.label} · job #{job.id}")
        except credits.InsufficientCredits:
            raise UserError("no_credits", cost=cost, balance=user.credits) from None
        job.charged = cost
    ratelimit.hit(limit, f"gen:{user.id}")
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


def cancel(db: DB, *, user_id: int, job_id: int) -> bool:
    """Cancel one of the user's active jobs and refund it. Another user's id changes nothing."""
    job = db.get(Job, job_id)
    if job is None or job.user_id != user_id:
        return False
    return _finish(db, job, JobStatus.cancelled, error="Cancelled")


def _finish(db: DB, job: Job, status: JobStatus, *, error: str | None = None, used: int = 0) -> bool:
    """Move an active job to its end state once, settle credits and log usage."""
    moved = db.execute(
        update(Job)
        .where(col(Job.id) == job.id, col(Job.status).in_(ACTIVE))
        .values(status=status, error=error, finished_at=utcnow(), queue_position=None,
                progress=1.0 if status == JobStatus.succeeded else job.progress)
    ).rowcount  # type: ignore[attr-defined]
    if not moved:
        return False
    refund = job.charged - used
    kind = credits.Kind.capture if status == JobStatus.succeeded else credits.Kind.refund
    credits.apply(db, user_id=job.user_id, delta=refund, kind=kind, idempotency_key=f"job:{job.id}:settle",
                  reference=f"{'Captured' if kind == credits.Kind.capture else 'Refunded'} · job #{job.id}")
    db.execute(update(Job).where(col(Job.id) == job.id).values(charged=used))
    started = job.started_at or job.created_at
    db.add(UsageLog(user_id=job.user_id, job_id=job.id, operation=job.operation, model=job.model,
                    credits=used, status=status, error=error,
                    duration_ms=int((utcnow() - started).total_seconds() * 1000)))
    return True


# ---- execution (async; DB work runs in threads) ----------------------------------------------------------


async def execute(job_id: int) -> None:
    """Run a job to its end. Safe to call again for a job that is already running or done."""
    job = await asyncio.to_thread(_start, job_id)
    if job is None:
        return
    started = time.monotonic()
    try:
        spec = catalog.get(job.model)
        ctx = RunContext(
            job_id=job_id,
            endpoint=spec.endpoint,
            arguments=spec.adapter(spec.parse(job.params), media_for(job.provider)),
            report=lambda **fields: asyncio.to_thread(_report, job_id, **fields),
            is_cancelled=lambda: asyncio.to_thread(_is_over, job_id),
            request_id=job.provider_request_id,
        )
        result = await get_provider(job.provider).run(ctx)
        await complete(job_id, result)
    except ProviderFailed as exc:
        log.info("job %s failed: %s", job_id, exc)
        await asyncio.to_thread(fail, job_id, exc.message)
    except Exception:  # not CancelledError: a worker shutting down leaves the job resumable
        log.exception("job %s crashed", job_id)
        await asyncio.to_thread(fail, job_id, "Something went wrong on our side.")
    finally:
        log.info("job %s finished in %.2fs", job_id, time.monotonic() - started)
        await asyncio.to_thread(allocator.give_back)  # the job's image buffers go back to the system


def _start(job_id: int) -> Job | None:
    with session_scope() as db:
        job = db.get(Job, job_id)
        if job is None or job.status not in ACTIVE:
            return None
        job.status = JobStatus.running
        job.started_at = job.started_at or utcnow()
        job.attempts += 1
        db.add(job)
        return job


def _report(job_id: int, **fields: Any) -> None:
    values: dict[str, Any] = {}
    if "queue_position" in fields:
        values["queue_position"] = fields["queue_position"]
    if fields.get("progress") is not None:
        values["progress"] = max(0.0, min(0.99, float(fields["progress"])))
    if fields.get("request_id"):
        values["provider_request_id"] = fields["request_id"]
    with session_scope() as db:
        if fields.get("logs"):
            job = db.get(Job, job_id)
            if job is not None:
                values["logs"] = (list(job.logs) + [line for line in fields["logs"] if line not in job.logs])[
                    -MAX_LOG_LINES:]
        if values:
            db.execute(update(Job).where(col(Job.id) == job_id, col(Job.status).in_(ACTIVE)).values(**values))


def _is_over(job_id: int) -> bool:
    with session_scope() as db:
        job = db.get(Job, job_id)
        return job is None or job.status not in ACTIVE


async def complete(job_id: int, result: Result) -> None:
    """Copy outputs into our storage, then record images and capture credits in one transaction."""
    job = await asyncio.to_thread(_load, job_id)
    if job is None or job.status not in ACTIVE:
        return
    spec = catalog.get(job.model)
    params = spec.parse(job.params)
    storage = get_storage()
    label = {"Software": LOCAL_LABEL if spec.is_local else "Palett AI", "palett:engine": job.provider,
             "palett:model": spec.label, "palett:job": str(job_id)}
    stored: list[dict[str, Any]] = []
    try:
        for index, output in enumerate(result.outputs):
            if output.nsfw:
                continue
            data = output.data if output.data is not None else await fetch_bytes(output.url or "")
            stored.append(await asyncio.to_thread(_store, storage, job.user_id, data, label, params))
            stored[-1]["seed"] = (result.seed + index) if (spec.is_local and result.seed is not None) else result.seed
    except (FetchRefused, ValueError, OSError) as exc:
        log.warning("job %s: output could not be stored: %r", job_id, exc)
        await asyncio.to_thread(_forget, storage, stored)
        await asyncio.to_thread(fail, job_id, "The result could not be downloaded.")
        return
    if not stored:
        await asyncio.to_thread(fail, job_id, "Every image was flagged by the safety filter.")
        return
    done = await asyncio.to_thread(_record, job_id, stored, result)
    if not done:  # cancelled or timed out meanwhile: already refunded
        await asyncio.to_thread(_forget, storage, stored)


def _load(job_id: int) -> Job | None:
    with session_scope() as db:
        return db.get(Job, job_id)


def _store(storage: Any, user_id: int, data: bytes, label: dict[str, str], params: catalog.OpInput
           ) -> dict[str, Any]:
    """Decode safely, re-encode from pixels (no foreign metadata survives) with our label, add a thumbnail."""
    decoded = images.open_safely(data, get_settings().max_output_pixels)
    img = params.finish(decoded)
    key = new_key(user_id, "png")
    # Keep a provider PNG's pixel chunks as they are when nothing changed them; else re-encode.
    png = (images.relabel_png(data, label) if img is decoded else None) or images.to_png(img, label)
    storage.put(key, png, "image/png")
    thumb, _, _ = images.thumbnail_webp_image(img)
    thumb_key = key.rsplit(".", 1)[0] + "-thumb.webp"
    storage.put(thumb_key, thumb, "image/webp")
    return {"key": key, "thumb": thumb_key, "width": img.width, "height": img.height}


def _forget(storage: Any, stored: list[dict[str, Any]]) -> None:
    for item in stored:
        storage.delete(item["key"])
        storage.delete(item["thumb"])


def _record(job_id: int, stored: list[dict[str, Any]], result: Result) -> bool:
    with session_scope() as db:
        job = db.get(Job, job_id)
        if job is None:
            return False
        spec = catalog.get(job.model)
        used = spec.credits_per_image * len(stored)
        if not _finish(db, job, JobStatus.succeeded, used=min(used, job.charged)):
            return False
        params = job.params
        for item in stored:
            db.add(GeneratedImage(
                user_id=job.user_id, job_id=job.id, prompt=params.get("prompt", ""),
                negative_prompt=params.get("negative_prompt"), model=job.model, image_url=item["key"],
                thumbnail_url=item["thumb"], width=item["width"], height=item["height"], seed=item["seed"],
                steps=params.get("steps"), guidance=params.get("guidance"), style=params.get("style"),
                operation=job.operation, original_image_url=params.get("image_key") or None,
                recipe={"params": params, "provider": job.provider, "endpoint": spec.endpoint,
                        "model_label": spec.label, "local": spec.is_local, **result.meta},
            ))
        return True


def fail(job_id: int, message: str) -> bool:
    with session_scope() as db:
        job = db.get(Job, job_id)
        return job is not None and _finish(db, job, JobStatus.failed, error=message)


# ---- recovery --------------------------------------------------------------------------------------------


def active_job_ids() -> list[int]:
    with session_scope() as db:
        return list(db.exec(select(Job.id).where(col(Job.status).in_(ACTIVE)).order_by(
            col(Job.priority).desc(), col(Job.id))))  # type: ignore[arg-type]


def sweep() -> list[int]:
    """Fail and refund every job past its deadline. Returns the ids it ended."""
    return [job.id or 0 for job in _sweep()]


def _sweep() -> list[Job]:
    ended = []
    with session_scope() as db:
        stuck = db.exec(select(Job).where(col(Job.status).in_(ACTIVE), col(Job.deadline_at) < utcnow())).all()
        for job in stuck:
            if _finish(db, job, JobStatus.failed, error="Timed out"):
                ended.append(job)
    for job in ended:
        log.warning("job %s timed out and was refunded", job.id)
    return ended


async def sweep_and_cancel() -> list[int]:
    """sweep(), then ask providers to stop work nobody will pay for."""
    ended = await asyncio.to_thread(_sweep)
    for job in ended:
        if job.provider_request_id:
            await get_provider(job.provider).cancel(catalog.get(job.model).endpoint, job.provider_request_id)
    return [job.id or 0 for job in ended]
