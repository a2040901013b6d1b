"""The billing page: plan, balance, offers, purchase history, and the return from Stripe Checkout.

Everything shown is read from our own tables (the webhooks keep them in sync); nothing here talks to
Stripe. The signed-in user is looked up afresh in every handler, never taken from state.
"""

from __future__ import annotations

import asyncio
from typing import TypedDict

import reflex as rx
from sqlmodel import Session as DB

from palett.services import billing
from palett.services.billing.catalog import BASIC_TOOLS_TEXT
from palett.services.common.db import in_db
from palett.services.common.presenters import month_day_year
from palett.settings import get_settings
from palett.state.events import Reply
from palett.state.session import SessionState, SignedIn, signed_in

POLL_EVERY = 2.0  # seconds between checks while the webhook hasn't landed
POLL_FOR = 60.0  # give up (and say so) after about this long


class HistoryRow(TypedDict):
    id: int
    when: str
    description: str
    amount: str
    credits: str
    status: str
    receipt_url: str


def history_row(row: billing.PurchaseRow) -> HistoryRow:
    credits = f"+{row.credits}" if row.credits else "—"
    if row.credits_refunded:
        credits += f" (−{row.credits_refunded} refunded)"
    return HistoryRow(id=row.id, when=month_day_year(row.created_at), description=row.description, amount=row.amount,
                      credits=credits, status=row.status, receipt_url=row.receipt_url or "")


def highlighted(code: str) -> str:
    """A product named in the URL, if it is one we sell; '' otherwise (never echo arbitrary input)."""
    return code if billing.parse_product(code) is not None else ""


def fair_use_text(summary: billing.BillingSummary) -> str:
    """The user's use of their plan's allowance this month, or '' when the plan has none."""
    if summary.fair_use_cap is None:
        return ""
    used, cap = f"{summary.fair_use_used or 0:,}", f"{summary.fair_use_cap:,}"
    resets = month_day_year(summary.fair_use_resets_at)
    if summary.allowance_kind == "pro_basic":
        return f"Free basic tools ({BASIC_TOOLS_TEXT}): {used} of {cap} used this month, resets {resets}."
    return f"Fair use: {used} of {cap} generations this month, resets {resets}."


STATUS_LABELS = {"active": "Active", "trialing": "Trial", "past_due": "Payment failed", "unpaid": "Unpaid",
                 "canceled": "Ended", "incomplete": "Waiting for payment", "incomplete_expired": "Expired",
                 "paused": "Paused"}


class BillingState(SessionState):
    loaded: bool = False
    enabled: bool = False
    can_manage: bool = False
    current_plan: str = "free"
    plan_name: str = "Free"
    status_label: str = ""
    interval_label: str = ""
    balance: int = 0
    renews_text: str = ""
    banner: str = ""
    fair_use_text: str = ""
    yearly: bool = False
    highlight: str = ""  # the product a cost preview sent the user here for (?highlight=starter | pro_month)
    pro_basic_cap: int = 0
    plans: list[billing.PlanOffer] = []
    packs: list[billing.PackOffer] = []
    history_rows: list[HistoryRow] = []
    # The return from Checkout: "" (none) | pending | paid | failed | slow | unknown
    checkout: str = ""
    checkout_text: str = ""
    polling: bool = False
    _session_id: str = ""

    @rx.event
    def set_interval(self, value: str | list[str]) -> None:
        value = value[0] if isinstance(value, list) else value
        self.yearly = value == "year"

    async def _refresh(self, user_id: int) -> None:
        settings = get_settings()

        def work(db: DB) -> tuple[billing.BillingSummary, list[billing.PurchaseRow]]:
            return billing.summary(db, user_id), billing.history(db, user_id)

        summary, rows = await in_db(work)
        self.enabled = summary.billing_enabled
        self.can_manage = summary.can_manage
        self.current_plan = summary.plan
        self.plan_name = summary.plan_name
        self.status_label = STATUS_LABELS.get(summary.subscription_status or "", summary.subscription_status or "")
        self.interval_label = {"month": "Billed monthly", "year": "Billed yearly"}.get(summary.interval or "", "")
        self.balance = summary.balance
        self.credits = summary.balance
        if summary.renews_at:
            verb = "Ends on" if summary.cancel_at_period_end or summary.subscription_status == "canceled" \
                else "Renews on"
            self.renews_text = f"{verb} {month_day_year(summary.renews_at)}"
        else:
            self.renews_text = ""
        self.banner = summary.banner
        self.fair_use_text = fair_use_text(summary)
        self.pro_basic_cap = settings.pro_basic_fair_use
        self.plans = billing.plan_offers(settings)
        self.packs = billing.pack_offers(settings)
        self.history_rows = [history_row(r) for r in rows]

    async def _check(self, user_id: int) -> str:
        session_id = self._session_id
        status = await in_db(lambda db: billing.checkout_status(db, user_id, session_id))
        if status.status in ("paid", "partially_refunded", "refunded"):
            self.checkout = "paid"
            self.checkout_text = (f"Payment received, credits added: {status.description}"
                                  + (f" (+{status.credits} credits)." if status.credits else ".")
                                  + f" Your balance is {status.balance:,}.")
        elif status.status in ("failed", "expired"):
            self.checkout = "failed"
            self.checkout_text = "That payment didn't go through. Nothing was charged."
        elif status.status == "unknown":
            self.checkout = "unknown"
            self.checkout_text = "We couldn't find that checkout on your account."
        else:
            self.checkout = "pending"
            self.checkout_text = "Waiting for Stripe to confirm your payment… credits appear as soon as it does."
        return self.checkout

    @rx.event
    @signed_in
    async def load_billing(self, me: SignedIn) -> Reply:
        user_id = me.user_id
        await self._refresh(user_id)
        params = self.router.url.query_parameters
        self.checkout, self.checkout_text, self._session_id = "", "", ""
        self.highlight = highlighted(params.get("highlight", ""))
        if self.highlight.endswith("_year"):
            self.yearly = True
        scroll = rx.call_script(f"document.getElementById('{self.highlight_id}')?.scrollIntoView({{block: 'center'}})"
                                ) if self.highlight else None
        if params.get("checkout") == "success" and params.get("session_id"):
            self._session_id = params.get("session_id", "")[:255]
            if await self._check(user_id) == "pending" and not self.polling:
                self.loaded = True
                return BillingState.poll_checkout
        self.loaded = True
        return scroll

    @rx.var
    def highlight_id(self) -> str:
        """The element id of the highlighted pack or plan card."""
        product = billing.parse_product(self.highlight) if self.highlight else None
        if product is None:
            return ""
        return f"pack-{product.key}" if product.kind == "pack" else f"plan-{product.key}"

    @rx.event(background=True)
    async def poll_checkout(self) -> None:
        async with self:
            if self.polling:
                return
            self.polling = True
        try:
            waited = 0.0
            while waited < POLL_FOR:
                await asyncio.sleep(POLL_EVERY)
                waited += POLL_EVERY
                async with self:
                    found = await self.current_user()
                    if found is None or self.checkout != "pending":
                        return
                    user_id = found[1].id or 0
                    if await self._check(user_id) != "pending":
                        await self._refresh(user_id)
                        return
            async with self:
                self.checkout = "slow"
                self.checkout_text = ("Stripe hasn't confirmed the payment yet. It can take a few minutes; "
                                      "reload this page later. You are never charged twice.")
        finally:
            async with self:
                self.polling = False
