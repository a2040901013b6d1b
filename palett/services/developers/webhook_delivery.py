"""Sending webhook deliveries, run by the job workers (dispatch: in process; procrastinate_queue: tasks).

A pending row is claimed with one conditional UPDATE that moves its next_attempt_at past the attempt's timeout,
so of several workers one sends it, and a worker that dies mid-attempt leaves it due again a minute later.
Each attempt re-checks the URL (url_guard: DNS may have changed since registration) and connects to the
address it checked. A 2xx answer is success; anything else waits SCHEDULE (with jitter) and tries again,
and after the last wait the delivery is failed. Only a short excerpt of a response body is kept.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy import delete, update
from sqlmodel import col, select
from standardwebhooks import Webhook

from palett.models import WebhookDelivery, WebhookEndpoint, utcnow
from palett.services.common import ssrf
from palett.services.common.db import session_scope
from palett.services.common.errors import UserError
from palett.services.developers import url_guard
from palett.services.developers.webhook_events import TEST_EVENT
from palett.services.developers.webhooks import signing_secrets
from palett.settings import get_settings

log = logging.getLogger(__name__)
# The wait after the 1st, 2nd, … failed attempt: about 32 hours in all, then the delivery is failed.
SCHEDULE = tuple(timedelta(seconds=s) for s in (5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 14 * 3600))
MAX_ATTEMPTS = len(SCHEDULE) + 1
JITTER = 0.1  # ± this share of each wait, so a receiver that was down is not hit by every retry at once
CLAIM = timedelta(seconds=60)  # longer than an attempt can take
EXCERPT_BYTES = 500
BATCH = 50  # deliveries claimed at a time
CONCURRENCY = 10  # attempts in flight at a time per worker
USER_AGENT = "Palett-Webhooks/1.0"
KEEP_FINISHED = timedelta(days=30)  # the delivery log keeps finished deliveries this long


@dataclass(frozen=True)
class Outcome:
    status_code: int | None = None
    error: str | None = None
    excerpt: str | None = None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def wait_after(failed_attempts: int) -> timedelta | None:
    """How long to wait after this many failed attempts; None when it was the last."""
    if failed_attempts >= MAX_ATTEMPTS:
        return None
    return SCHEDULE[failed_attempts - 1] * random.uniform(1 - JITTER, 1 + JITTER)


async def deliver_due(now: datetime | None = None, ids: list[int] | None = None) -> list[int]:
    """Send every pending delivery due at `now` (only `ids`, when given). The ids it attempted."""
    now = now or utcnow()
    attempted: list[int] = []
    slots = asyncio.Semaphore(CONCURRENCY)

    async def one(delivery_id: int) -> None:
        async with slots:
            await attempt(delivery_id, now)

    while True:
        claimed = await asyncio.to_thread(claim_due, now, ids)
        if not claimed:
            return attempted
        await asyncio.gather(*(one(delivery_id) for delivery_id in claimed))
        attempted += claimed
        if ids is not None:
            return attempted


def claim_due(now: datetime, ids: list[int] | None = None) -> list[int]:
    with session_scope() as db:
        query = select(WebhookDelivery.id).where(WebhookDelivery.status == "pending",
                                                 col(WebhookDelivery.next_attempt_at) <= now)
        if ids is not None:
            query = query.where(col(WebhookDelivery.id).in_(ids))
        due = list(db.exec(query.order_by(col(WebhookDelivery.next_attempt_at)).limit(BATCH)))
        claimed = []
        for delivery_id in due:
            moved = db.execute(update(WebhookDelivery).where(
                col(WebhookDelivery.id) == delivery_id, col(WebhookDelivery.status) == "pending",
                col(WebhookDelivery.next_attempt_at) <= now,
            ).values(next_attempt_at=max(now, utcnow()) + CLAIM, attempts=col(WebhookDelivery.attempts) + 1))
            if moved.rowcount:  # type: ignore[attr-defined]
                claimed.append(delivery_id or 0)
    return claimed


async def attempt(delivery_id: int, now: datetime) -> Outcome:
    """One claimed attempt: check the URL again, sign, POST, record what happened."""
    loaded = await asyncio.to_thread(_load, delivery_id)
    if loaded is None:  # its endpoint was deleted meanwhile
        return Outcome(error="endpoint deleted")
    delivery, endpoint = loaded
    if endpoint.disabled and delivery.event_type != TEST_EVENT:
        outcome = Outcome(error="The endpoint is disabled.")
        await asyncio.to_thread(_record, delivery_id, outcome, now, final=True)
        return outcome
    try:
        target = await asyncio.to_thread(url_guard.check, endpoint.url)
    except UserError as exc:
        outcome = Outcome(error=f"Refused: {exc.params.get('detail', exc.message)}"[:300])
    else:
        outcome = await _post(target, delivery, signing_secrets(endpoint, utcnow()))
    await asyncio.to_thread(_record, delivery_id, outcome, now, final=False)
    return outcome


async def _post(target: url_guard.Target, delivery: WebhookDelivery, keys: list[str]) -> Outcome:
    body = json.dumps(delivery.payload, separators=(",", ":")).encode()
    sent_at = utcnow()  # the receiver checks this against its clock: always the real time
    signatures = " ".join(Webhook(key).sign(delivery.message_id, sent_at, body) for key in keys)
    headers = {"content-type": "application/json", "user-agent": USER_AGENT,
               "webhook-id": delivery.message_id, "webhook-timestamp": str(int(sent_at.timestamp())),
               "webhook-signature": signatures}
    try:
        # To the checked address; the TLS name (SNI and certificate check) is the registered host.
        async with ssrf.client(timeout=get_settings().webhook_timeout_seconds) as client, \
                ssrf.stream(client, "POST", target, content=body, headers=headers) as response:
            excerpt = b""
            async for chunk in response.aiter_bytes():
                excerpt += chunk
                if len(excerpt) >= EXCERPT_BYTES:
                    break
            return Outcome(status_code=response.status_code,
                           excerpt=excerpt[:EXCERPT_BYTES].decode("utf-8", "replace") or None)
    except httpx.TimeoutException:
        return Outcome(error="Timed out")
    except httpx.HTTPError as exc:
        return Outcome(error=f"Could not connect: {type(exc).__name__}")


def prune(now: datetime | None = None) -> int:
    """Forget finished deliveries older than KEEP_FINISHED; how many went."""
    with session_scope() as db:
        gone = db.execute(delete(WebhookDelivery).where(
            col(WebhookDelivery.finished_at) < (now or utcnow()) - KEEP_FINISHED))
    return int(gone.rowcount)  # type: ignore[attr-defined]


def _load(delivery_id: int) -> tuple[WebhookDelivery, WebhookEndpoint] | None:
    with session_scope() as db:
        delivery = db.get(WebhookDelivery, delivery_id)
        endpoint = db.get(WebhookEndpoint, delivery.endpoint_id) if delivery else None
        return (delivery, endpoint) if delivery and endpoint else None


def _record(delivery_id: int, outcome: Outcome, now: datetime, *, final: bool) -> None:
    with session_scope() as db:
        delivery = db.get(WebhookDelivery, delivery_id)
        if delivery is None or delivery.status != "pending":
            return
        wait = None if (outcome.ok or final) else wait_after(delivery.attempts)
        values: dict[str, object] = {
            "last_status_code": outcome.status_code, "last_error": outcome.error, "last_response": outcome.excerpt,
            "last_attempt_at": utcnow(),
            "status": "succeeded" if outcome.ok else "pending" if wait else "failed",
            "next_attempt_at": now + wait if wait else None,
        }
        if wait is None:
            values["finished_at"] = utcnow()
        db.execute(update(WebhookDelivery).where(col(WebhookDelivery.id) == delivery_id).values(**values))
    if not outcome.ok:
        log.info("webhook delivery %s failed (%s)%s", delivery_id, outcome.status_code or outcome.error,
                 "" if wait else "; no more retries")
