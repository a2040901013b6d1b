"""The session cookie: set by API routes only, HttpOnly, never readable by page scripts."""

from __future__ import annotations

from http.cookies import SimpleCookie

from fastapi import Request, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from palett.services.security import token_hash
from palett.settings import get_settings


def cookie_name() -> str:
    # __Host- stops a page script from shadowing the cookie on a narrower path.
    return "__Host-palett_session" if get_settings().secure_cookies else "palett_session"


def set_session_cookie(response: Response, token: str) -> None:
    settings = get_settings()
    response.set_cookie(
        cookie_name(),
        token,
        max_age=settings.session_days * 86400,
        httponly=True,
        secure=settings.secure_cookies,
        samesite="lax",
        path="/",
    )


def clear_session_cookie(response: Response) -> None:
    settings = get_settings()
    response.delete_cookie(cookie_name(), path="/", secure=settings.secure_cookies, httponly=True, samesite="lax")


def token_from_request(request: Request) -> str:
    return request.cookies.get(cookie_name(), "")


def hashed_from_cookie_header(header: str) -> str:
    """The session hash as the Reflex state sees it (see HashSessionCookie)."""
    jar = SimpleCookie()
    try:
        jar.load(header or "")
    except Exception:
        return ""
    morsel = jar.get(cookie_name())
    return morsel.value if morsel else ""


class HashSessionCookie:
    """ASGI wrapper for the Reflex app: swap the session token for its sha256.

    Reflex keeps the websocket's upgrade headers in its state store (disk or Redis)
    and the router data; with this the raw credential never lands there. The hash is
    useless as a cookie, because the token presented here is always hashed again.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("websocket", "http"):
            scope = dict(scope)
            scope["headers"] = [_hash_cookie(k, v) for k, v in scope.get("headers", [])]
        await self.app(scope, receive, send)


def _hash_cookie(key: bytes, value: bytes) -> tuple[bytes, bytes]:
    if key.lower() != b"cookie":
        return key, value
    name = cookie_name()
    parts = []
    for part in value.decode("latin-1").split(";"):
        k, sep, v = part.strip().partition("=")
        if k == name:
            v = token_hash(v)
        parts.append(f"{k}{sep}{v}")
    return key, "; ".join(parts).encode("latin-1")
