"""What each Stripe event does to our tables. Called by webhooks.process inside the transaction that
stores the event, with the user's row locked; see webhooks.py for why any order of delivery ends the same.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, timedelta
from typing import Any

from sqlmodel import Session as DB
from sqlmodel import select

from palett.models import Purchase, User, utcnow
from palett.services.billing import catalog, credits, stripe_api
from palett.services.billing.stripe_api import metadata, ref
from palett.services.billing.subscriptions import locked_user, sync_from_stripe
from palett.settings import get_settings

log = logging.getLogger(__name__)
CLOCK_SLACK = timedelta(seconds=30)  # Stripe's clock against ours, for "made before this account existed"
REFILL_REASONS = frozenset({"subscription_create", "subscription_cycle"})  # invoices that bring Pro's 500


@dataclass
class Outcome:
    user_id: int | None = None
    note: str = ""
    ignored: bool = False


# ---- finding our rows ---------------------------------------------------------------------------------------


def _user_for(db: DB, obj: dict[str, Any], meta: dict[str, str] | None = None) -> User | None:
    """The user an object belongs to (by our customer id, else our metadata), locked."""
    customer = ref(obj.get("customer"))
    user_id: int | None = None
    if customer:
        user_id = db.exec(select(User.id).where(User.stripe_customer_id == customer)).first()
    if user_id is None:
        raw = (meta or {}).get("user_id") or obj.get("client_reference_id") or ""
        user_id = int(raw) if str(raw).isdigit() else None
    user = locked_user(db, user_id) if user_id else None
    if user is not None and user.stripe_customer_id != customer and _predates(obj, user):
        # Our metadata names an id that now belongs to a newer account (SQLite reuses a deleted user's id):
        # this object was made for the deleted one, whose late webhooks must change nothing.
        log.info("ignoring %s %s: made before user %s existed", obj.get("object"), obj.get("id"), user.id)
        return None
    if user is not None and customer and not user.stripe_customer_id:
        user.stripe_customer_id = customer
        db.add(user)
    return user


def _predates(obj: dict[str, Any], user: User) -> bool:
    made = stripe_api.timestamp(obj.get("created"))
    joined = user.created_at if user.created_at.tzinfo else user.created_at.replace(tzinfo=UTC)
    return made is not None and made < joined - CLOCK_SLACK


def _by(db: DB, column: Any, value: str | None) -> Purchase | None:
    return db.exec(select(Purchase).where(column == value)).first() if value else None


# ---- checkout -----------------------------------------------------------------------------------------------


def on_checkout_completed(db: DB, session: dict[str, Any]) -> Outcome:
    meta = metadata(session)
    user = _user_for(db, session, meta)
    if user is None:
        log.error("stripe: checkout %s completed for an unknown user (%s)", session.get("id"), meta)
        return Outcome(note="unknown user", ignored=True)
    purchase = _purchase_for_session(db, session, user, meta)
    if session.get("mode") == "subscription":
        return _subscription_checkout(db, session, user, purchase)
    if session.get("payment_status") != "paid":
        return Outcome(user.id, "waiting for an asynchronous payment")
    return _pay_pack(db, session, user, purchase)


def _purchase_for_session(db: DB, session: dict[str, Any], user: User, meta: dict[str, str]) -> Purchase:
    session_id = str(session["id"])
    purchase = _by(db, Purchase.stripe_session_id, session_id)
    if purchase is None and meta.get("purchase_id", "").isdigit():
        candidate = db.get(Purchase, int(meta["purchase_id"]))
        if candidate is not None and candidate.user_id == user.id and candidate.stripe_session_id in (None, session_id):
            purchase = candidate
    if purchase is None:  # the pending row is gone (or never was): rebuild it from what Stripe says
        product = meta.get("product", "")
        pack = catalog.pack(product)
        purchase = Purchase(user_id=user.id or 0, kind="pack" if session.get("mode") == "payment" else "subscription",
                            product=product, credits=pack.credits if pack else 0)
    purchase.stripe_session_id = session_id
    return purchase


def _pay_pack(db: DB, session: dict[str, Any], user: User, purchase: Purchase) -> Outcome:
    pack = catalog.pack(purchase.product)
    amount = purchase.credits or (pack.credits if pack else 0)
    if amount <= 0:
        log.error("stripe: checkout %s is for unknown product %r", session["id"], purchase.product)
        return Outcome(user.id, f"unknown product {purchase.product!r}", ignored=True)
    purchase.credits = amount
    purchase.stripe_payment_intent = ref(session.get("payment_intent")) or purchase.stripe_payment_intent
    purchase.amount_cents = int(session.get("amount_total") or purchase.amount_cents)
    purchase.currency = str(session.get("currency") or purchase.currency)
    if purchase.status in ("pending", "expired", "failed"):
        purchase.status = "paid"
    purchase.paid_at = purchase.paid_at or utcnow()
    db.add(purchase)
    db.flush()
    name = pack.name if pack else purchase.product
    credits.apply(db, user_id=user.id or 0, delta=amount, kind=credits.Kind.purchase,
                  idempotency_key=f"checkout:{session['id']}", reference=f"{name} pack · {amount} credits")
    return Outcome(user.id, f"+{amount} credits ({purchase.product})")


def _subscription_checkout(db: DB, session: dict[str, Any], user: User, purchase: Purchase) -> Outcome:
    invoice_id = ref(session.get("invoice"))
    by_invoice = _by(db, Purchase.stripe_invoice_id, invoice_id)
    if by_invoice is not None and by_invoice.id != purchase.id:
        # invoice.paid came first and made its own row: keep that one, and let it carry the session.
        if purchase.id is not None:
            db.delete(purchase)
            db.flush()
        by_invoice.stripe_session_id = str(session["id"])
        purchase = by_invoice
    purchase.stripe_invoice_id = invoice_id or purchase.stripe_invoice_id
    purchase.stripe_subscription_id = ref(session.get("subscription"))
    purchase.amount_cents = int(session.get("amount_total") or purchase.amount_cents)
    if purchase.status in ("pending", "expired", "failed") and session.get("payment_status") in ("paid", None):
        purchase.status = "paid"
        purchase.paid_at = purchase.paid_at or utcnow()
    db.add(purchase)
    sub_id = ref(session.get("subscription"))
    if sub_id:
        sync_from_stripe(db, user, sub_id)
    return Outcome(user.id, f"subscription {sub_id}")


def on_checkout_expired(db: DB, session: dict[str, Any]) -> Outcome:
    purchase = _by(db, Purchase.stripe_session_id, str(session.get("id")))
    if purchase is None:
        return Outcome(note="no purchase", ignored=True)
    if purchase.status == "pending":
        purchase.status = "expired"
        db.add(purchase)
    return Outcome(purchase.user_id, "expired")


# ---- invoices -----------------------------------------------------------------------------------------------


def on_invoice_paid(db: DB, invoice: dict[str, Any]) -> Outcome:
    sub_id = stripe_api.invoice_subscription(invoice)
    if not sub_id:
        return Outcome(note="not a subscription invoice", ignored=True)
    user = _user_for(db, invoice, stripe_api.invoice_metadata(invoice))
    if user is None:
        log.error("stripe: invoice %s paid by an unknown customer", invoice.get("id"))
        return Outcome(note="unknown user", ignored=True)
    product = catalog.product_for_price(get_settings(), stripe_api.invoice_price(invoice))
    purchase = _invoice_purchase(db, invoice, user, sub_id, product)
    if purchase.status in ("pending", "failed", "expired"):
        purchase.status = "paid"
    purchase.paid_at = purchase.paid_at or utcnow()
    purchase.amount_cents = int(invoice.get("amount_paid") or 0)
    note = "paid"
    spec = catalog.plan(product.key if product else None)
    if spec.key == "pro" and invoice.get("billing_reason") in REFILL_REASONS:
        number = invoice.get("number") or invoice["id"]
        credits.apply(db, user_id=user.id or 0, delta=spec.monthly_credits, kind=credits.Kind.subscription_refill,
                      idempotency_key=f"invoice:{invoice['id']}",
                      reference=f"Pro plan · {spec.monthly_credits} credits (invoice {number})")
        purchase.credits = spec.monthly_credits
        note = f"+{spec.monthly_credits} credits"
    db.add(purchase)
    sync_from_stripe(db, user, sub_id)
    return Outcome(user.id, note)


def on_invoice_payment_failed(db: DB, invoice: dict[str, Any]) -> Outcome:
    sub_id = stripe_api.invoice_subscription(invoice)
    if not sub_id:
        return Outcome(note="not a subscription invoice", ignored=True)
    user = _user_for(db, invoice, stripe_api.invoice_metadata(invoice))
    if user is None:
        return Outcome(note="unknown user", ignored=True)
    product = catalog.product_for_price(get_settings(), stripe_api.invoice_price(invoice))
    purchase = _invoice_purchase(db, invoice, user, sub_id, product)
    if purchase.status == "pending":
        purchase.status = "failed"
    db.add(purchase)
    sync_from_stripe(db, user, sub_id)
    return Outcome(user.id, f"payment failed; subscription is {user.subscription_status}")


def _invoice_purchase(db: DB, invoice: dict[str, Any], user: User, sub_id: str,
                      product: catalog.Product | None) -> Purchase:
    purchase = _by(db, Purchase.stripe_invoice_id, str(invoice["id"]))
    if purchase is None:
        purchase = Purchase(user_id=user.id or 0, kind="subscription", stripe_invoice_id=str(invoice["id"]),
                            product=product.label if product else "", currency=str(invoice.get("currency") or "usd"),
                            amount_cents=int(invoice.get("amount_due") or 0), status="pending")
    purchase.stripe_subscription_id = sub_id
    purchase.receipt_url = invoice.get("hosted_invoice_url") or purchase.receipt_url
    return purchase


# ---- subscriptions ------------------------------------------------------------------------------------------


def on_subscription_changed(db: DB, sub: dict[str, Any]) -> Outcome:
    user = _user_for(db, sub, metadata(sub))
    if user is None:
        return Outcome(note="unknown user", ignored=True)
    sync_from_stripe(db, user, str(sub["id"]))
    return Outcome(user.id, f"{user.subscription_plan} {user.subscription_status} → plan {user.plan}")


# ---- charges ------------------------------------------------------------------------------------------------


def on_charge_succeeded(db: DB, charge: dict[str, Any]) -> Outcome:
    purchase = _pack_purchase_for_charge(db, charge)
    if purchase is None:
        return Outcome(note="not a credit pack", ignored=True)
    purchase.receipt_url = charge.get("receipt_url") or purchase.receipt_url
    db.add(purchase)
    return Outcome(purchase.user_id, "receipt")


def _pack_purchase_for_charge(db: DB, charge: dict[str, Any]) -> Purchase | None:
    purchase = _by(db, Purchase.stripe_payment_intent, ref(charge.get("payment_intent")))
    meta_id = metadata(charge).get("purchase_id", "")
    if purchase is None and meta_id.isdigit():
        purchase = db.get(Purchase, int(meta_id))
    return purchase if purchase is not None and purchase.kind == "pack" else None


def on_charge_refunded(db: DB, charge: dict[str, Any]) -> Outcome:
    """Take back the refunded share of the pack's credits that is still unused (never below zero)."""
    payment_intent = ref(charge.get("payment_intent"))
    purchase = _by(db, Purchase.stripe_payment_intent, payment_intent)
    if purchase is None and payment_intent:
        # The refund overtook its checkout.session.completed: apply the completion first.
        for session in stripe_api.sessions_for_payment_intent(payment_intent):
            if session.get("status") == "complete":
                on_checkout_completed(db, session)
        db.flush()
        purchase = _by(db, Purchase.stripe_payment_intent, payment_intent)
    if purchase is None or purchase.kind != "pack":
        return Outcome(note="not a credit pack: nothing to take back", ignored=True)
    user = locked_user(db, purchase.user_id)
    if user is None:
        return Outcome(note="user gone", ignored=True)
    amount = int(charge.get("amount") or purchase.amount_cents or 0)
    refunded = min(int(charge.get("amount_refunded") or 0), amount)
    if amount <= 0 or refunded <= purchase.refunded_cents:
        return Outcome(user.id, "refund already counted")
    owed = purchase.credits * refunded // amount - purchase.credits * purchase.refunded_cents // amount
    take = min(owed, max(user.credits, 0))
    pack = catalog.pack(purchase.product)
    name = pack.name if pack else purchase.product
    reference = (f"Refund of {name} pack ({catalog.money(refunded, purchase.currency)} refunded, charge "
                 f"{charge.get('id')}): {take} unused credits taken back")
    if take < owed:
        reference += f", {owed - take} already used"
    credits.apply(db, user_id=user.id or 0, delta=-take, kind=credits.Kind.refund,
                  idempotency_key=f"refund:{charge.get('id')}:{refunded}", reference=reference[:255])
    purchase.refunded_cents = refunded
    purchase.credits_refunded += take
    purchase.status = "refunded" if refunded >= amount else "partially_refunded"
    purchase.refunded_at = utcnow()
    db.add(purchase)
    return Outcome(user.id, f"-{take} credits")


HANDLERS = {
    "checkout.session.completed": on_checkout_completed,
    "checkout.session.async_payment_succeeded": on_checkout_completed,
    "checkout.session.expired": on_checkout_expired,
    "invoice.paid": on_invoice_paid,
    "invoice.payment_failed": on_invoice_payment_failed,
    "customer.subscription.created": on_subscription_changed,
    "customer.subscription.updated": on_subscription_changed,
    "customer.subscription.deleted": on_subscription_changed,
    "customer.subscription.paused": on_subscription_changed,
    "customer.subscription.resumed": on_subscription_changed,
    "charge.succeeded": on_charge_succeeded,
    "charge.refunded": on_charge_refunded,
}

