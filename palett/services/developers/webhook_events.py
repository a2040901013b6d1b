"""Events for webhook endpoints: a job's end (generation.succeeded | failed | canceled), test events and
redeliveries. Each makes one pending delivery row per endpoint; the job workers send them
(webhook_delivery), never the request that caused them.

Payloads follow Standard Webhooks: {"type", "timestamp", "data"}, where a generation's data is what
GET /api/v1/generations/{id} answers. It is fixed when the event happens: image URLs in it expire after
MEDIA_URL_SECONDS, so a late delivery's receiver fetches the generation again for fresh ones.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlmodel import Session as DB
from sqlmodel import col, select

from palett.models import Job, JobStatus, WebhookDelivery, WebhookEndpoint, utcnow
from palett.services.common.db import after_commit, session_scope
from palett.services.common.errors import UserError
from palett.services.developers.webhooks import owned
from palett.services.generation import jobs

log = logging.getLogger(__name__)
EVENT_FOR_STATUS = {JobStatus.succeeded: "generation.succeeded", JobStatus.failed: "generation.failed",
                    JobStatus.cancelled: "generation.canceled"}
TEST_EVENT = "webhook.test"


def generation_data(view: jobs.JobView) -> dict[str, Any]:
    """A generation as GET /api/v1/generations/{id} shows it (tests/integration/test_webhooks.py keeps them equal)."""
    return {"id": view.id, "status": view.status, "operation": view.operation, "model": view.model,
            "progress": view.progress, "queue_position": view.queue_position, "cost": view.cost,
            "charged": view.charged, "error": view.error or None, "params": view.params,
            "images": [{"id": i.id, "url": i.url, "width": i.width, "height": i.height, "seed": i.seed}
                       for i in view.images]}


def message(event_type: str, data: dict[str, Any], when: datetime | None = None) -> dict[str, Any]:
    stamp = (when or utcnow()).isoformat().replace("+00:00", "Z")
    return {"type": event_type, "timestamp": stamp, "data": data}


def new_message_id() -> str:
    return "msg_" + secrets.token_urlsafe(18)


def job_ended(db: DB, job: Job, status: JobStatus) -> None:
    """Called by the pipeline where a job's end is applied: once that transaction commits, queue its event."""
    if status in EVENT_FOR_STATUS and job.id is not None:
        job_id, user_id = job.id, job.user_id
        after_commit(db, lambda: emit_job_end(job_id, user_id))


def emit_job_end(job_id: int, user_id: int) -> None:
    """Queue the job's end event to every enabled endpoint of its owner."""
    with session_scope() as db:
        endpoints = _enabled_endpoints(db, user_id)
        if not endpoints:
            return
        view = jobs.one(db, user_id, job_id)
        event = EVENT_FOR_STATUS[JobStatus(view.status)]
        made = [row.id or 0 for row in _add(db, endpoints, event, message(event, generation_data(view)))]
    deliver_soon(made)


def send_test(db: DB, *, user_id: int, endpoint_id: int) -> WebhookDelivery:
    """A webhook.test event to one endpoint (disabled or not: testing is how one checks it before enabling)."""
    endpoint = owned(db, user_id=user_id, endpoint_id=endpoint_id)
    payload = message(TEST_EVENT, {"endpoint_id": endpoint.id, "detail": "A test event from Palett AI."})
    (delivery,) = _add(db, [endpoint], TEST_EVENT, payload)
    delivery_id = delivery.id or 0
    after_commit(db, lambda: deliver_soon([delivery_id]))
    return delivery


def redeliver(db: DB, *, user_id: int, delivery_id: int) -> WebhookDelivery:
    """Send a delivery's message again, as a new delivery with the same webhook-id (receivers deduplicate)."""
    earlier = owned_delivery(db, user_id=user_id, delivery_id=delivery_id)
    endpoint = owned(db, user_id=user_id, endpoint_id=earlier.endpoint_id)
    again = WebhookDelivery(endpoint_id=endpoint.id or 0, message_id=earlier.message_id,
                            event_type=earlier.event_type, payload=dict(earlier.payload))
    db.add(again)
    db.flush()
    again_id = again.id or 0
    after_commit(db, lambda: deliver_soon([again_id]))
    return again


def owned_delivery(db: DB, *, user_id: int, delivery_id: int) -> WebhookDelivery:
    row = db.exec(select(WebhookDelivery).join(WebhookEndpoint).where(
        WebhookDelivery.id == delivery_id, WebhookEndpoint.user_id == user_id)).first()
    if row is None:
        raise UserError("webhook_not_found")
    return row


def list_deliveries(db: DB, *, user_id: int, endpoint_id: int, limit: int = 20,
                    before: int | None = None) -> list[WebhookDelivery]:
    """One keyset page of an endpoint's deliveries, newest first (ids below `before`)."""
    owned(db, user_id=user_id, endpoint_id=endpoint_id)
    query = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)
    if before is not None:
        query = query.where(col(WebhookDelivery.id) < before)
    return list(db.exec(query.order_by(col(WebhookDelivery.id).desc()).limit(limit)))


def deliver_soon(delivery_ids: list[int]) -> None:
    """Tell the job queue there is something to send; if that fails, the periodic retry sends it."""
    if not delivery_ids:
        return
    from palett.services.generation.dispatch import get_queue  # dispatch → pipeline → this module

    try:
        get_queue().deliver_webhooks(delivery_ids)
    except Exception:
        log.exception("could not hand deliveries %s to the queue; the periodic retry sends them", delivery_ids)


def _enabled_endpoints(db: DB, user_id: int) -> list[WebhookEndpoint]:
    return list(db.exec(select(WebhookEndpoint).where(WebhookEndpoint.user_id == user_id,
                                                      col(WebhookEndpoint.disabled).is_(False))))


def _add(db: DB, endpoints: Iterable[WebhookEndpoint], event: str, payload: dict[str, Any]
         ) -> list[WebhookDelivery]:
    message_id = new_message_id()
    rows = [WebhookDelivery(endpoint_id=e.id or 0, message_id=message_id, event_type=event, payload=payload)
            for e in endpoints]
    db.add_all(rows)
    db.flush()
    return rows
