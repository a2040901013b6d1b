"""Usage history: one page of the user's jobs with filters, CSV export, and credit charts with text summaries."""

from __future__ import annotations

from typing import Any, TypedDict
from urllib.parse import urlencode

import reflex as rx
from sqlmodel import Session as DB

from palett.services.common import presenters
from palett.services.common.db import in_db
from palett.services.common.errors import UserError
from palett.services.common.presenters import plural
from palett.services.generation import operations
from palett.services.library import usage
from palett.state.events import Reply
from palett.state.gallery.grid import ALL, parse_day
from palett.state.session import SIGN_IN, SessionState, SignedIn, signed_in

PAGE_SIZE = 50
STATUSES = [("succeeded", "Done"), ("failed", "Failed"), ("cancelled", "Cancelled"), ("running", "Running"),
            ("queued", "Queued")]


class UsageItem(TypedDict):
    id: int
    when: str
    operation: str
    model: str
    local: bool
    status: str
    credits: str
    refunded: int
    images: int
    duration: str
    error: str


def as_item(row: usage.UsageRow) -> UsageItem:
    if row.status in ("queued", "running"):
        credits = f"{row.reserved} reserved"
    else:
        credits = str(row.charged)
    return UsageItem(
        id=row.job_id, when=presenters.date_and_time(row.created), operation=row.operation_label,
        model=row.model_label, local=row.model.startswith("local"), status=row.status, credits=credits,
        refunded=row.refunded, images=row.images, duration=presenters.duration(row.duration_ms), error=row.error,
    )


def day_summary(days: int, by_day: list[dict[str, Any]], summary: usage.UsageSummary) -> str:
    """The per-day chart in words, for screen readers and anyone who prefers text."""
    if not summary.jobs:
        return f"No finished jobs in the last {days} days."
    busiest = max(by_day, key=lambda d: d["credits"]) if by_day else None
    text = (f"In the last {days} days you used {presenters.credits(summary.credits_used)} on "
            f"{plural(summary.jobs, 'job')}")
    if summary.failed:
        verb = "was" if summary.failed == 1 else "were"
        text += (f"; {plural(summary.failed, 'job')} failed or {verb} cancelled and "
                 f"{presenters.credits(summary.credits_refunded)} came back")
    text += "."
    if busiest and busiest["credits"]:
        text += f" Busiest day: {busiest['label']}, {presenters.credits(busiest['credits'])}."
    return text


def operation_summary(days: int, by_operation: list[dict[str, Any]]) -> str:
    if not by_operation:
        return f"No credits used by any operation in the last {days} days."
    parts = [f"{row['label']} {presenters.credits(row['credits'])} ({plural(row['jobs'], 'job')})"
             for row in by_operation]
    return "Credits by operation: " + "; ".join(parts) + "."


class UsageState(SessionState):
    rows: list[UsageItem] = []
    days: str = "30"
    operation: str = ALL
    status: str = ALL
    date_from: str = ""
    date_to: str = ""
    by_day: list[dict[str, Any]] = []
    by_operation: list[dict[str, Any]] = []
    day_text: str = ""
    operation_text: str = ""
    used: int = 0
    refunded: int = 0
    jobs_count: int = 0
    failed: int = 0
    page_number: int = 1
    has_next: bool = False
    loaded: bool = False
    has_jobs: bool = True
    _cursors: list[str] = []  # the cursor of each page up to the current one ("" for the first)
    _next: str = ""

    @rx.var
    def csv_href(self) -> str:
        query = {"operation": "" if self.operation == ALL else self.operation,
                 "status": "" if self.status == ALL else self.status,
                 "date_from": self.date_from, "date_to": self.date_to}
        encoded = urlencode({k: v for k, v in query.items() if v})
        return "/api/library/usage.csv" + ("?" + encoded if encoded else "")

    @rx.var
    def operation_options(self) -> list[list[str]]:
        return [[op.key, op.label] for op in operations.all_operations()]

    @rx.var
    def status_options(self) -> list[list[str]]:
        return [list(s) for s in STATUSES]

    @rx.event
    @signed_in
    async def load_usage(self, me: SignedIn) -> None:
        user_id = me.user_id
        await self._charts(user_id)
        await self._page(user_id, "", reset=True)
        self.has_jobs = bool(self.rows) or bool(await in_db(lambda db: usage.history(db, user_id, limit=1).rows))
        self.loaded = True
        return None

    async def _charts(self, user_id: int) -> None:
        days = int(self.days) if self.days in ("7", "30", "90") else 30

        def work(db: DB) -> tuple[list[dict[str, Any]], list[dict[str, Any]], usage.UsageSummary]:
            return (usage.credits_by_day(db, user_id, days), usage.credits_by_operation(db, user_id, days),
                    usage.summary(db, user_id, days))

        by_day, by_operation, summary = await in_db(work)
        self.by_day, self.by_operation = by_day, by_operation
        self.used, self.refunded = summary.credits_used, summary.credits_refunded
        self.jobs_count, self.failed = summary.jobs, summary.failed
        self.day_text = day_summary(days, by_day, summary)
        self.operation_text = operation_summary(days, by_operation)

    async def _page(self, user_id: int, cursor: str, *, reset: bool = False) -> None:
        operation = None if self.operation == ALL else self.operation
        status = None if self.status == ALL else self.status
        date_from, date_to = parse_day(self.date_from), parse_day(self.date_to)
        try:
            page = await in_db(lambda db: usage.history(db, user_id, cursor=cursor or None, limit=PAGE_SIZE,
                                                        operation=operation, status=status, date_from=date_from,
                                                        date_to=date_to))
        except UserError:
            cursor, reset = "", True
            page = await in_db(lambda db: usage.history(db, user_id, limit=PAGE_SIZE))
        if reset:
            self._cursors = [""]
        self.rows = [as_item(r) for r in page.rows]
        self._next = page.next_cursor or ""
        self.has_next = bool(page.next_cursor)
        self.page_number = len(self._cursors)

    @rx.event
    @signed_in
    async def next_page(self, me: SignedIn) -> Reply:
        user_id = me.user_id
        if not self._next:
            return None
        cursor = self._next
        self._cursors = [*self._cursors, cursor]
        await self._page(user_id, cursor)
        return rx.call_script("document.getElementById('usage-table')?.scrollIntoView({block: 'start'})")

    @rx.event
    @signed_in
    async def previous_page(self, me: SignedIn) -> None:
        user_id = me.user_id
        if len(self._cursors) < 2:
            return None
        self._cursors = self._cursors[:-1]
        await self._page(user_id, self._cursors[-1])
        return None

    async def _refilter(self) -> Reply:
        user_id = await self.signed_in_user_id()
        if user_id is None:
            return rx.redirect(SIGN_IN)
        await self._page(user_id, "", reset=True)
        return None

    @rx.event
    @signed_in
    async def set_days(self, me: SignedIn, value: str | list[str]) -> None:
        value = value[0] if isinstance(value, list) else value
        self.days = value if value in ("7", "30", "90") else "30"
        user_id = me.user_id
        await self._charts(user_id)
        return None

    @rx.event
    async def set_operation(self, value: str) -> Reply:
        self.operation = value or ALL
        return await self._refilter()

    @rx.event
    async def set_status(self, value: str) -> Reply:
        self.status = value or ALL
        return await self._refilter()

    @rx.event
    async def set_date_from(self, value: str) -> Reply:
        self.date_from = value if parse_day(value) else ""
        return await self._refilter()

    @rx.event
    async def set_date_to(self, value: str) -> Reply:
        self.date_to = value if parse_day(value) else ""
        return await self._refilter()

    @rx.event
    async def clear_filters(self) -> Reply:
        self.operation, self.status, self.date_from, self.date_to = ALL, ALL, "", ""
        return await self._refilter()
