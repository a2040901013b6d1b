"""A size cap on /api/v1 request bodies, enforced while reading, so a chunked body without Content-Length is
refused as soon as it passes the cap (413 problem+json) instead of being read to its end.

Uploads are left to their own streaming reader (api/upload_routes), which has the larger upload cap.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from palett.api.problems import Problem

MAX_BODY_BYTES = 64 * 1024  # a generation request is a small JSON object
STREAMED_PATHS = ("/uploads",)


class BodyCap:
    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].rstrip("/").endswith(STREAMED_PATHS):
            await self.app(scope, receive, send)
            return
        refused = Problem("payload-too-large", f"Send at most {self.limit // 1024} KB of JSON.")
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.limit:
            await refused.response()(scope, receive, send)
            return
        body, more = b"", True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.limit:
                await refused.response()(scope, receive, send)
                return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)
