"""Admin tools for jobs: list them (failed, stuck, active), retry one as a new job, give its credits back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlmodel import Session as DB
from sqlmodel import and_, col, or_, select

from palett.models import ACTIVE, Job, JobStatus, User, utcnow
from palett.services.admin.access import clean_reason, require_admin, target_user
from palett.services.admin.audit import audit
from palett.services.billing import credits
from palett.services.common.errors import UserError
from palett.services.common.paging import newest_first
from palett.services.generation import pipeline, submit

STUCK_QUEUED = timedelta(minutes=5)  # queued this long without starting counts as stuck

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
    stmt = newest_first(select(Job), Job.id, limit=limit, before_id=before_id)
    if state == "failed":
        stmt = stmt.where(Job.status == JobStatus.failed)
    elif state == "active":
        stmt = stmt.where(col(Job.status).in_(ACTIVE))
    elif state == "stuck":
        stmt = stmt.where(col(Job.status).in_(ACTIVE), or_(
            col(Job.deadline_at) < now, and_(Job.status == JobStatus.queued, col(Job.created_at) < now - STUCK_QUEUED)))
    if user_id is not None:
        stmt = stmt.where(Job.user_id == user_id)
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
    owner = target_user(db, job.user_id)
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
    reason = clean_reason(reason)
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
