"""Starting a payment: Stripe Checkout (packs and plans) and the Customer Portal.

These functions call Stripe over the network: they block, so call them from a thread
(`asyncio.to_thread`, or a plain `def` FastAPI route). Each opens its own short transactions
and never holds one open during a Stripe call.

Nothing here adds credits: credits arrive only with Stripe's webhook (services.billing.webhooks).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

import stripe
from sqlalchemy import delete, update
from sqlmodel import col

from palett.models import Purchase, User
from palett.services.billing import catalog, stripe_api
from palett.services.common.db import session_scope
from palett.services.common.errors import UserError
from palett.settings import get_settings

log = logging.getLogger(__name__)
LIVE_SUBSCRIPTION = frozenset({"active", "trialing", "past_due", "unpaid", "incomplete", "paused"})


@dataclass(frozen=True)
class CheckoutLink:
    """Where to send the browser (Stripe's hosted page) and what to poll afterwards."""

    url: str
    session_id: str
    purchase_id: int


@dataclass(frozen=True)
class PortalLink:
    url: str


def create_checkout(user_id: int, product: str) -> CheckoutLink:
    """Open a Stripe Checkout Session for a pack ('starter', 'creator', 'professional') or a plan
    ('pro_month', 'pro_year', 'premium_month', 'premium_year').

    Records a pending `purchase` first; its id makes the Stripe Idempotency-Key, so a retried request
    never opens a second session. Raises UserError: billing_disabled, unknown_product,
    product_unavailable, already_subscribed, signed_out, payment_provider_error.
    """
    settings = get_settings()
    if not catalog.billing_enabled(settings):
        raise UserError("billing_disabled")
    wanted = catalog.parse_product(product)
    if wanted is None:
        raise UserError("unknown_product")
    if wanted.kind == "pack":
        pack = catalog.pack(wanted.key)
        assert pack is not None
        price_id, amount, credits, currency = pack.price_id(settings), pack.price_cents, pack.credits, pack.currency
        name = f"{pack.name} pack"
    else:
        spec = catalog.plan(wanted.key)
        assert wanted.interval is not None
        price_id = spec.price_id(settings, wanted.interval)
        amount = spec.monthly_cents if wanted.interval == "month" else spec.yearly_cents
        credits, currency, name = 0, spec.currency, f"{spec.name} plan"
    if not price_id:
        raise UserError("product_unavailable", product=name)

    with session_scope() as db:
        user = db.get(User, user_id)
        if user is None or user.disabled:
            raise UserError("signed_out")
        if wanted.kind == "subscription" and user.subscription_status in LIVE_SUBSCRIPTION:
            raise UserError("already_subscribed")
        purchase = Purchase(user_id=user_id, kind=wanted.kind, product=wanted.label, amount_cents=amount,
                            currency=currency, credits=credits, status="pending")
        db.add(purchase)
        db.flush()
        purchase_id = purchase.id or 0

    try:
        session = _open_session(user_id, purchase_id, wanted, price_id)
    except UserError:
        with session_scope() as db:  # nothing was opened at Stripe: no pending row to show
            db.execute(delete(Purchase).where(col(Purchase.id) == purchase_id,
                                              col(Purchase.stripe_session_id).is_(None)))
        raise
    with session_scope() as db:
        db.execute(update(Purchase).where(col(Purchase.id) == purchase_id, col(Purchase.stripe_session_id).is_(None))
                   .values(stripe_session_id=session["id"]))
    return CheckoutLink(url=str(session.get("url") or ""), session_id=str(session["id"]), purchase_id=purchase_id)


def _open_session(user_id: int, purchase_id: int, wanted: catalog.Product, price_id: str) -> dict[str, Any]:
    settings = get_settings()
    customer = ensure_customer(user_id)
    base = settings.public_url.rstrip("/")
    meta = {"user_id": str(user_id), "product": wanted.label, "purchase_id": str(purchase_id)}
    params: dict[str, Any] = {
        "mode": "payment" if wanted.kind == "pack" else "subscription",
        "customer": customer,
        "client_reference_id": str(user_id),
        "line_items": [{"price": price_id, "quantity": 1}],
        "success_url": f"{base}/billing?checkout=success&session_id={{CHECKOUT_SESSION_ID}}",
        "cancel_url": f"{base}/billing?checkout=cancel",
        "metadata": meta,
    }
    if wanted.kind == "pack":
        params["payment_intent_data"] = {"metadata": meta}
    else:
        params["subscription_data"] = {"metadata": {"user_id": str(user_id), "plan": wanted.key}}
    try:
        return stripe_api.as_dict(stripe_api.client(settings).v1.checkout.sessions.create(
            params,  # type: ignore[arg-type]
            {"idempotency_key": f"palett-checkout-{purchase_id}"}))
    except stripe.StripeError as exc:
        log.warning("stripe: checkout for user %s (%s) failed: %r", user_id, wanted.label, exc)
        raise UserError("payment_provider_error") from exc


def ensure_customer(user_id: int) -> str:
    """The user's Stripe customer id, creating the customer once (Idempotency-Key per user)."""
    with session_scope() as db:
        user = db.get(User, user_id)
        if user is None:
            raise UserError("signed_out")
        if user.stripe_customer_id:
            return user.stripe_customer_id
        email, name = user.email, user.name
    try:
        customer = stripe_api.as_dict(stripe_api.client().v1.customers.create(
            {"email": email, "name": name, "metadata": {"user_id": str(user_id)}},
            {"idempotency_key": f"palett-customer-{user_id}"}))
    except stripe.StripeError as exc:
        log.warning("stripe: creating the customer for user %s failed: %r", user_id, exc)
        raise UserError("payment_provider_error") from exc
    with session_scope() as db:
        # Conditional: if two requests raced, the first stored id wins (both got the same customer anyway).
        db.execute(update(User).where(col(User.id) == user_id, col(User.stripe_customer_id).is_(None))
                   .values(stripe_customer_id=customer["id"]))
        stored = db.get(User, user_id)
        return (stored.stripe_customer_id if stored else None) or str(customer["id"])


def create_portal(user_id: int) -> PortalLink:
    """A Stripe Customer Portal session (change plan, cancel, card, invoices) returning to /billing.

    Raises UserError: billing_disabled, no_billing_account, payment_provider_error.
    """
    settings = get_settings()
    if not catalog.billing_enabled(settings):
        raise UserError("billing_disabled")
    with session_scope() as db:
        user = db.get(User, user_id)
        customer = user.stripe_customer_id if user and not user.disabled else None
    if not customer:
        raise UserError("no_billing_account")
    try:
        portal = stripe_api.as_dict(stripe_api.client(settings).v1.billing_portal.sessions.create(
            {"customer": customer, "return_url": settings.public_url.rstrip("/") + "/billing"},
            # One portal session per user per minute: a double click opens the same one.
            {"idempotency_key": f"palett-portal-{user_id}-{int(time.time() // 60)}"}))
    except stripe.StripeError as exc:
        log.warning("stripe: portal for user %s failed: %r", user_id, exc)
        raise UserError("payment_provider_error") from exc
    return PortalLink(url=str(portal["url"]))
