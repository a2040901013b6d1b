"""Refuse requests and websockets that a page of another origin made the browser send.

Browsers send `Origin` with every cross-origin fetch and every websocket handshake, and they
attach our SameSite=Lax cookie when that origin is on the same *site* (another port or
subdomain). So any `Origin` other than PUBLIC_URL's or one in ALLOWED_ORIGINS gets 403 here,
before a route or Reflex's `/_event` reads any state. Requests without `Origin` (navigations,
same-origin GETs, webhooks) pass: form posts are checked again by `web.check_origin`.
"""

from __future__ import annotations

import logging

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from palett.api.problems import Problem
from palett.services.common import origins
from palett.services.common.errors import UserError
from palett.settings import get_settings

log = logging.getLogger(__name__)

PUBLIC_API = "/api/v1/"
REFUSED = "Cross-origin request refused: open the app at its PUBLIC_URL (or add this origin to ALLOWED_ORIGINS)."


class TrustedOriginOnly:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        if origin is None or origins.is_trusted(origin, get_settings()):
            await self.app(scope, receive, send)
            return
        log.warning("refused %s %s from origin %r: not PUBLIC_URL's origin nor in ALLOWED_ORIGINS",
                    scope["type"], scope.get("path"), origin)
        if scope["type"] == "http" and str(scope.get("path", "")).startswith(PUBLIC_API):
            # The public API answers every error as problem+json, this one included.
            await Problem("forbidden-origin", REFUSED, headers={"connection": "close"}).response()(scope, receive, send)
            return
        if scope["type"] == "http":
            # The shape every JSON route answers errors with (the page scripts show `message`).
            body = {"error": "forbidden", "message": UserError("forbidden").message, "detail": REFUSED}
            await JSONResponse(body, status_code=403, headers={"connection": "close"})(scope, receive, send)
            return
        await receive()  # websocket.connect
        if "websocket.http.response" in scope.get("extensions", {}):
            await send({"type": "websocket.http.response.start", "status": 403, "headers": []})
            await send({"type": "websocket.http.response.body", "body": REFUSED.encode()})
        else:
            await send({"type": "websocket.close", "code": 1008})  # before accept: the server answers 403

