"""Premium: generations without credits, up to a monthly fair-use cap, then credits as usual.

Usage is counted in credits' worth (a job's `cost`: one standard image = 1) over the user's current
monthly window, anchored on the subscription period start (a yearly Premium gets a fresh allowance
each month). Failed and cancelled jobs don't count. Two submits racing at the cap may overshoot it
by one job: it is a fair-use limit, not money.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session as DB
from sqlmodel import col, select

from palett.models import Job, JobStatus, Plan, User, utcnow
from palett.services.billing import catalog
from palett.services.billing.refills import add_months, months_since
from palett.settings import get_settings


@dataclass(frozen=True)
class FairUse:
    used: int
    cap: int
    window_start: datetime
    window_end: datetime

    @property
    def remaining(self) -> int:
        return max(0, self.cap - self.used)


def is_premium_active(user: User) -> bool:
    return user.plan == Plan.premium and user.subscription_status in catalog.ACTIVE_STATUSES


def fair_use(db: DB, user: User, now: datetime | None = None) -> FairUse | None:
    """This month's Premium usage, or None when the user is not on an active Premium plan."""
    if not is_premium_active(user):
        return None
    now = now or utcnow()
    anchor = user.current_period_start or user.created_at
    step = months_since(anchor, now)
    start, end = add_months(anchor, step), add_months(anchor, step + 1)
    used = db.exec(
        select(func.coalesce(func.sum(Job.cost), 0)).where(
            Job.user_id == user.id, col(Job.created_at) >= start,
            col(Job.status).not_in((JobStatus.failed, JobStatus.cancelled)),
        )
    ).one()
    return FairUse(int(used), get_settings().premium_fair_use, start, end)


def is_unlimited(user: User, db: DB, *, cost: int = 0, now: datetime | None = None) -> bool:
    """True when a job of `cost` runs without using credits: Premium, active, and within fair use."""
    usage = fair_use(db, user, now)
    return usage is not None and usage.used + cost <= usage.cap
