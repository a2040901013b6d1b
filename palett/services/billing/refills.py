"""Monthly credits that no invoice brings, run by the periodic sweeper.

- Free: on each monthly anniversary of sign-up, top the balance up to 10 (never adds beyond 10, so
  unused Free credits don't stack). A Pro or Premium user whose subscription is past_due or canceled
  is on Free rules (user.plan == "free") and is topped up the same way.
- Pro billed yearly: 500 credits on the invoice (month 0, see webhooks) and 500 on each monthly step of
  the paid year after it (months 1..11), here.

Each top-up has an idempotency key per user per month, so two sweepers, a crash or a re-run never
grant twice. `user.credits_refill_at` says when a user is next due, so a sweep reads only those.
"""

from __future__ import annotations

import calendar
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session as DB
from sqlmodel import and_, col, or_, select

from palett.models import Plan, User, utcnow
from palett.services.billing import catalog, credits
from palett.services.billing.subscriptions import locked_user

log = logging.getLogger(__name__)
BATCH = 500


def add_months(anchor: datetime, months: int) -> datetime:
    """The same day and time `months` later, clamped to the month's end (Jan 31 + 1 = Feb 28/29)."""
    index = anchor.month - 1 + months
    year, month = anchor.year + index // 12, index % 12 + 1
    return anchor.replace(year=year, month=month, day=min(anchor.day, calendar.monthrange(year, month)[1]))


def months_since(anchor: datetime, now: datetime) -> int:
    """How many whole monthly steps from `anchor` have been reached at `now` (0 before the first)."""
    months = max(0, (now.year - anchor.year) * 12 + now.month - anchor.month)
    while months > 0 and add_months(anchor, months) > now:
        months -= 1
    return months


@dataclass(frozen=True)
class RefillReport:
    free_topped_up: int
    pro_months_granted: int


def refill_due(db: DB, now: datetime | None = None) -> RefillReport:
    """Both refills; what the sweeper calls."""
    now = now or utcnow()
    return RefillReport(refill_free(db, now), refill_yearly_pro(db, now))


def refill_free(db: DB, now: datetime | None = None) -> int:
    """Top up every due Free user to 10 credits. Returns how many were topped up."""
    now = now or utcnow()
    due = db.exec(
        select(User.id).where(
            User.plan == Plan.free, col(User.disabled).is_(False),
            or_(col(User.credits_refill_at) <= now,
                and_(col(User.credits_refill_at).is_(None), col(User.created_at) <= now - timedelta(days=28))),
        ).order_by(col(User.id)).limit(BATCH)
    ).all()
    topped = 0
    for user_id in due:
        user = locked_user(db, user_id or 0)
        if user is None or user.plan != Plan.free:
            continue
        step = months_since(user.created_at, now)
        if step >= 1:
            anniversary = add_months(user.created_at, step)
            missing = catalog.FREE_MONTHLY_CREDITS - user.credits
            if missing > 0 and credits.apply(
                db, user_id=user_id or 0, delta=missing, kind=credits.Kind.grant,
                idempotency_key=f"free-refill:{user_id}:{anniversary:%Y-%m-%d}",
                reference=f"Free plan · monthly top-up to {catalog.FREE_MONTHLY_CREDITS} credits",
            ):
                topped += 1
        user.credits_refill_at = add_months(user.created_at, step + 1)
        db.add(user)
    if topped:
        log.info("refills: topped up %d Free users", topped)
    return topped


def refill_yearly_pro(db: DB, now: datetime | None = None) -> int:
    """Grant the monthly 500 credits of yearly Pro subscriptions (months 1..11 of the paid year)."""
    now = now or utcnow()
    due = db.exec(
        select(User.id).where(
            User.plan == Plan.pro, User.billing_interval == "year", col(User.current_period_start).is_not(None),
            or_(col(User.credits_refill_at).is_(None), col(User.credits_refill_at) <= now),
        ).order_by(col(User.id)).limit(BATCH)
    ).all()
    granted = 0
    for user_id in due:
        user = locked_user(db, user_id or 0)
        if user is None or user.plan != Plan.pro or user.current_period_start is None:
            continue
        start = user.current_period_start
        reached = min(months_since(start, now), 11)
        for month in range(1, reached + 1):  # a sweeper that was down catches up
            if credits.apply(
                db, user_id=user.id or 0, delta=catalog.PRO_MONTHLY_CREDITS, kind=credits.Kind.subscription_refill,
                idempotency_key=f"pro-month:{user.subscription_id}:{int(start.timestamp())}:{month}",
                reference=f"Pro plan (yearly) · month {month + 1} of 12",
            ):
                granted += 1
        user.credits_refill_at = add_months(start, reached + 1)
        db.add(user)
    return granted
