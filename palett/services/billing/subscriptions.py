"""Keeping a user's plan in step with their Stripe subscription.

Webhook events arrive twice, late and out of order, and each carries a snapshot of the subscription
as it was then. So no handler trusts its snapshot: every subscription-related event re-reads the
subscription from Stripe (`sync_from_stripe`) and writes that, under a lock on the user row. Whatever
the order of delivery, the last write is the latest state Stripe had: the end state is the same.

`user.plan` holds the plan whose rules apply now: the subscription's plan while it is active or
trialing, otherwise free (past_due, unpaid, canceled ... fall back to Free rules).
"""

from __future__ import annotations

import logging
from typing import Any

import stripe
from sqlmodel import Session as DB
from sqlmodel import select

from palett.models import Plan, User, utcnow
from palett.services.billing import catalog, stripe_api
from palett.services.common.errors import UserError
from palett.settings import get_settings

log = logging.getLogger(__name__)
DEAD = frozenset({"canceled", "incomplete_expired"})


def is_live(user: User) -> bool:
    """Stripe may still charge for this subscription (active, trialing, past due, unpaid, incomplete ...)."""
    return bool(user.subscription_id) and user.subscription_status not in DEAD


def cancel_before_deletion(user: User) -> None:
    """Cancel the user's live subscription in Stripe now, before their account goes: a deleted account
    must not keep being charged. Raises UserError (and nothing is deleted) when Stripe can't be told."""
    if not is_live(user):
        return
    try:
        sub = stripe_api.cancel_subscription(str(user.subscription_id))
    except (stripe.StripeError, UserError):  # unreachable, refused, or no key on this server
        log.exception("user %s: could not cancel subscription %s", user.id, user.subscription_id)
        raise UserError("subscription_cancel_failed") from None
    log.info("user %s: subscription %s cancelled before account deletion (%s)", user.id, user.subscription_id,
             sub.get("status") if sub else "already gone")


def locked_user(db: DB, user_id: int) -> User | None:
    """The user row, locked for this transaction on PostgreSQL (SQLite writers are serialised anyway)."""
    return db.exec(
        select(User).where(User.id == user_id).with_for_update().execution_options(populate_existing=True)
    ).first()


def sync_from_stripe(db: DB, user: User, subscription_id: str) -> None:
    """Read the subscription from Stripe now and apply it (the user row must be locked)."""
    apply_subscription(db, user, stripe_api.retrieve_subscription(subscription_id))


def apply_subscription(db: DB, user: User, sub: dict[str, Any]) -> bool:
    """Write a (fresh) subscription onto the user. Returns False when it was not theirs to apply:
    an old, ended subscription never replaces the one the user has now."""
    sub_id = str(sub.get("id") or "")
    status = str(sub.get("status") or "")
    if user.subscription_id and user.subscription_id != sub_id:
        if status in DEAD:
            return False
        if user.subscription_status not in DEAD and user.subscription_status is not None:
            # Two live subscriptions (should not happen: checkout refuses a second one): keep the newer.
            current = stripe_api.retrieve_subscription(user.subscription_id)
            if current.get("status") not in DEAD and int(current.get("created") or 0) > int(sub.get("created") or 0):
                log.warning("user %s: ignoring older live subscription %s", user.id, sub_id)
                return False
    settings = get_settings()
    product = catalog.product_for_price(settings, stripe_api.subscription_price(sub))
    if product is not None and product.kind == "subscription":
        plan_key: str | None = product.key
        interval: str | None = product.interval
    else:
        meta_plan = stripe_api.metadata(sub).get("plan")
        plan_key = meta_plan if meta_plan in (Plan.pro, Plan.premium) else None
        interval = stripe_api.dig(sub, "items", "data", 0, "price", "recurring", "interval")
        log.warning("user %s: subscription %s has an unknown price; plan from metadata: %s", user.id, sub_id, plan_key)
    start, end = stripe_api.subscription_period(sub)
    effective = plan_key if (plan_key and status in catalog.ACTIVE_STATUSES) else Plan.free
    if effective != user.plan or start != user.current_period_start:
        user.credits_refill_at = None  # the sweeper recomputes the next top-up from the new anchor
    user.subscription_id = sub_id
    user.subscription_status = status
    user.subscription_plan = plan_key
    user.billing_interval = interval
    user.current_period_start = start
    user.current_period_end = end
    user.cancel_at_period_end = bool(sub.get("cancel_at_period_end") or sub.get("cancel_at")) and status not in DEAD
    if user.plan != effective:
        log.info("user %s: plan %s -> %s (subscription %s is %s)", user.id, user.plan, effective, sub_id, status)
    user.plan = effective
    user.updated_at = utcnow()
    db.add(user)
    return True
