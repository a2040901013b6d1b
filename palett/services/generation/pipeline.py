"""The one pipeline every operation goes through.

Submitting (validate, reserve, insert, rate limit, enqueue) is services/submit.py.
execute: run the provider → copy outputs into our storage → thumbnails → image rows →
capture credits; any failure, cancellation or timeout refunds the reservation.

The job row is the truth. Every state change is a conditional UPDATE on it, so a
webhook and a poller (or two workers) reporting the same end apply it once. Capture
and refund share one idempotency key per job: exactly one of them ever happens.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
import time
from datetime import timedelta
from typing import Any

from PIL import Image
from sqlalchemy import func, or_, update
from sqlmodel import Session as DB
from sqlmodel import col, select

from palett.models import ACTIVE, GeneratedImage, Job, JobStatus, UsageLog, utcnow
from palett.services.billing import credits
from palett.services.common import allocator, metrics, observability
from palett.services.common.db import session_scope
from palett.services.developers import webhook_events
from palett.services.generation import catalog, job_events
from palett.services.generation.providers import ProviderFailed, Result, RunContext, get_provider
from palett.services.generation.providers.local import LABEL as LOCAL_LABEL
from palett.services.media import images, renditions
from palett.services.media.fetch import FetchRefused, fetch_bytes
from palett.services.media.inputs import media_for
from palett.services.media.storage import get_storage, new_key
from palett.settings import get_settings

log = logging.getLogger(__name__)
MAX_LOG_LINES = 20
LEASE_SECONDS = 60  # a claim not renewed for this long belongs to a dead process: another may take the job
OWNER = f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(4)}"  # this process, as a job owner


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
    job_events.notify(db, job.user_id)
    webhook_events.job_ended(db, job, status)  # queued for the owner's webhook endpoints once this commits
    metrics.JOBS_FINISHED.labels(operation=job.operation, status=status).inc()
    refund = job.charged - used
    metrics.CREDITS.labels(kind="captured").inc(used)
    metrics.CREDITS.labels(kind="refunded").inc(refund)
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


@observability.job_scope
async def execute(job_id: int) -> None:
    """Run a job to its end. Safe to call again for a job that is already running or done."""
    job = await asyncio.to_thread(_claim, job_id, OWNER)
    if job is None:
        return
    started = time.monotonic()
    heartbeat = asyncio.create_task(_keep_lease(job_id, OWNER))
    try:
        spec = catalog.get(job.model)
        # In a thread: handing over an input image may upload it. A resumed job is already at the provider.
        arguments = {} if job.provider_request_id else await asyncio.to_thread(
            spec.adapter, spec.parse(job.params), media_for(job.provider))
        ctx = RunContext(
            job_id=job_id,
            endpoint=spec.endpoint,
            arguments=arguments,
            report=lambda **fields: asyncio.to_thread(_report, job_id, **fields),
            is_cancelled=lambda: asyncio.to_thread(_is_over, job_id),
            request_id=job.provider_request_id,
        )
        asked = time.monotonic()
        result = await get_provider(job.provider).run(ctx)
        metrics.PROVIDER_SECONDS.labels(provider=job.provider).observe(time.monotonic() - asked)
        await complete(job_id, result)
    except ProviderFailed as exc:
        log.info("job %s failed: %s", job_id, exc)
        await asyncio.to_thread(fail, job_id, exc.message)
    except Exception:  # not CancelledError: a worker shutting down leaves the job resumable
        log.exception("job %s crashed", job_id)
        await asyncio.to_thread(fail, job_id, "Something went wrong on our side.")
    finally:
        heartbeat.cancel()
        # Hand the job back at once (it is finished, or this process is stopping and another may resume it).
        await asyncio.shield(asyncio.to_thread(_release, job_id, OWNER))
        log.info("job %s finished in %.2fs", job_id, time.monotonic() - started)
        await asyncio.to_thread(allocator.give_back)  # the job's image buffers go back to the system


def _claim(job_id: int, owner: str) -> Job | None:
    """Take an active job that nobody holds (or whose owner stopped renewing). One conditional UPDATE, so of
    any number of processes trying at once exactly one gets it."""
    now = utcnow()
    with session_scope() as db:
        claimed = db.execute(
            update(Job)
            .where(col(Job.id) == job_id, col(Job.status).in_(ACTIVE),
                   or_(col(Job.lease_until).is_(None), col(Job.lease_until) < now))
            .values(status=JobStatus.running, claimed_by=owner, lease_until=now + timedelta(seconds=LEASE_SECONDS),
                    attempts=col(Job.attempts) + 1, started_at=func.coalesce(col(Job.started_at), now))
        ).rowcount  # type: ignore[attr-defined]
        job = db.get(Job, job_id) if claimed else None
        if job is not None:
            job_events.notify(db, job.user_id)
    if job is not None and job.attempts == 1:
        metrics.QUEUE_WAIT.observe(max(0.0, (now - job.created_at).total_seconds()))
    return job


async def _keep_lease(job_id: int, owner: str) -> None:
    while True:
        await asyncio.sleep(LEASE_SECONDS / 3)
        with contextlib.suppress(Exception):  # a missed renewal is retried; the lease has slack for two
            await asyncio.to_thread(_renew, job_id, owner)


def _renew(job_id: int, owner: str) -> None:
    with session_scope() as db:
        db.execute(update(Job).where(col(Job.id) == job_id, col(Job.claimed_by) == owner, col(Job.status).in_(ACTIVE))
                   .values(lease_until=utcnow() + timedelta(seconds=LEASE_SECONDS)))


def release_claim(job_id: int) -> None:
    """Free a job whose owner is known to be dead (a stalled worker), so it can be resumed at once."""
    with session_scope() as db:
        db.execute(update(Job).where(col(Job.id) == job_id).values(claimed_by=None, lease_until=None))


def _release(job_id: int, owner: str) -> None:
    with contextlib.suppress(Exception), session_scope() as db:  # if this fails, the lease runs out instead
        db.execute(update(Job).where(col(Job.id) == job_id, col(Job.claimed_by) == owner)
                   .values(claimed_by=None, lease_until=None))


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
            owner = db.execute(update(Job).where(col(Job.id) == job_id, col(Job.status).in_(ACTIVE)).values(**values)
                               .returning(col(Job.user_id))).scalar_one_or_none()
            if owner is not None:
                job_events.notify(db, owner)


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
            stored.append(await asyncio.to_thread(_store, storage, job.user_id, data, label, params, output.image))
            # Some endpoints (Nano Banana) do not echo the seed: keep the one we sent.
            seed = result.seed if result.seed is not None else getattr(params, "seed", None)
            stored[-1]["seed"] = (seed + index) if (spec.is_local and seed is not None) else seed
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


def _store(storage: Any, user_id: int, data: bytes, label: dict[str, str], params: catalog.OpInput,
           pixels: Image.Image | None = None) -> dict[str, Any]:
    """Decode safely, re-encode from pixels (no foreign metadata survives) with our label, add the thumbnail
    and the display rendition (unless the PNG is smaller), both made from the pixels already decoded.
    `pixels` are the decoded `data` when our own engine made both: no provider's bytes to distrust."""
    decoded = pixels if pixels is not None else images.open_safely(data, get_settings().max_output_pixels)
    img = params.finish(decoded)
    key = new_key(user_id, "png")
    # Keep a provider PNG's pixel chunks as they are when nothing changed them; else re-encode.
    png = (images.relabel_png(data, label) if img is decoded else None) or images.to_png(img, label)
    storage.put(key, png, "image/png")
    thumb_key, display_key = renditions.store(storage, key, renditions.make(img, len(png)))
    return {"key": key, "thumb": thumb_key, "display": display_key, "width": img.width, "height": img.height}


def _forget(storage: Any, stored: list[dict[str, Any]]) -> None:
    for item in stored:
        for key in (item["key"], item["thumb"], item["display"]):
            if key:
                storage.delete(key)


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
                thumbnail_url=item["thumb"], display_url=item["display"], width=item["width"], height=item["height"],
                seed=item["seed"],
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
    """Unfinished jobs that nobody holds: what a starting process, or a sweep, may resume."""
    with session_scope() as db:
        return list(db.exec(select(Job.id).where(
            col(Job.status).in_(ACTIVE), or_(col(Job.lease_until).is_(None), col(Job.lease_until) < utcnow()))
            .order_by(col(Job.priority).desc(), col(Job.id))))  # type: ignore[arg-type]


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
