"""The admin dashboard: sign-ups, jobs, failures, credits and revenue per UTC day, for charts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session as DB
from sqlmodel import col, select

from palett.models import CreditTransaction, Job, JobStatus, Purchase, UsageLog, User, utcnow
from palett.services.admin.access import require_admin
from palett.services.admin.audit import audit
from palett.services.billing import credits


@dataclass(frozen=True)
class DayStats:
    day: str  # YYYY-MM-DD (UTC)
    signups: int
    jobs: int
    failures: int
    credits_sold: int  # packs bought + subscription refills
    credits_used: int  # captured by finished jobs
    revenue_cents: int  # payments received that day (before refunds)


def dashboard(db: DB, admin: User, *, days: int = 30, now: datetime | None = None) -> list[DayStats]:
    """One row per UTC day, oldest first, for the last `days` days (today included), for charts."""
    acting = require_admin(db, admin)
    days = max(1, min(days, 366))
    now = now or utcnow()
    first = (now - timedelta(days=days - 1)).replace(hour=0, minute=0, second=0, microsecond=0)
    dialect = db.get_bind().dialect.name

    def per_day(column: Any, value: Any, *where: Any) -> dict[str, int]:
        day = _day(column, dialect)
        rows = db.exec(select(day, value).where(column >= first, *where).group_by(day)).all()  # type: ignore[call-overload]
        return {str(d): int(v or 0) for d, v in rows}

    signups = per_day(User.created_at, func.count())
    jobs = per_day(Job.created_at, func.count())
    failures = per_day(Job.created_at, func.count(), Job.status == JobStatus.failed)
    sold = per_day(CreditTransaction.created_at, func.sum(CreditTransaction.delta),
                   col(CreditTransaction.kind).in_((credits.Kind.purchase, credits.Kind.subscription_refill)))
    used = per_day(UsageLog.created_at, func.sum(UsageLog.credits))
    revenue = per_day(Purchase.paid_at, func.sum(Purchase.amount_cents), col(Purchase.paid_at).is_not(None))
    out = []
    for i in range(days):
        key = f"{first + timedelta(days=i):%Y-%m-%d}"
        out.append(DayStats(key, signups.get(key, 0), jobs.get(key, 0), failures.get(key, 0), sold.get(key, 0),
                            used.get(key, 0), revenue.get(key, 0)))
    audit(db, acting, "dashboard.view", "", None, days=days)
    return out


def _day(column: Any, dialect: str) -> Any:
    if dialect == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD")
    return func.strftime("%Y-%m-%d", column)  # SQLite stores UTC text
