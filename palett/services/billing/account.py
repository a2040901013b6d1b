"""What the billing page shows a signed-in user: plan, balance, renewal, banner, history.

All read-only and quick (no Stripe calls): everything shown comes from our tables, which the webhooks
keep in sync.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session as DB
from sqlmodel import col, or_, select

from palett.models import Plan, Purchase, User, utcnow
from palett.services.billing import allowance, catalog
from palett.settings import get_settings

PENDING_SHOWN_FOR = timedelta(days=1)  # an abandoned checkout drops out of the history after this


@dataclass(frozen=True)
class BillingSummary:
    plan: str  # the rules that apply now: free | pro | premium
    plan_name: str
    subscription_plan: str | None  # what the subscription is for, whatever its status
    subscription_status: str | None  # Stripe's: active, trialing, past_due, canceled ...
    interval: str | None  # month | year
    balance: int
    renews_at: datetime | None  # next renewal, or when a cancelled plan ends
    cancel_at_period_end: bool
    banner: str  # "" or one sentence to show at the top of the page (past due, ending, ended)
    unlimited: bool  # Premium within fair use right now
    allowance_kind: str | None  # premium | pro_basic: what runs without credits (fair_use_* count its use)
    fair_use_used: int | None
    fair_use_cap: int | None
    fair_use_resets_at: datetime | None
    billing_enabled: bool  # False: show plans, say payments are not configured, offer no buttons
    can_manage: bool  # has a Stripe customer: show "Manage subscription" (Customer Portal)


def summary(db: DB, user_id: int, now: datetime | None = None) -> BillingSummary:
    user = db.get(User, user_id)
    if user is None:
        raise LookupError(user_id)
    now = now or utcnow()
    usage = allowance.allowance(db, user, now)
    sub_name = catalog.plan(user.subscription_plan).name if user.subscription_plan else ""
    return BillingSummary(
        plan=user.plan, plan_name=catalog.plan(user.plan).name, subscription_plan=user.subscription_plan,
        subscription_status=user.subscription_status, interval=user.billing_interval, balance=user.credits,
        renews_at=user.current_period_end if user.subscription_plan else None,
        cancel_at_period_end=user.cancel_at_period_end, banner=_banner(user, sub_name),
        unlimited=usage is not None and usage.kind == "premium" and usage.remaining > 0,
        allowance_kind=usage.kind if usage else None,
        fair_use_used=usage.used if usage else None, fair_use_cap=usage.cap if usage else None,
        fair_use_resets_at=usage.window_end if usage else None,
        billing_enabled=catalog.billing_enabled(get_settings()), can_manage=bool(user.stripe_customer_id),
    )


def _banner(user: User, sub_name: str) -> str:
    status = user.subscription_status
    if not user.subscription_plan or not status:
        return ""
    if status in ("past_due", "unpaid"):
        return (f"The last payment for your {sub_name} plan didn't go through, so Free rules apply until it does. "
                "Update your card in Manage subscription.")
    if status in ("incomplete", "incomplete_expired"):
        return f"Your {sub_name} plan is waiting for a payment to go through; Free rules apply until then."
    if status == "canceled":
        return f"Your {sub_name} plan has ended; you're on Free. Your credits stay yours."
    if status == "paused":
        return f"Your {sub_name} plan is paused; Free rules apply until it resumes."
    if user.cancel_at_period_end and user.current_period_end:
        end = user.current_period_end
        return f"Your {sub_name} plan ends on {end:%B} {end.day}, {end.year}; you keep it until then."
    return ""


@dataclass(frozen=True)
class PurchaseRow:
    id: int
    created_at: datetime
    kind: str  # pack | subscription
    description: str  # "Creator pack", "Pro plan (monthly)"
    amount: str  # "$19.99"
    credits: int  # credits this payment added (0 for Premium and for the subscription's checkout row)
    credits_refunded: int
    status: str  # pending | paid | failed | expired | partially_refunded | refunded
    receipt_url: str | None  # Stripe receipt (packs) or hosted invoice (subscriptions)


def describe(product: str) -> str:
    pack = catalog.pack(product)
    if pack:
        return f"{pack.name} pack"
    parsed = catalog.parse_product(product)
    if parsed and parsed.kind == "subscription":
        return f"{catalog.plan(parsed.key).name} plan ({'yearly' if parsed.interval == 'year' else 'monthly'})"
    return product or "Payment"


def to_row(p: Purchase) -> PurchaseRow:
    return PurchaseRow(p.id or 0, p.created_at, p.kind, describe(p.product), catalog.money(p.amount_cents, p.currency),
                       p.credits, p.credits_refunded, p.status, p.receipt_url)


def history(db: DB, user_id: int, *, limit: int = 20, before_id: int | None = None,
            now: datetime | None = None) -> list[PurchaseRow]:
    """One page of the user's payments, newest first (pass the last row's id as before_id for the next)."""
    cutoff = (now or utcnow()) - PENDING_SHOWN_FOR
    stmt = (select(Purchase).where(Purchase.user_id == user_id, Purchase.status != "expired",
                                   or_(Purchase.status != "pending", col(Purchase.created_at) >= cutoff))
            .order_by(col(Purchase.id).desc()).limit(limit))
    if before_id is not None:
        stmt = stmt.where(col(Purchase.id) < before_id)
    return [to_row(p) for p in db.exec(stmt)]


@dataclass(frozen=True)
class CheckoutStatus:
    """For the page Stripe sends the buyer back to: 'pending' until the webhook landed."""

    status: str  # pending | paid | failed | expired | refunded | partially_refunded | unknown
    description: str
    credits: int
    balance: int
    plan: str


def checkout_status(db: DB, user_id: int, session_id: str) -> CheckoutStatus:
    """Only the user's own session is found; anything else is 'unknown'."""
    user = db.get(User, user_id)
    purchase = db.exec(select(Purchase).where(Purchase.stripe_session_id == session_id,
                                              Purchase.user_id == user_id)).first() if session_id else None
    balance, plan = (user.credits, user.plan) if user else (0, Plan.free)
    if purchase is None:
        return CheckoutStatus("unknown", "", 0, balance, plan)
    return CheckoutStatus(purchase.status, describe(purchase.product), purchase.credits, balance, plan)
