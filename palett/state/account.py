"""The settings page and the home dashboard: small views of the signed-in user's own rows."""

from __future__ import annotations

import asyncio
from typing import TypedDict

import reflex as rx

from palett.models import User
from palett.services import billing
from palett.services.accounts import sessions
from palett.services.accounts import users as accounts
from palett.services.accounts.oauth_links import PROVIDER_NAMES, enabled_providers
from palett.services.billing import credits, subscriptions
from palett.services.common import presenters
from palett.services.common.db import session_scope
from palett.services.common.errors import UserError
from palett.settings import get_settings
from palett.state.events import Reply
from palett.state.session import SessionState, SignedIn, signed_in


class SessionRow(TypedDict):
    id: int
    device: str
    ip: str
    last_seen: str
    current: bool


class ProviderRow(TypedDict):
    key: str
    name: str
    linked: bool
    email: str


class LedgerRow(TypedDict):
    label: str
    delta: str
    balance: int
    when: str


def describe_agent(user_agent: str) -> str:
    ua = user_agent.lower()
    browser = next((b for k, b in (("edg/", "Edge"), ("firefox", "Firefox"), ("chrome", "Chrome"),
                                   ("safari", "Safari")) if k in ua), "Browser")
    system = next((s for k, s in (("android", "Android"), ("iphone", "iPhone"), ("ipad", "iPad"),
                                  ("mac os", "macOS"), ("windows", "Windows"), ("linux", "Linux")) if k in ua), "")
    return f"{browser} on {system}" if system else browser


class AccountState(SessionState):
    name_draft: str = ""
    email_verified: bool = False
    has_password: bool = False
    session_rows: list[SessionRow] = []
    providers: list[ProviderRow] = []
    ledger: list[LedgerRow] = []
    saved: str = ""
    problem: str = ""
    live_plan: str = ""  # the plan of a subscription Stripe may still charge for ("" when none): deletion cancels it

    def _fill(self, user: User, session_id: int) -> None:
        assert user.id is not None
        with session_scope() as db:
            rows = sessions.active(db, user.id)
            links = {a.provider: a for a in accounts.linked_accounts(db, user.id)}
            entries = credits.history(db, user.id, limit=10)
        self.name_draft = user.name
        self.email_verified = user.email_verified
        self.has_password = bool(user.password_hash)
        self.live_plan = billing.plan(user.subscription_plan).name if subscriptions.is_live(user) else ""
        self.session_rows = [
            SessionRow(id=s.id or 0, device=describe_agent(s.user_agent), ip=s.ip or "unknown",
                       last_seen=presenters.stamp_utc(s.last_seen_at), current=s.id == session_id)
            for s in rows
        ]
        shown = set(enabled_providers(get_settings())) | set(links)
        self.providers = [
            ProviderRow(key=key, name=PROVIDER_NAMES[key], linked=key in links,
                        email=(links[key].email or "") if key in links else "")
            for key in ("google", "github") if key in shown
        ]
        self.ledger = [
            LedgerRow(label=e.reference or e.kind.replace("_", " ").capitalize(),
                      delta=f"{e.delta:+d}", balance=e.balance_after, when=presenters.stamp_utc(e.created_at))
            for e in entries
        ]

    @rx.event
    @signed_in
    async def load_account(self, me: SignedIn) -> None:
        self.saved = self.problem = ""
        await asyncio.to_thread(self._fill, me.user, me.session_id)
        return None

    @rx.event
    def set_name_draft(self, value: str) -> None:
        self.name_draft = value[:100]

    @rx.event
    @signed_in
    async def save_name(self, me: SignedIn) -> None:

        def _save() -> None:
            with session_scope() as db:
                user = db.get(User, me.user.id)
                assert user is not None
                accounts.update_profile(db, user, name=self.name_draft)

        try:
            await asyncio.to_thread(_save)
        except UserError as err:
            self.problem, self.saved = err.message, ""
            return None
        self.problem, self.saved = "", "Saved."
        await self.current_user()
        return None

    @rx.event
    @signed_in
    async def revoke(self, me: SignedIn, session_id: int) -> Reply:
        current_id, user = me.session_id, me.user

        def _revoke() -> None:
            with session_scope() as db:
                sessions.revoke(db, user_id=user.id or 0, session_id=int(session_id))

        await asyncio.to_thread(_revoke)
        if int(session_id) == current_id:
            return rx.call_script("window.location.assign('/signin?notice=bye')")
        await asyncio.to_thread(self._fill, user, current_id)
        return None
