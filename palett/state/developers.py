"""The Developers page: the signed-in user's API keys (create, shown once, revoke) and the API's base URL."""

from __future__ import annotations

import asyncio
from typing import TypedDict

import reflex as rx

from palett.services.accounts import api_keys
from palett.services.common import presenters
from palett.services.common.db import session_scope
from palett.services.common.errors import UserError
from palett.settings import get_settings
from palett.state.events import Reply
from palett.state.session import SessionState, SignedIn, signed_in


class KeyRow(TypedDict):
    id: int
    name: str
    prefix: str
    scopes: list[str]
    created: str
    last_used: str
    revoked: str  # "" while active


def _rows(user_id: int) -> list[KeyRow]:
    with session_scope() as db:
        keys = api_keys.list_keys(db, user_id=user_id)
        return [KeyRow(id=k.id or 0, name=k.name, prefix=k.prefix, scopes=list(k.scopes),
                       created=presenters.stamp_utc(k.created_at),
                       last_used=presenters.stamp_utc(k.last_used_at) if k.last_used_at else "Never",
                       revoked=presenters.stamp_utc(k.revoked_at) if k.revoked_at else "")
                for k in keys]


class DevelopersState(SessionState):
    keys: list[KeyRow] = []
    key_name: str = ""
    scope_generate: bool = True
    scope_read: bool = True
    scope_delete: bool = False
    # The whole key, right after it was made: the one time it reaches the browser. Cleared on "Done" and reload.
    new_secret: str = ""
    new_prefix: str = ""
    problem: str = ""
    api_base: str = ""

    @rx.var
    def active_count(self) -> int:
        return sum(1 for key in self.keys if not key["revoked"])

    @rx.var
    def max_keys(self) -> int:
        return api_keys.MAX_KEYS

    @rx.event
    @signed_in
    async def load(self, me: SignedIn) -> None:
        self.new_secret = self.new_prefix = self.problem = ""
        self.api_base = get_settings().public_url.rstrip("/") + "/api/v1"
        self.keys = await asyncio.to_thread(_rows, me.user_id)

    @rx.event
    def set_key_name(self, value: str) -> None:
        self.key_name = value[:100]

    @rx.event
    def set_scope(self, scope: str, on: bool) -> None:
        if scope in api_keys.SCOPES:
            setattr(self, f"scope_{scope}", bool(on))

    @rx.event
    @signed_in
    async def create_key(self, me: SignedIn) -> Reply:
        scopes = [s for s in api_keys.SCOPES if getattr(self, f"scope_{s}")]
        name = self.key_name

        def make() -> tuple[str, str]:
            with session_scope() as db:
                made = api_keys.create(db, user_id=me.user_id, name=name, scopes=scopes)
                return made.secret, made.key.prefix

        try:
            self.new_secret, self.new_prefix = await asyncio.to_thread(make)
        except UserError as err:
            self.problem = err.message
            return None
        self.problem, self.key_name = "", ""
        self.keys = await asyncio.to_thread(_rows, me.user_id)
        return rx.set_focus("new-key-secret")

    @rx.event
    def dismiss_secret(self) -> None:
        self.new_secret = self.new_prefix = ""

    @rx.event
    def copy_secret(self) -> Reply:
        return [rx.set_clipboard(self.new_secret), rx.toast.success("Key copied.")]

    @rx.event
    @signed_in
    async def revoke_key(self, me: SignedIn, key_id: int) -> Reply:

        def revoke() -> bool:
            with session_scope() as db:
                return api_keys.revoke(db, user_id=me.user_id, key_id=int(key_id))

        revoked = await asyncio.to_thread(revoke)
        self.keys = await asyncio.to_thread(_rows, me.user_id)
        return rx.toast.success("Key revoked: it stops working now.") if revoked else \
            rx.toast.info("That key was already revoked.")
