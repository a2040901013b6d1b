"""Admin tools for accounts: search, one user's full picture, disable/enable, and promoting ADMIN_EMAILS.

The first admins come from ADMIN_EMAILS: accounts.create_user gives them the role at sign-up and
`sync_admins(db)` (run at start-up) promotes existing accounts whose e-mail is listed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session as DB
from sqlmodel import col, or_, select

from palett.models import CreditTransaction, Job, JobStatus, Purchase, Role, User, utcnow
from palett.services.accounts import sessions
from palett.services.admin.access import REASON_MAX, require_admin, target_user
from palett.services.admin.audit import audit
from palett.services.admin.ledger import LedgerRow, ledger_row
from palett.services.admin.payments import PaymentRow, payment_row
from palett.services.billing import credits
from palett.services.common.errors import UserError
from palett.services.common.paging import newest_first
from palett.settings import get_settings

log = logging.getLogger(__name__)


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


def user_row(u: User) -> UserRow:
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
    rows = [user_row(u) for u in db.exec(stmt)]
    audit(db, acting, "users.search", "user", None, query=query, results=len(rows))
    return rows


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


def view_user(db: DB, admin: User, user_id: int, *, ledger_limit: int = 50,
              ledger_before_id: int | None = None) -> UserDetail:
    acting = require_admin(db, admin)
    user = target_user(db, user_id)
    ledger_stmt = newest_first(select(CreditTransaction).where(CreditTransaction.user_id == user_id),
                               CreditTransaction.id, limit=ledger_limit, before_id=ledger_before_id)
    total = credits.ledger_sum(db, user_id)
    purchases = db.exec(select(Purchase).where(Purchase.user_id == user_id).order_by(col(Purchase.id).desc())
                        .limit(20)).all()
    count_jobs = select(func.count()).select_from(Job).where(Job.user_id == user_id)
    jobs_total = db.exec(count_jobs).one()
    jobs_failed = db.exec(count_jobs.where(Job.status == JobStatus.failed)).one()
    audit(db, acting, "user.view", "user", user_id)
    return UserDetail(
        user=user_row(user), subscription_plan=user.subscription_plan, billing_interval=user.billing_interval,
        renews_at=user.current_period_end, cancel_at_period_end=user.cancel_at_period_end,
        stripe_customer_id=user.stripe_customer_id, ledger=[ledger_row(t) for t in db.exec(ledger_stmt)],
        ledger_sum=total, balance_matches_ledger=total == user.credits,
        purchases=[payment_row(p) for p in purchases], active_sessions=len(sessions.active(db, user_id)),
        jobs_total=int(jobs_total), jobs_failed=int(jobs_failed),
    )


def set_disabled(db: DB, admin: User, user_id: int, disabled: bool, reason: str = "") -> UserRow:
    """Disable (sign-in refused, every session revoked) or enable an account."""
    acting = require_admin(db, admin)
    if user_id == acting.id:
        raise UserError("admin_self")
    user = target_user(db, user_id)
    user.disabled = disabled
    user.updated_at = utcnow()
    db.add(user)
    revoked = sessions.revoke_all(db, user_id) if disabled else 0
    audit(db, acting, "user.disable" if disabled else "user.enable", "user", user_id,
          reason=" ".join((reason or "").split())[:REASON_MAX], sessions_revoked=revoked)
    return user_row(user)


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
