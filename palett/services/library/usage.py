"""Usage history: every job with what it cost, filters, CSV export and chart data. Always by owner.

Credits per job come from the Job row, which the ledger settles: a job reserves `cost` at submit and, when
it ends, captures what it used and refunds the rest, leaving `charged` = credits actually spent. So the
credits "used" below equal minus the sum of the job's ledger rows (reserve + capture/refund). Jobs still
running hold a reservation; they show as reserved and are left out of the charts. Days are UTC days.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, literal, tuple_
from sqlmodel import Session as DB
from sqlmodel import col, select

from palett.models import ACTIVE, GeneratedImage, Job
from palett.services.common.errors import UserError
from palett.services.common.paging import (
    check_limit,
    cursor_time,
    day_end,
    day_start,
    decode_cursor,
    encode_cursor,
    iso,
)
from palett.services.library.gallery import model_label, operation_label

CHART_DAYS = (7, 30, 90)
CSV_COLUMNS = ("job_id", "created_at", "operation", "model", "status", "credits_reserved", "credits_charged",
               "credits_refunded", "images", "duration_seconds", "error")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class UsageRow:
    job_id: int
    created: str  # ISO 8601, UTC
    operation: str
    operation_label: str
    model: str
    model_label: str
    status: str  # queued | running | succeeded | failed | cancelled
    reserved: int  # credits held at submit (the job's cost)
    charged: int  # credits spent (0 while the job is still running)
    refunded: int  # credits given back (0 while the job is still running)
    images: int
    duration_ms: int | None
    error: str


@dataclass
class UsagePage:
    rows: list[UsageRow]
    next_cursor: str | None


@dataclass
class UsageSummary:
    days: int
    credits_used: int
    credits_refunded: int
    jobs: int
    succeeded: int
    failed: int  # failed or cancelled (refunded)


def history(db: DB, user_id: int, *, cursor: str | None = None, limit: int = 50, operation: str | None = None,
            status: str | None = None, date_from: date | datetime | None = None,
            date_to: date | datetime | None = None) -> UsagePage:
    """The user's jobs, newest first, in keyset pages (created_at, id)."""
    limit = check_limit(limit)
    query = select(Job).where(*_conditions(user_id, operation, status, date_from, date_to))
    if cursor:
        fields = decode_cursor(cursor, "jobs")
        created: Any = col(Job.created_at)
        bound = tuple_(literal(cursor_time(fields), type_=created.type), literal(fields["i"]))
        query = query.where(tuple_(created, col(Job.id)) < bound)
    jobs = list(db.exec(query.order_by(col(Job.created_at).desc(), col(Job.id).desc()).limit(limit + 1)))
    more, jobs = len(jobs) > limit, jobs[:limit]
    next_cursor = encode_cursor(s="jobs", t=iso(jobs[-1].created_at), i=jobs[-1].id) if more else None
    return UsagePage(rows=_rows(db, user_id, jobs), next_cursor=next_cursor)


def export_csv(db: DB, user_id: int, *, operation: str | None = None, status: str | None = None,
               date_from: date | datetime | None = None, date_to: date | datetime | None = None) -> str:
    """All matching jobs as CSV (newest first), one row per job, columns CSV_COLUMNS."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    query = (select(Job).where(*_conditions(user_id, operation, status, date_from, date_to))
             .order_by(col(Job.created_at).desc(), col(Job.id).desc()))
    jobs = list(db.exec(query))
    for start in range(0, len(jobs), 500):
        for row in _rows(db, user_id, jobs[start:start + 500]):
            duration = "" if row.duration_ms is None else f"{row.duration_ms / 1000:.1f}"
            writer.writerow([_cell(v) for v in (row.job_id, row.created, row.operation, row.model, row.status,
                                                row.reserved, row.charged, row.refunded, row.images, duration,
                                                row.error)])
    return out.getvalue()


def credits_by_day(db: DB, user_id: int, days: int = 30, *, today: date | None = None) -> list[dict[str, Any]]:
    """Credits spent per UTC day over the last `days` days (today included), zero-filled, oldest first:
    [{"day": "2026-11-29", "label": "Nov 29", "credits": 3, "jobs": 2}, ...] (ready for rx.recharts)."""
    first, last = _window(days, today)
    totals: dict[date, list[int]] = {first + timedelta(days=i): [0, 0] for i in range((last - first).days + 1)}
    for created, _operation, charged in _settled(db, user_id, first, last):
        bucket = totals.get(created.astimezone(UTC).date())
        if bucket is not None:
            bucket[0] += charged
            bucket[1] += 1
    return [{"day": d.isoformat(), "label": f"{d:%b} {d.day}", "credits": c, "jobs": n}
            for d, (c, n) in sorted(totals.items())]


def credits_by_operation(db: DB, user_id: int, days: int = 30, *, today: date | None = None
                         ) -> list[dict[str, Any]]:
    """Credits spent per operation over the last `days` days, largest first:
    [{"operation": "t2i", "label": "Text to image", "credits": 12, "jobs": 9}, ...]."""
    first, last = _window(days, today)
    totals: dict[str, list[int]] = {}
    for _created, operation, charged in _settled(db, user_id, first, last):
        bucket = totals.setdefault(operation, [0, 0])
        bucket[0] += charged
        bucket[1] += 1
    return [{"operation": op, "label": operation_label(op), "credits": c, "jobs": n}
            for op, (c, n) in sorted(totals.items(), key=lambda item: (-item[1][0], item[0]))]


def summary(db: DB, user_id: int, days: int = 30, *, today: date | None = None) -> UsageSummary:
    """Totals over the same window as the charts (settled jobs only)."""
    first, last = _window(days, today)
    query = select(Job.status, Job.cost, Job.charged).where(
        Job.user_id == user_id, col(Job.status).not_in(ACTIVE),
        col(Job.created_at) >= day_start(first), col(Job.created_at) < day_end(last))
    rows = db.exec(query).all()
    return UsageSummary(
        days=days, credits_used=sum(charged for _, _, charged in rows),
        credits_refunded=sum(cost - charged for _, cost, charged in rows), jobs=len(rows),
        succeeded=sum(1 for s, _, _ in rows if s == "succeeded"),
        failed=sum(1 for s, _, _ in rows if s != "succeeded"),
    )


# ---- parts ----------------------------------------------------------------------------------------------


def _conditions(user_id: int, operation: str | None, status: str | None, date_from: date | datetime | None,
                date_to: date | datetime | None) -> list[Any]:
    conditions: list[Any] = [Job.user_id == user_id]
    if operation:
        conditions.append(Job.operation == operation)
    if status:
        conditions.append(Job.status == status)
    if date_from is not None:
        conditions.append(col(Job.created_at) >= day_start(date_from))
    if date_to is not None:
        conditions.append(col(Job.created_at) < day_end(date_to))
    return conditions


def _window(days: int, today: date | None) -> tuple[date, date]:
    if not isinstance(days, int) or not 1 <= days <= 366:
        raise UserError("invalid_input", field="period", detail="pick 7, 30 or 90 days")
    last = today or datetime.now(UTC).date()
    return last - timedelta(days=days - 1), last


def _settled(db: DB, user_id: int, first: date, last: date) -> Sequence[tuple[datetime, str, int]]:
    """(created_at, operation, credits spent) of the user's finished jobs created in [first, last]."""
    return db.exec(select(Job.created_at, Job.operation, Job.charged).where(
        Job.user_id == user_id, col(Job.status).not_in(ACTIVE),
        col(Job.created_at) >= day_start(first), col(Job.created_at) < day_end(last))).all()


def _rows(db: DB, user_id: int, jobs: list[Job]) -> list[UsageRow]:
    ids = [j.id for j in jobs]
    counts: dict[int, int] = {}
    if ids:
        counts = {job_id or 0: n for job_id, n in db.exec(
            select(GeneratedImage.job_id, func.count()).where(GeneratedImage.user_id == user_id,
                                                              col(GeneratedImage.job_id).in_(ids))
            .group_by(col(GeneratedImage.job_id))).all()}
    rows = []
    for job in jobs:
        active = job.status in ACTIVE
        duration = None
        if job.finished_at is not None:
            duration = max(0, int((job.finished_at - (job.started_at or job.created_at)).total_seconds() * 1000))
        rows.append(UsageRow(
            job_id=job.id or 0, created=iso(job.created_at), operation=job.operation,
            operation_label=operation_label(job.operation), model=job.model, model_label=model_label(job.model),
            status=job.status, reserved=job.cost, charged=0 if active else job.charged,
            refunded=0 if active else max(0, job.cost - job.charged), images=counts.get(job.id or 0, 0),
            duration_ms=duration, error=job.error or "",
        ))
    return rows


def _cell(value: object) -> object:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe (CSV injection)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value
