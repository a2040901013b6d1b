"""The session cookie: set by API routes only, HttpOnly, never readable by page scripts. Beside it, a hint
cookie that page scripts may read: it holds no token, only that a session was started in this browser."""

from __future__ import annotations

from fastapi import Request, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from palett.services.accounts.session_cookie import cookie_name, hash_session_token, hint_cookie_name
from palett.settings import get_settings


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
    response.set_cookie(hint_cookie_name(), "1", max_age=settings.session_days * 86400, httponly=False,
                        secure=settings.secure_cookies, samesite="lax", path="/")


def clear_session_cookie(response: Response) -> None:
    settings = get_settings()
    response.delete_cookie(cookie_name(), path="/", secure=settings.secure_cookies, httponly=True, samesite="lax")
    response.delete_cookie(hint_cookie_name(), path="/", secure=settings.secure_cookies, samesite="lax")


def token_from_request(request: Request) -> str:
    return request.cookies.get(cookie_name(), "")


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
    return key, hash_session_token(value.decode("latin-1")).encode("latin-1")
