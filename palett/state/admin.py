"""The admin pages' state. Every handler re-reads the signed-in user and goes through services.admin,
which refuses anyone who is not an enabled admin (and writes the audit log). A non-admin is sent away
and their events change nothing."""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, Concatenate, ParamSpec, TypedDict, TypeVar

import reflex as rx
from reflex_base.event import EventSpec
from sqlmodel import Session as DB

from palett.models import User
from palett.services import admin
from palett.services.common import presenters
from palett.services.common.db import in_db
from palett.services.common.errors import UserError
from palett.services.common.presenters import sortable
from palett.services.generation import submit
from palett.state.events import Reply
from palett.state.session import SIGN_IN, SessionState, hide_first_argument

P = ParamSpec("P")
R = TypeVar("R")

JOB_FILTERS = ("failed", "stuck", "active", "all")
NO_USER = admin.UserRow(id=0, email="", name="", role="", plan="", subscription_status=None, credits=0,
                        disabled=False, created_at=datetime.min)  # no account open


class LedgerItem(TypedDict):
    id: int
    when: str
    delta: str
    balance: int
    kind: str
    reference: str


class JobItem(TypedDict):
    id: int
    user_id: int
    when: str
    operation: str
    model: str
    status: str
    error: str
    charged: int
    stuck: bool
    retryable: bool


class PaymentItem(TypedDict):
    id: int
    user_id: int
    when: str
    description: str
    amount: str
    credits: int
    status: str


class EventItem(TypedDict):
    id: str
    type: str
    when: str
    outcome: str
    user_id: str


class AuditItem(TypedDict):
    id: int
    when: str
    admin: str
    action: str
    target: str
    details: str


def dashboard_summary(rows: list[admin.DayStats]) -> str:
    days = len(rows)
    total = {k: sum(getattr(r, k) for r in rows) for k in ("signups", "jobs", "failures", "credits_sold",
                                                           "credits_used")}
    return (f"Last {days} days: {total['signups']:,} sign-ups, {total['jobs']:,} jobs of which "
            f"{total['failures']:,} failed; {total['credits_sold']:,} credits sold and "
            f"{total['credits_used']:,} used.")


def admin_only(fn: Callable[Concatenate[AdminState, User, P], Awaitable[R]]
               ) -> Callable[Concatenate[AdminState, P], Awaitable[R | EventSpec]]:
    """@signed_in for the admin pages: `me` is the signed-in admin; anyone else is sent away."""

    @functools.wraps(fn)
    async def handler(self: AdminState, /, *args: P.args, **kwargs: P.kwargs) -> R | EventSpec:
        me = await self._admin()
        if me is None:
            return self._away()
        return await fn(self, me, *args, **kwargs)

    hide_first_argument(handler, fn)
    return handler


class AdminState(SessionState):
    allowed: bool = False
    problem: str = ""
    notice: str = ""
    query: str = ""
    users: list[admin.UserRow] = []
    selected: admin.UserRow = NO_USER
    selected_info: str = ""
    ledger_check: str = ""
    ledger: list[LedgerItem] = []
    adjust_form_key: str = ""
    job_filter: str = "failed"
    jobs: list[JobItem] = []
    job_reason: str = ""
    payments: list[PaymentItem] = []
    events: list[EventItem] = []
    days: list[dict[str, Any]] = []
    days_text: str = ""
    audit_rows: list[AuditItem] = []

    async def _admin(self) -> User | None:
        """The signed-in user if they are an admin right now (the services check again)."""
        found = await self.current_user()
        user = found[1] if found else None
        self.allowed = bool(user and user.role == "admin" and not user.disabled)
        return user if self.allowed else None

    def _fail(self, err: UserError) -> None:
        self.problem, self.notice = err.message or err.code, ""

    def _done(self, text: str) -> None:
        self.problem, self.notice = "", text

    def _away(self) -> EventSpec:
        self._clear()
        return rx.redirect("/app" if self.signed_in else SIGN_IN)

    def _clear(self) -> None:
        self.users, self.ledger, self.jobs, self.payments, self.events, self.days, self.audit_rows = \
            [], [], [], [], [], [], []
        self.selected_info = self.days_text = self.ledger_check = ""

    # ---- loading ----------------------------------------------------------------------------------------

    async def _load_users(self, me: User) -> None:
        query = self.query
        self.users = await in_db(lambda db: admin.search_users(db, me, query))

    async def _load_detail(self, me: User, user_id: int) -> None:
        detail = await in_db(lambda db: admin.view_user(db, me, user_id))
        self.selected = detail.user
        renews = f", renews {sortable(detail.renews_at)}" if detail.renews_at else ""
        self.selected_info = (f"Plan {detail.user.plan} (subscription: {detail.subscription_plan or 'none'}, "
                              f"{detail.user.subscription_status or 'no status'}{renews}). Jobs: "
                              f"{detail.jobs_total} ({detail.jobs_failed} failed). Active sessions: "
                              f"{detail.active_sessions}.")
        self.ledger_check = ("Ledger sum matches the balance." if detail.balance_matches_ledger else
                             f"Ledger sum {detail.ledger_sum} does not match the balance {detail.user.credits}!")
        self.ledger = [LedgerItem(id=t.id, when=sortable(t.created_at), delta=f"{t.delta:+d}", balance=t.balance_after,
                                  kind=t.kind, reference=t.reference) for t in detail.ledger]
        self.adjust_form_key = uuid.uuid4().hex

    async def _load_jobs(self, me: User) -> None:
        state = self.job_filter if self.job_filter in JOB_FILTERS else "failed"
        rows = await in_db(lambda db: admin.list_jobs(db, me, state=state))  # type: ignore[arg-type]
        self.jobs = [JobItem(id=j.id, user_id=j.user_id, when=sortable(j.created_at), operation=j.operation,
                             model=j.model, status=j.status, error=(j.error or "")[:160], charged=j.charged,
                             stuck=j.stuck, retryable=j.status in ("failed", "cancelled")) for j in rows]

    async def _load_rest(self, me: User) -> None:
        def work(db: DB) -> tuple[list[admin.PaymentRow], list[admin.EventRow], list[admin.DayStats],
                                  list[admin.AuditRow]]:
            return (admin.list_purchases(db, me, limit=30), admin.list_stripe_events(db, me, limit=30),
                    admin.dashboard(db, me, days=30), admin.list_audit(db, me, limit=40))

        payments, events, days, audits = await in_db(work)
        self.payments = [PaymentItem(id=p.id, user_id=p.user_id, when=sortable(p.created_at), description=p.description,
                                     amount=p.amount, credits=p.credits, status=p.status) for p in payments]
        self.events = [EventItem(id=e.id, type=e.type, when=sortable(e.applied_at), outcome=e.outcome,
                                 user_id=str(e.user_id or "")) for e in events]
        self.days = [{"label": d.day[5:], "signups": d.signups, "jobs": d.jobs, "failures": d.failures,
                      "credits_sold": d.credits_sold, "credits_used": d.credits_used} for d in days]
        self.days_text = dashboard_summary(days)
        self.audit_rows = [AuditItem(id=a.id, when=sortable(a.created_at), admin=a.admin_email, action=a.action,
                                     target=f"{a.target_type} {a.target_id or ''}".strip(),
                                     details=json.dumps(a.details, default=str)[:200]) for a in audits]

    @rx.event
    @admin_only
    async def load_admin(self, me: User) -> Reply:
        self.problem = self.notice = ""
        try:
            await self._load_users(me)
            await self._load_jobs(me)
            await self._load_rest(me)
        except UserError as err:
            self._fail(err)
            return self._away()
        return None

    # ---- users ------------------------------------------------------------------------------------------

    @rx.event
    @admin_only
    async def search(self, me: User, form: dict[str, Any]) -> None:
        self.query = str(form.get("query", ""))[:120]
        try:
            await self._load_users(me)
            self._done(f"{len(self.users)} account(s) found.")
        except UserError as err:
            self._fail(err)
        return None

    @rx.event
    @admin_only
    async def select_user(self, me: User, user_id: int) -> None:
        try:
            await self._load_detail(me, int(user_id))
            self.problem = ""
        except (UserError, ValueError) as err:
            self._fail(err if isinstance(err, UserError) else UserError("user_not_found"))
        return None

    @rx.event
    @admin_only
    async def adjust(self, me: User, form: dict[str, Any]) -> None:
        user_id = self.selected.id
        try:
            delta = int(str(form.get("delta", "")).strip())
        except ValueError:
            self._fail(UserError("adjust_invalid"))
            return None
        reason = str(form.get("reason", ""))
        request_id = self.adjust_form_key or uuid.uuid4().hex
        try:
            row = await in_db(lambda db: admin.adjust_credits(db, me, user_id, delta, reason, request_id=request_id))
            await self._load_detail(me, user_id)
            await self._load_users(me)
            self._done(f"Adjusted by {delta:+d}; the balance is now {row.balance_after}.")
        except UserError as err:
            self._fail(err)
        return None

    @rx.event
    @admin_only
    async def set_disabled(self, me: User, user_id: int, disabled: bool) -> None:
        try:
            await in_db(lambda db: admin.set_disabled(db, me, int(user_id), bool(disabled)))
            await self._load_users(me)
            if self.selected.id == int(user_id):
                await self._load_detail(me, int(user_id))
            self._done("Account disabled; its sessions were signed out." if disabled else "Account enabled.")
        except UserError as err:
            self._fail(err)
        return None

    # ---- jobs -------------------------------------------------------------------------------------------

    @rx.event
    @admin_only
    async def set_job_filter(self, me: User, value: str | list[str]) -> None:
        value = value[0] if isinstance(value, list) else value
        self.job_filter = value if value in JOB_FILTERS else "failed"
        try:
            await self._load_jobs(me)
        except UserError as err:
            self._fail(err)
        return None

    @rx.event
    def set_job_reason(self, value: str) -> None:
        self.job_reason = value[:200]

    @rx.event
    @admin_only
    async def retry(self, me: User, job_id: int) -> None:
        try:
            result = await submit.submit_with(lambda db: admin.retry_job(db, me, int(job_id)))
        except UserError as err:
            self._fail(err)
            return None
        await self._load_jobs(me)
        self._done(f"Job #{job_id} is running again as job #{result.job_id}.")
        return None

    @rx.event
    @admin_only
    async def refund(self, me: User, job_id: int) -> None:
        reason = self.job_reason
        try:
            result = await in_db(lambda db: admin.refund_job(db, me, int(job_id), reason))
            await self._load_jobs(me)
            self._done(f"Job #{job_id}: {presenters.credits(result.credits)} returned ({result.how}).")
        except UserError as err:
            self._fail(err)
        return None

    @rx.event
    @admin_only
    async def refresh_lists(self, me: User) -> None:
        try:
            await self._load_rest(me)
        except UserError as err:
            self._fail(err)
        return None
