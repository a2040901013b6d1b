"""Admin tools: users, credits, accounts, jobs, payments, Stripe events, a dashboard, the audit log.

Every function takes the acting admin first, re-reads that user from the database and refuses with
UserError("forbidden") unless they are an enabled admin, whatever the page showed. Every call (reads
included) writes an `audit_log` row in the caller's transaction, so a change and its record commit
together. Refusals are logged (they roll back with the caller's transaction, so they can't be rows).

The first admins come from ADMIN_EMAILS: accounts.create_user gives them the role at sign-up and
`sync_admins(db)` (run at start-up) promotes existing accounts whose e-mail is listed.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import func
from sqlmodel import Session as DB
from sqlmodel import and_, col, or_, select

from palett.models import (
    ACTIVE,
    AuditLog,
    CreditTransaction,
    Job,
    JobStatus,
    Purchase,
    Role,
    StripeEvent,
    UsageLog,
    User,
    utcnow,
)
from palett.services import credits, pipeline, sessions, submit
from palett.services.billing.account import describe
from palett.services.billing.catalog import money
from palett.services.errors import UserError
from palett.settings import get_settings

log = logging.getLogger(__name__)
STUCK_QUEUED = timedelta(minutes=5)  # queued this long without starting counts as stuck
REASON_MAX = 200


def require_admin(db: DB, admin: User | None) -> User:
    """The acting user, fresh from the database, if they are an enabled admin."""
    fresh = db.get(User, admin.id) if admin is not None and admin.id is not None else None
    if fresh is None or fresh.role != Role.admin or fresh.disabled:
        log.warning("admin: refused a request from user %s", admin.id if admin else None)
        raise UserError("forbidden")
    return fresh


def audit(db: DB, admin: User | None, action: str, target_type: str = "", target_id: object = None,
          **details: Any) -> AuditLog:
    row = AuditLog(admin_id=admin.id if admin else None, admin_email=admin.email if admin else "system",
                   action=action, target_type=target_type,
                   target_id=None if target_id is None else str(target_id)[:64], details=details)
    db.add(row)
    db.flush()
    return row


def _reason(reason: str) -> str:
    reason = " ".join((reason or "").split())
    if not 3 <= len(reason) <= REASON_MAX:
        raise UserError("reason_required", limit=REASON_MAX)
    return reason


def _target(db: DB, user_id: int) -> User:
    user = db.get(User, user_id)
    if user is None:
        raise UserError("user_not_found")
    return user


# ---- users --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UserRow:
    id: int
    email: str
    name: str
    role: str
    plan: str
    subscription_status: str | None
    credits: int
    disabled: bool
    created_at: datetime


def _user_row(u: User) -> UserRow:
    return UserRow(u.id or 0, u.email, u.name, u.role, u.plan, u.subscription_status, u.credits, u.disabled,
                   u.created_at)


def search_users(db: DB, admin: User, query: str = "", *, limit: int = 50, offset: int = 0) -> list[UserRow]:
    """Users whose e-mail or name contains `query` (or whose id is it), newest first."""
    acting = require_admin(db, admin)
    query = (query or "").strip().lower()[:254]
    stmt = select(User).order_by(col(User.id).desc()).limit(min(limit, 200)).offset(max(offset, 0))
    if query:
        match = or_(func.lower(User.email).contains(query, autoescape=True),
                    func.lower(User.name).contains(query, autoescape=True))
        stmt = stmt.where(or_(match, col(User.id) == int(query)) if query.isdigit() else match)
    rows = [_user_row(u) for u in db.exec(stmt)]
    audit(db, acting, "users.search", "user", None, query=query, results=len(rows))
    return rows


@dataclass(frozen=True)
class LedgerRow:
    id: int
    created_at: datetime
    delta: int
    balance_after: int
    kind: str
    reference: str


@dataclass(frozen=True)
class UserDetail:
    user: UserRow
    subscription_plan: str | None
    billing_interval: str | None
    renews_at: datetime | None
    cancel_at_period_end: bool
    stripe_customer_id: str | None
    ledger: list[LedgerRow]  # one page, newest first
    ledger_sum: int
    balance_matches_ledger: bool
    purchases: list[PaymentRow]  # the latest 20
    active_sessions: int
    jobs_total: int
    jobs_failed: int


def _ledger_row(t: CreditTransaction) -> LedgerRow:
    return LedgerRow(t.id or 0, t.created_at, t.delta, t.balance_after, t.kind, t.reference)


def view_user(db: DB, admin: User, user_id: int, *, ledger_limit: int = 50,
              ledger_before_id: int | None = None) -> UserDetail:
    acting = require_admin(db, admin)
    user = _target(db, user_id)
    ledger_stmt = (select(CreditTransaction).where(CreditTransaction.user_id == user_id)
                   .order_by(col(CreditTransaction.id).desc()).limit(min(ledger_limit, 200)))
    if ledger_before_id is not None:
        ledger_stmt = ledger_stmt.where(col(CreditTransaction.id) < ledger_before_id)
    total = credits.ledger_sum(db, user_id)
    purchases = db.exec(select(Purchase).where(Purchase.user_id == user_id).order_by(col(Purchase.id).desc())
                        .limit(20)).all()
    count_jobs = select(func.count()).select_from(Job).where(Job.user_id == user_id)
    jobs_total = db.exec(count_jobs).one()
    jobs_failed = db.exec(count_jobs.where(Job.status == JobStatus.failed)).one()
    audit(db, acting, "user.view", "user", user_id)
    return UserDetail(
        user=_user_row(user), subscription_plan=user.subscription_plan, billing_interval=user.billing_interval,
        renews_at=user.current_period_end, cancel_at_period_end=user.cancel_at_period_end,
        stripe_customer_id=user.stripe_customer_id, ledger=[_ledger_row(t) for t in db.exec(ledger_stmt)],
        ledger_sum=total, balance_matches_ledger=total == user.credits,
        purchases=[_payment_row(p) for p in purchases], active_sessions=len(sessions.active(db, user_id)),
        jobs_total=int(jobs_total), jobs_failed=int(jobs_failed),
    )


def adjust_credits(db: DB, admin: User, user_id: int, delta: int, reason: str, *,
                   request_id: str | None = None) -> LedgerRow:
    """Add (or, negative, remove) credits with a required reason; the ledger row names the admin.

    Pass the form's `request_id` so a double submit applies once. Raises UserError: forbidden,
    user_not_found, reason_required, adjust_invalid, adjust_below_zero.
    """
    acting = require_admin(db, admin)
    reason = _reason(reason)
    if not isinstance(delta, int) or delta == 0 or abs(delta) > 1_000_000:
        raise UserError("adjust_invalid")
    user = _target(db, user_id)
    key = f"admin:{acting.id}:{request_id or uuid.uuid4().hex}"
    try:
        row = credits.apply(db, user_id=user_id, delta=delta, kind=credits.Kind.admin_adjust, idempotency_key=key,
                            reference=f"Adjusted by {acting.email}: {reason}"[:255])
    except credits.InsufficientCredits:
        raise UserError("adjust_below_zero", balance=user.credits) from None
    if row is None:  # this request was applied before
        row = db.exec(select(CreditTransaction).where(CreditTransaction.idempotency_key == key)).one()
    else:
        audit(db, acting, "credits.adjust", "user", user_id, delta=delta, reason=reason, ledger_id=row.id,
              balance_after=row.balance_after)
    return _ledger_row(row)


def set_disabled(db: DB, admin: User, user_id: int, disabled: bool, reason: str = "") -> UserRow:
    """Disable (sign-in refused, every session revoked) or enable an account."""
    acting = require_admin(db, admin)
    if user_id == acting.id:
        raise UserError("admin_self")
    user = _target(db, user_id)
    user.disabled = disabled
    user.updated_at = utcnow()
    db.add(user)
    revoked = sessions.revoke_all(db, user_id) if disabled else 0
    audit(db, acting, "user.disable" if disabled else "user.enable", "user", user_id,
          reason=" ".join((reason or "").split())[:REASON_MAX], sessions_revoked=revoked)
    return _user_row(user)


# ---- jobs ---------------------------------------------------------------------------------------------------

JobFilter = Literal["all", "failed", "stuck", "active"]


@dataclass(frozen=True)
class JobRow:
    id: int
    user_id: int
    operation: str
    model: str
    provider: str
    status: str
    error: str | None
    cost: int
    charged: int
    attempts: int
    created_at: datetime
    finished_at: datetime | None
    stuck: bool


def _is_stuck(job: Job, now: datetime) -> bool:
    if job.status not in ACTIVE:
        return False
    late = job.deadline_at is not None and job.deadline_at < now
    return late or (job.status == JobStatus.queued and job.created_at < now - STUCK_QUEUED)


def _job_row(job: Job, now: datetime) -> JobRow:
    return JobRow(job.id or 0, job.user_id, job.operation, job.model, job.provider, job.status, job.error, job.cost,
                  job.charged, job.attempts, job.created_at, job.finished_at, _is_stuck(job, now))


def list_jobs(db: DB, admin: User, *, state: JobFilter = "all", user_id: int | None = None, limit: int = 50,
              before_id: int | None = None) -> list[JobRow]:
    """Jobs newest first; `stuck` = still active past its deadline, or queued and not started for 5 minutes."""
    acting = require_admin(db, admin)
    now = utcnow()
    stmt = select(Job).order_by(col(Job.id).desc()).limit(min(limit, 200))
    if state == "failed":
        stmt = stmt.where(Job.status == JobStatus.failed)
    elif state == "active":
        stmt = stmt.where(col(Job.status).in_(ACTIVE))
    elif state == "stuck":
        stmt = stmt.where(col(Job.status).in_(ACTIVE), or_(
            col(Job.deadline_at) < now, and_(Job.status == JobStatus.queued, col(Job.created_at) < now - STUCK_QUEUED)))
    if user_id is not None:
        stmt = stmt.where(Job.user_id == user_id)
    if before_id is not None:
        stmt = stmt.where(col(Job.id) < before_id)
    rows = [_job_row(j, now) for j in db.exec(stmt)]
    audit(db, acting, "jobs.list", "job", None, state=state, user_id=user_id, results=len(rows))
    return rows


@dataclass(frozen=True)
class RetryResult:
    """The new job (run retry_job through submit.submit_with: it enqueues the job once committed)."""

    job_id: int
    granted: int  # credits given back first (on the house)


def retry_job(db: DB, admin: User, job_id: int, *, on_the_house: bool = False) -> RetryResult:
    """Run a failed or cancelled job again, as a NEW job submitted for its owner through submit.write_job.

    The old job stays as it was (failed and refunded: its ledger is settled once, for good), so a retry
    is validated, rate limited and charged like any submit. With on_the_house the admin first grants
    the job's cost (once per job, a ledger row naming the admin), so the owner pays nothing.
    """
    acting = require_admin(db, admin)
    job = db.get(Job, job_id)
    if job is None:
        raise UserError("job_not_found")
    if job.status not in (JobStatus.failed, JobStatus.cancelled):
        raise UserError("job_not_retryable")
    owner = _target(db, job.user_id)
    if owner.disabled:
        raise UserError("disabled")
    granted = 0
    if on_the_house and job.cost > 0 and credits.apply(
            db, user_id=owner.id or 0, delta=job.cost, kind=credits.Kind.admin_adjust,
            idempotency_key=f"admin-retry:{job_id}", reference=f"Retry of job #{job_id} on the house ({acting.email})"):
        granted = job.cost
        db.refresh(owner)
    params = {k: v for k, v in job.params.items() if v is not None}
    new = submit.write_job(db, user=owner, params=params)
    audit(db, acting, "job.retry", "job", job_id, new_job_id=new.id, on_the_house=on_the_house, granted=granted)
    return RetryResult(new.id or 0, granted)


@dataclass(frozen=True)
class RefundResult:
    job_id: int
    credits: int
    how: Literal["stopped", "refunded"]  # stopped: an active job ended and its reservation returned


def refund_job(db: DB, admin: User, job_id: int, reason: str) -> RefundResult:
    """Give a job's credits back.

    An active (e.g. stuck) job is ended as failed through the pipeline's own settle: its reservation
    comes back exactly once, as if it had timed out. A succeeded job's captured credits are returned
    with a ledger `refund` row (once per job). Failed and cancelled jobs were refunded already.
    """
    acting = require_admin(db, admin)
    reason = _reason(reason)
    job = db.get(Job, job_id)
    if job is None:
        raise UserError("job_not_found")
    amount = job.charged
    if job.status in ACTIVE:
        if not pipeline._finish(db, job, JobStatus.failed, error="Stopped by support; your credits were returned."):
            raise UserError("already_refunded")
        how: Literal["stopped", "refunded"] = "stopped"
    elif job.status == JobStatus.succeeded:
        if amount <= 0:
            raise UserError("nothing_to_refund")
        if credits.apply(db, user_id=job.user_id, delta=amount, kind=credits.Kind.refund,
                         idempotency_key=f"job:{job_id}:admin-refund",
                         reference=f"Refund of job #{job_id} by {acting.email}: {reason}"[:255]) is None:
            raise UserError("already_refunded")
        how = "refunded"
    else:
        raise UserError("already_refunded")
    audit(db, acting, "job.refund", "job", job_id, user_id=job.user_id, credits=amount, how=how, reason=reason)
    return RefundResult(job_id, amount, how)


# ---- payments -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PaymentRow:
    id: int
    user_id: int
    created_at: datetime
    kind: str  # pack | subscription
    description: str  # "Creator pack", "Pro plan (monthly)"
    amount: str  # "$19.99"
    credits: int
    credits_refunded: int
    status: str
    receipt_url: str | None
    stripe_session_id: str | None
    stripe_invoice_id: str | None


def _payment_row(p: Purchase) -> PaymentRow:
    return PaymentRow(p.id or 0, p.user_id, p.created_at, p.kind, describe(p.product),
                      money(p.amount_cents, p.currency), p.credits, p.credits_refunded, p.status, p.receipt_url,
                      p.stripe_session_id, p.stripe_invoice_id)


def list_purchases(db: DB, admin: User, *, user_id: int | None = None, status: str | None = None,
                   limit: int = 50, before_id: int | None = None) -> list[PaymentRow]:
    acting = require_admin(db, admin)
    stmt = select(Purchase).order_by(col(Purchase.id).desc()).limit(min(limit, 200))
    if user_id is not None:
        stmt = stmt.where(Purchase.user_id == user_id)
    if status:
        stmt = stmt.where(Purchase.status == status)
    if before_id is not None:
        stmt = stmt.where(col(Purchase.id) < before_id)
    rows = [_payment_row(p) for p in db.exec(stmt)]
    audit(db, acting, "purchases.list", "purchase", None, user_id=user_id, status=status, results=len(rows))
    return rows


@dataclass(frozen=True)
class EventRow:
    id: str
    type: str
    created: datetime
    applied_at: datetime
    outcome: str
    user_id: int | None
    object_id: str | None
    summary: dict[str, Any]


def list_stripe_events(db: DB, admin: User, *, type_prefix: str | None = None, user_id: int | None = None,
                       limit: int = 50, before: datetime | None = None) -> list[EventRow]:
    """Stored Stripe events, newest applied first (page with the last row's applied_at as `before`)."""
    acting = require_admin(db, admin)
    stmt = select(StripeEvent).order_by(col(StripeEvent.applied_at).desc()).limit(min(limit, 200))
    if type_prefix:
        stmt = stmt.where(col(StripeEvent.type).startswith(type_prefix, autoescape=True))
    if user_id is not None:
        stmt = stmt.where(StripeEvent.user_id == user_id)
    if before is not None:
        stmt = stmt.where(col(StripeEvent.applied_at) < before)
    rows = [EventRow(e.id, e.type, e.created, e.applied_at, e.outcome, e.user_id, e.object_id, dict(e.summary))
            for e in db.exec(stmt)]
    audit(db, acting, "stripe_events.list", "stripe_event", None, type_prefix=type_prefix, results=len(rows))
    return rows


# ---- dashboard and audit ------------------------------------------------------------------------------------


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


@dataclass(frozen=True)
class AuditRow:
    id: int
    created_at: datetime
    admin_email: str
    action: str
    target_type: str
    target_id: str | None
    details: dict[str, Any]


def list_audit(db: DB, admin: User, *, target_type: str | None = None, target_id: object = None, limit: int = 50,
               before_id: int | None = None) -> list[AuditRow]:
    acting = require_admin(db, admin)
    stmt = select(AuditLog).order_by(col(AuditLog.id).desc()).limit(min(limit, 200))
    if target_type:
        stmt = stmt.where(AuditLog.target_type == target_type)
    if target_id is not None:
        stmt = stmt.where(AuditLog.target_id == str(target_id))
    if before_id is not None:
        stmt = stmt.where(col(AuditLog.id) < before_id)
    rows = [AuditRow(a.id or 0, a.created_at, a.admin_email, a.action, a.target_type, a.target_id, dict(a.details))
            for a in db.exec(stmt)]
    audit(db, acting, "audit.view", "audit_log", None, filter_type=target_type, results=len(rows))
    return rows


def sync_admins(db: DB) -> list[int]:
    """Promote every existing account whose e-mail is in ADMIN_EMAILS (run at start-up). Never demotes."""
    emails = get_settings().admin_email_set
    if not emails:
        return []
    promoted = []
    for user in db.exec(select(User).where(func.lower(User.email).in_(emails), User.role != Role.admin)):
        user.role = Role.admin
        user.updated_at = utcnow()
        db.add(user)
        promoted.append(user.id or 0)
        audit(db, None, "user.promote", "user", user.id, source="ADMIN_EMAILS", email=user.email)
    if promoted:
        log.info("admin: promoted %s from ADMIN_EMAILS", promoted)
    return promoted
