"""Plan allowances: work that runs without credits, up to a monthly fair-use cap, then credits as usual.

- Premium: every operation, up to PREMIUM_FAIR_USE credits' worth a month (a job's `cost`: one
  standard image = 1). Every job counts, also the ones paid with credits past the cap.
- Pro: the basic tools (catalog.BASIC_OPERATIONS), up to PRO_BASIC_FAIR_USE a month. Only jobs the
  allowance paid for count (a basic job with nothing charged), so credits spent past the cap don't
  eat next month's view of it.

Usage is counted over the user's current monthly window, anchored on the subscription period start
(a yearly plan gets a fresh allowance each month). Failed and cancelled jobs don't count. Two submits
racing at the cap may overshoot it by one job: it is a fair-use limit, not money.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import func
from sqlmodel import Session as DB
from sqlmodel import col, select

from palett.models import Job, JobStatus, Plan, User, utcnow
from palett.services.billing import catalog
from palett.services.billing.refills import add_months, months_since
from palett.settings import get_settings

Kind = Literal["premium", "pro_basic"]


@dataclass(frozen=True)
class Allowance:
    kind: Kind
    used: int
    cap: int
    window_start: datetime
    window_end: datetime

    @property
    def remaining(self) -> int:
        return max(0, self.cap - self.used)

    @property
    def plan_name(self) -> str:
        return "Premium" if self.kind == "premium" else "Pro"

    def applies_to(self, operation: str) -> bool:
        return self.kind == "premium" or operation in catalog.BASIC_OPERATIONS

    def covers(self, operation: str, cost: int) -> bool:
        """Would one job of `cost` for `operation` run without credits?"""
        return self.applies_to(operation) and self.used + cost <= self.cap


def is_active(user: User, plan: str) -> bool:
    return user.plan == plan and user.subscription_status in catalog.ACTIVE_STATUSES


def allowance(db: DB, user: User, now: datetime | None = None) -> Allowance | None:
    """This month's allowance and its use, or None when the user's plan has none (Free, or not active)."""
    if is_active(user, Plan.premium):
        kind: Kind = "premium"
        cap = get_settings().premium_fair_use
    elif is_active(user, Plan.pro):
        kind, cap = "pro_basic", get_settings().pro_basic_fair_use
    else:
        return None
    now = now or utcnow()
    anchor = user.current_period_start or user.created_at
    step = months_since(anchor, now)
    start, end = add_months(anchor, step), add_months(anchor, step + 1)
    query = select(func.coalesce(func.sum(Job.cost), 0)).where(
        Job.user_id == user.id, col(Job.created_at) >= start,
        col(Job.status).not_in((JobStatus.failed, JobStatus.cancelled)))
    if kind == "pro_basic":
        query = query.where(col(Job.operation).in_(catalog.BASIC_OPERATIONS), Job.charged == 0)
    used = db.exec(query).one()
    return Allowance(kind, int(used), cap, start, end)


def covers(db: DB, user: User, *, operation: str, cost: int, now: datetime | None = None) -> bool:
    """True when a job of `cost` for `operation` runs without using credits (the submit path asks this)."""
    found = allowance(db, user, now)
    return found is not None and found.covers(operation, cost)
