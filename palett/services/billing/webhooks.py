"""Stripe webhooks: verify, store once, apply once.

`verify(body, header)` checks the signature on the raw body with stripe.Webhook.construct_event and
refuses timestamps outside the tolerance in BOTH directions (the library lets a future one through).
A replay inside the window is harmless: `process(event)` stores the event id in `stripe_event` in
the same transaction as everything the event changes (ledger rows included), so an id is applied once;
a concurrent duplicate loses on the primary key and changes nothing.

Order does not matter either:
- credits use idempotency keys tied to Stripe ids (checkout:{session}, invoice:{invoice},
  refund:{charge}:{amount_refunded}), so whichever event brings them first wins and the other is a no-op;
- subscription state is re-read from Stripe, never taken from the (possibly stale) snapshot
  (services.billing.subscriptions);
- a refund that arrives before its checkout completion applies the completion first (found through
  the API by payment intent); a partial refund older than one already applied changes nothing.

A handler that fails (Stripe unreachable, database error) rolls everything back and the route answers
500, so Stripe delivers the event again later.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any, Literal

import stripe
from sqlalchemy.exc import IntegrityError

from palett.models import StripeEvent, utcnow
from palett.services.billing import stripe_api
from palett.services.billing.events import HANDLERS, Outcome
from palett.services.billing.stripe_api import dig, ref
from palett.services.common.db import session_scope
from palett.settings import get_settings

log = logging.getLogger(__name__)


class WebhookRejected(Exception):
    """Bad signature, stale or future timestamp, or not JSON: answer 400 and apply nothing."""


class WebhookNotConfigured(Exception):
    pass


@dataclass(frozen=True)
class WebhookResult:
    status: Literal["applied", "ignored", "duplicate"]
    event_id: str
    type: str
    note: str = ""


def verify(payload: bytes, signature_header: str | None) -> dict[str, Any]:
    """The verified event as a plain dict. Raises WebhookRejected / WebhookNotConfigured."""
    settings = get_settings()
    if not settings.stripe_webhook_secret:
        raise WebhookNotConfigured
    tolerance = settings.stripe_webhook_tolerance_seconds
    try:
        event = stripe.Webhook.construct_event(payload, signature_header, settings.stripe_webhook_secret,
                                               tolerance=tolerance)
    except (stripe.SignatureVerificationError, ValueError, IndexError, UnicodeDecodeError) as exc:
        raise WebhookRejected(str(exc) or type(exc).__name__) from exc
    signed_at = _signed_at(signature_header or "")
    if signed_at is None or signed_at > time.time() + tolerance:
        raise WebhookRejected("Timestamp outside the tolerance zone")
    data = stripe_api.as_dict(event)
    if not data.get("id") or not data.get("type"):
        raise WebhookRejected("Not an event")
    return data


def _signed_at(header: str) -> int | None:
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            return int(value)
    return None


class _Duplicate(Exception):
    pass


def process(event: dict[str, Any]) -> WebhookResult:
    """Apply a verified event once; blocking (database and, for subscriptions, Stripe's API)."""
    event_id, kind = str(event["id"]), str(event["type"])
    obj = dig(event, "data", "object") or {}
    try:
        with session_scope() as db:
            if db.get(StripeEvent, event_id) is not None:
                raise _Duplicate
            record = StripeEvent(id=event_id, type=kind[:64], created=stripe_api.timestamp(event.get("created"))
                                 or utcnow(), livemode=bool(event.get("livemode")),
                                 object_id=ref(obj.get("id")), summary=_summary(obj))
            db.add(record)
            try:
                db.flush()
            except IntegrityError:
                raise _Duplicate from None  # the same event, applied concurrently by another request
            handler = HANDLERS.get(kind)
            outcome = handler(db, obj) if handler else Outcome(note="not handled", ignored=True)
            record.user_id = outcome.user_id
            record.outcome = "ignored" if outcome.ignored else "applied"
            record.summary = {**record.summary, **({"note": outcome.note[:200]} if outcome.note else {})}
            record.applied_at = utcnow()
            db.add(record)
    except _Duplicate:
        log.info("stripe: %s %s already applied", kind, event_id)
        return WebhookResult("duplicate", event_id, kind)
    log.info("stripe: %s %s %s (%s)", kind, event_id, record.outcome, outcome.note)
    return WebhookResult("ignored" if outcome.ignored else "applied", event_id, kind, outcome.note)


def _summary(obj: dict[str, Any]) -> dict[str, Any]:
    keys = ("object", "mode", "status", "payment_status", "billing_reason", "amount_total", "amount_paid",
            "amount", "amount_refunded", "currency")
    summary = {k: obj[k] for k in keys if obj.get(k) is not None}
    if ref(obj.get("customer")):
        summary["customer"] = ref(obj.get("customer"))
    return summary
