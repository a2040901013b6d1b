"""The one door to Stripe's API: a StripeClient built from settings, and readers for Stripe objects.

Stripe objects are handled as plain dicts (`.to_dict()`; stripe 16 forbids `dict(obj.metadata)`).
The readers accept both the current API shape (2025-03-31 and later: invoice.parent.subscription_details,
line.pricing.price_details, subscription item periods) and the older one, because a webhook endpoint
delivers events in the API version it was created with.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import stripe

from palett.services.common.errors import UserError
from palett.settings import Settings, get_settings

log = logging.getLogger(__name__)
NETWORK_RETRIES = 2  # the library re-sends with the same Idempotency-Key


def client(settings: Settings | None = None) -> stripe.StripeClient:
    settings = settings or get_settings()
    if not settings.stripe_secret_key:
        raise UserError("billing_disabled")
    bases: dict[str, str] = {}
    if settings.stripe_api_base:
        base = settings.stripe_api_base.rstrip("/")
        bases = {"api": base, "connect": base, "files": base}
    return stripe.StripeClient(settings.stripe_secret_key, base_addresses=bases,  # type: ignore[arg-type]
                               max_network_retries=NETWORK_RETRIES)


def as_dict(obj: Any) -> dict[str, Any]:
    if obj is None:
        return {}
    if isinstance(obj, dict):
        return obj
    return dict(obj.to_dict())


def dig(obj: Any, *path: str | int) -> Any:
    """obj['a']['b'][0]... or None when any step is missing."""
    for step in path:
        if isinstance(step, int):
            if not isinstance(obj, list) or len(obj) <= step:
                return None
        elif not isinstance(obj, dict):
            return None
        obj = obj[step] if isinstance(step, int) else obj.get(step)
    return obj


def ref(value: Any) -> str | None:
    """An id whether the field holds the id or an expanded object."""
    if isinstance(value, dict):
        value = value.get("id")
    return str(value) if value else None


def timestamp(value: Any) -> datetime | None:
    return datetime.fromtimestamp(int(value), UTC) if value else None


def metadata(obj: dict[str, Any]) -> dict[str, str]:
    meta = obj.get("metadata")
    return {str(k): str(v) for k, v in meta.items()} if isinstance(meta, dict) else {}


# ---- subscriptions ------------------------------------------------------------------------------------------


def subscription_price(sub: dict[str, Any]) -> str | None:
    return ref(dig(sub, "items", "data", 0, "price")) or ref(dig(sub, "plan"))


def subscription_period(sub: dict[str, Any]) -> tuple[datetime | None, datetime | None]:
    item = dig(sub, "items", "data", 0) or {}
    start = item.get("current_period_start") or sub.get("current_period_start")
    end = item.get("current_period_end") or sub.get("current_period_end")
    return timestamp(start), timestamp(end)


# ---- invoices -----------------------------------------------------------------------------------------------


def invoice_subscription(inv: dict[str, Any]) -> str | None:
    return ref(dig(inv, "parent", "subscription_details", "subscription")) or ref(inv.get("subscription"))


def invoice_metadata(inv: dict[str, Any]) -> dict[str, str]:
    meta = dig(inv, "parent", "subscription_details", "metadata") or inv.get("subscription_details", {})
    if isinstance(meta, dict) and "metadata" in meta:
        meta = meta["metadata"]
    return {str(k): str(v) for k, v in meta.items()} if isinstance(meta, dict) else {}


def invoice_price(inv: dict[str, Any]) -> str | None:
    """The price of the invoice's subscription line (proration lines are skipped when possible)."""
    lines = dig(inv, "lines", "data") or []
    for line in lines:
        price = ref(dig(line, "pricing", "price_details", "price")) or ref(line.get("price"))
        if price and not line.get("proration"):
            return price
    return None


def cancel_subscription(subscription_id: str) -> dict[str, Any] | None:
    """Cancel now (DELETE /v1/subscriptions/{id}): no further invoice. None when Stripe no longer has it
    live (it answers 404 resource_missing for an unknown or already cancelled subscription), so a repeat is
    harmless (Stripe ignores idempotency keys on DELETE)."""
    try:
        return as_dict(client().v1.subscriptions.cancel(subscription_id))
    except stripe.InvalidRequestError as err:
        if err.code == "resource_missing":
            return None
        raise


def retrieve_subscription(subscription_id: str) -> dict[str, Any]:
    return as_dict(client().v1.subscriptions.retrieve(subscription_id))


def sessions_for_payment_intent(payment_intent: str) -> list[dict[str, Any]]:
    found = client().v1.checkout.sessions.list({"payment_intent": payment_intent, "limit": 1})
    return [as_dict(s) for s in found.data]
