"""Every HTTP request and websocket that reaches the app gets a request id: in the logs of everything done for
it and in the `X-Request-ID` response header, so a user's report can be matched to the log lines. (Files of the
frontend build are answered before it, by api/static_assets.py: nothing is done or logged for them.)"""

from __future__ import annotations

import re
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from palett.services.common import observability

# A proxy's id is kept only when it looks like one: anything else could forge log lines.
_VALID = re.compile(r"[A-Za-z0-9._-]{8,64}")


class RequestIds:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = given if _VALID.fullmatch(given) else uuid.uuid4().hex

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        with observability.bound(request_id=request_id):
            await self.app(scope, receive, send_with_id)
