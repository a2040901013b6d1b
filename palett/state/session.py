"""Who is signed in. Looked up in the database on every page load and privileged event.

The websocket carries the session cookie (already hashed by HashSessionCookie). The
user id is never trusted from state: a revoked session stops working at the next check.
"""

from __future__ import annotations

import asyncio

import reflex as rx

from palett.api.cookies import hashed_from_cookie_header
from palett.models import User
from palett.services import sessions
from palett.services.db import session_scope
from palett.services.errors import message_for


def _lookup(hashed: str) -> tuple[int, User] | None:
    with session_scope() as db:
        found = sessions.lookup(db, hashed)
        return (found[0].id or 0, found[1]) if found else None


class SessionState(rx.State):
    signed_in: bool = False
    user_name: str = ""
    user_email: str = ""
    user_image: str = ""
    credits: int = 0
    plan: str = "free"
    is_admin: bool = False
    checked: bool = False

    async def current_user(self) -> tuple[int, User] | None:
        """The live session id and user for this websocket, fresh from the database."""
        hashed = hashed_from_cookie_header(self.router.headers.cookie)
        found = await asyncio.to_thread(_lookup, hashed) if hashed else None
        self._show(found[1] if found else None)
        return found

    def _show(self, user: User | None) -> None:
        self.checked = True
        self.signed_in = user is not None
        self.user_name = user.name if user else ""
        self.user_email = user.email if user else ""
        self.user_image = (user.image or "") if user else ""
        self.credits = user.credits if user else 0
        self.plan = user.plan if user else "free"
        self.is_admin = bool(user and user.role == "admin")

    @rx.event
    async def load(self) -> None:
        await self.current_user()

    @rx.event
    async def require_user(self):  # type: ignore[no-untyped-def]
        if await self.current_user() is None:
            return rx.redirect("/signin?error=signed_out")
        return None

    @rx.event
    async def redirect_signed_in(self):  # type: ignore[no-untyped-def]
        if await self.current_user() is not None:
            return rx.redirect("/app")
        return None

    @rx.var
    def initials(self) -> str:
        source = self.user_name or self.user_email or "?"
        return "".join(part[0] for part in source.split()[:2]).upper()


class FlashState(rx.State):
    """The message a form post redirected back with (?error=code or ?notice=code).

    Only known codes are shown, so a crafted link cannot put words on our pages.
    """

    error: str = ""
    error_code: str = ""
    notice: str = ""
    email: str = ""
    name: str = ""
    token: str = ""

    @rx.event
    def read(self) -> None:
        params = self.router.url.query_parameters
        code = params.get("error", "")
        extra = {k: v[:40] for k, v in params.items() if k in ("minutes", "provider")}
        self.error = message_for(code, extra) if code else ""
        self.error_code = code if self.error else ""
        self.notice = message_for(params.get("notice", "")) if params.get("notice") else ""
        self.email = params.get("email", "")[:254]
        self.name = params.get("name", "")[:80]
        self.token = params.get("token", "")[:200]
