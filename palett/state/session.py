"""Who is signed in. Looked up in the database on every page load and privileged event.

The websocket carries the session cookie (already hashed by HashSessionCookie). The
user id is never trusted from state: a revoked session stops working at the next check.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Concatenate, ParamSpec, TypeVar

import reflex as rx
from reflex.middleware import Middleware
from reflex.state import BaseState, StateUpdate
from reflex_base.event import Event, EventSpec
from reflex_base.event.processor.base_state_processor import _hydrate_event_names

from palett.models import Plan, User
from palett.services import billing
from palett.services.accounts import sessions
from palett.services.accounts.return_path import next_query, return_to, safe_next
from palett.services.accounts.session_cookie import hashed_from_cookie_header
from palett.services.common.db import session_scope
from palett.services.common.errors import message_for
from palett.state.events import Reply

SIGN_IN = "/signin?error=signed_out"
S = TypeVar("S", bound="SessionState")
P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True)
class SignedIn:
    """Who a handler runs for: looked up from the session cookie in the database for this very event."""

    session_id: int
    user: User

    @property
    def user_id(self) -> int:
        return self.user.id or 0


def signed_in(fn: Callable[Concatenate[S, SignedIn, P], Awaitable[R]]
              ) -> Callable[Concatenate[S, P], Awaitable[R | EventSpec]]:
    """Event handler decorator: resolve the signed-in user first (passed as `me`), or redirect to sign-in.

    Put it under @rx.event. Reflex reads a handler's parameters from its signature, so `me` is left out
    of the signature it sees.
    """

    @functools.wraps(fn)
    async def handler(self: S, /, *args: P.args, **kwargs: P.kwargs) -> R | EventSpec:
        found = await self.current_user()
        if found is None:
            return self.sign_in_here()
        return await fn(self, SignedIn(*found), *args, **kwargs)

    hide_first_argument(handler, fn)
    return handler


def signed_in_stream(fn: Callable[Concatenate[S, SignedIn, P], AsyncIterator[R]]
                     ) -> Callable[Concatenate[S, P], AsyncIterator[R | EventSpec]]:
    """@signed_in for handlers that yield (send state to the browser part way through)."""

    @functools.wraps(fn)
    async def handler(self: S, /, *args: P.args, **kwargs: P.kwargs) -> AsyncIterator[R | EventSpec]:
        found = await self.current_user()
        if found is None:
            yield self.sign_in_here()
            return
        async for update in fn(self, SignedIn(*found), *args, **kwargs):
            yield update

    hide_first_argument(handler, fn)
    return handler


def hide_first_argument(handler: Callable[..., object], fn: Callable[..., object]) -> None:
    """Show Reflex `fn`'s signature without the argument a guard decorator fills in (after self)."""
    params = list(inspect.signature(fn).parameters.values())
    handler.__signature__ = inspect.signature(fn).replace(parameters=[params[0], *params[2:]])  # type: ignore[attr-defined]


def _lookup(hashed: str) -> tuple[int, User] | None:
    with session_scope() as db:
        found = sessions.lookup(db, hashed)
        return (found[0].id or 0, found[1]) if found else None


def _allowance(user: User) -> billing.Allowance | None:
    with session_scope() as db:
        return billing.allowance(db, user)


class SessionState(rx.State):
    """The signed-in user, and the parent of every state that holds user-derived data.

    Reflex keys state by a per-tab token that outlives sign-out, so `_bound_session` records which
    session produced what this tab's states hold; whenever the tab's session changes (sign-out,
    another user signing in, revocation, expiry, account deletion) every substate is reset first.
    """

    _bound_session: int = 0  # the session id behind this tab's user-derived state; 0: nobody signed in
    signed_in: bool = False
    user_name: str = ""
    user_email: str = ""
    user_image: str = ""
    credits: int = 0
    plan: str = "free"
    # The plan's allowance (billing.allowance): what runs without credits this month, for the cost previews.
    allowance_kind: str = ""  # "" | premium | pro_basic
    allowance_left: int = 0
    allowance_cap: int = 0
    is_admin: bool = False
    checked: bool = False

    async def current_user(self) -> tuple[int, User] | None:
        """The live session id and user for this websocket, fresh from the database."""
        found = await self._lookup_session()
        await self._bind_session(found[0] if found else 0)
        self._show(found[1] if found else None)
        if found and found[1].plan in (Plan.pro, Plan.premium):
            self._show_allowance(await asyncio.to_thread(_allowance, found[1]))
        return found

    async def signed_in_user_id(self) -> int | None:
        """For helpers shared by several handlers; handlers themselves use @signed_in."""
        found = await self.current_user()
        return (found[1].id or 0) if found else None

    async def _lookup_session(self) -> tuple[int, User] | None:
        hashed = hashed_from_cookie_header(self.router.headers.cookie)
        return await asyncio.to_thread(_lookup, hashed) if hashed else None

    async def _bind_session(self, session_id: int) -> None:
        """Reset all user-derived state when it was made for another session than this one.

        A tab bound to nobody holds no user's data (leaving a session reset it), only what the person at it did
        since: binding it to a session keeps that. Under load a quick model pick or prompt can be handled before
        the hydrate's session check, and resetting then threw the person's input away."""
        root = await self.get_state(SessionState)  # the one copy of _bound_session, whichever substate asks
        if session_id == root._bound_session:
            return
        if root._bound_session:
            for cls in _user_state_classes():
                (await self.get_state(cls)).reset()
            self._show(None)
        root._bound_session = session_id

    def _show_allowance(self, allowance: billing.Allowance | None) -> None:
        self._set_changed(allowance_kind=allowance.kind if allowance else "",
                          allowance_left=allowance.remaining if allowance else 0,
                          allowance_cap=allowance.cap if allowance else 0)

    def _show(self, user: User | None) -> None:
        self._set_changed(checked=True, signed_in=user is not None, user_name=user.name if user else "",
                          user_email=user.email if user else "", user_image=(user.image or "") if user else "",
                          credits=user.credits if user else 0, plan=user.plan if user else "free",
                          is_admin=bool(user and user.role == "admin"))
        if self.plan not in (Plan.pro, Plan.premium):
            self._show_allowance(None)

    def _set_changed(self, **values: object) -> None:
        """Assign only what differs: Reflex sends every assigned var (and the computed vars reading it) in the
        event's delta, and each delta re-renders every component that reads this state. The hydrate and then
        each `on_load` handler check the session, so a page load used to send the same user three times."""
        for name, value in values.items():
            if getattr(self, name) != value:
                setattr(self, name, value)

    def sign_in_here(self) -> EventSpec:
        """To sign-in, coming back to this page afterwards (e.g. a Remix link opened while signed out)."""
        url = self.router.url
        return rx.redirect(SIGN_IN + next_query(url.path + ("?" + url.query if url.query else ""), "&"))

    @rx.event
    async def load(self) -> None:
        await self.current_user()

    @rx.event
    async def require_user(self) -> Reply:
        if await self.current_user() is None:
            return self.sign_in_here()
        return None

    @rx.event
    async def redirect_signed_in(self) -> Reply:
        """Sign-in and sign-up pages send someone already signed in on to where they were going."""
        if await self.current_user() is not None:
            return rx.redirect(return_to(self.router.url.query_parameters.get("next")))
        return None

    @rx.var
    def initials(self) -> str:
        source = self.user_name or self.user_email or "?"
        return "".join(part[0] for part in source.split()[:2]).upper()


def _user_state_classes() -> list[type[BaseState]]:
    """SessionState and every state below it (loaded one by one: with Redis a handler loads only its own)."""
    found: list[type[BaseState]] = [SessionState]
    for cls in found:
        found.extend(cls.get_substates())
    return found


class SessionBinding(Middleware):
    """Before a page's first frame (hydrate) or its on_load, bind the tab's state to its current session.

    A new websocket (every full navigation: sign-in, sign-out) carries the new cookie; checking here
    resets the previous user's data before the hydrate snapshot is sent.
    """

    async def preprocess(self, app: rx.App, state: BaseState, event: Event) -> StateUpdate | None:
        if event.name in _hydrate_event_names():
            session = await state.get_state(SessionState)
            await session.current_user()
        return None


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
    next_path: str = ""  # where to go after signing in, already checked; sent on by every form and link

    @rx.var
    def next_suffix(self) -> str:
        """`?next=…` for the links between the sign-in pages, so the return address survives a detour."""
        return next_query(self.next_path)

    @rx.event
    def read(self) -> None:
        params = self.router.url.query_parameters
        code = params.get("error", "")
        extra: dict[str, str | int] = {k: v[:40] for k, v in params.items() if k in ("minutes", "provider")}
        self.error = message_for(code, extra) if code else ""
        self.error_code = code if self.error else ""
        self.notice = message_for(params.get("notice", "")) if params.get("notice") else ""
        self.email = params.get("email", "")[:254]
        self.name = params.get("name", "")[:80]
        self.token = params.get("token", "")[:200]
        self.next_path = safe_next(params.get("next")) or ""
