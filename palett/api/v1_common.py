"""What every /api/v1 route shares: the key check with its scope and rate limit, Idempotency-Key replays,
absolute media URLs and the OpenAPI entries of problem+json answers."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.datastructures import MutableHeaders
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from palett.api import problems
from palett.api.problems import Problem
from palett.services.accounts import api_keys
from palett.services.accounts.api_keys import Caller
from palett.services.common import idempotency, ratelimit
from palett.services.common.db import autocommit_scope
from palett.settings import get_settings

bearer = HTTPBearer(auto_error=False, description="An API key of yours: `plt_…`")
MAX_ID = 2**31 - 1  # ids are 32-bit integer columns on PostgreSQL: a bigger one can't exist (and must not 500)
PROBLEM_CONTENT = {problems.MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}


def problem(description: str) -> dict[str, Any]:
    """An OpenAPI response entry: a problem+json body."""
    return {"description": description, "content": PROBLEM_CONTENT}


ERRORS: dict[int | str, dict[str, Any]] = {
    401: problem("Missing, unknown or revoked key"), 403: problem("The key lacks the scope, or a foreign origin"),
    413: problem("Body over the size cap"), 422: problem("Invalid input (the field is named)"),
    429: problem("Rate limited (see Retry-After)"),
}
POST_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS, 409: problem("Idempotency-Key reused with another body, or still in progress"),
}


def _authenticate(credentials: HTTPAuthorizationCredentials | None) -> Caller:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Problem("unauthorized", "Send your API key as `Authorization: Bearer <key>`.",
                      headers={"WWW-Authenticate": "Bearer"})
    with autocommit_scope() as db:  # one look-up (and at most one UPDATE a minute): no transaction needed
        caller = api_keys.authenticate(db, credentials.credentials)
    if caller is None:
        raise Problem("unauthorized", "That API key is unknown or was revoked.", headers={"WWW-Authenticate": "Bearer"})
    return caller


def _authenticate_and_count(credentials: HTTPAuthorizationCredentials | None) -> tuple[Caller, ratelimit.Window]:
    caller = _authenticate(credentials)
    return caller, ratelimit.hit_window(get_settings().api_key_rate_limit, f"apikey:{caller.key_id}")


def needs(scope: str | None) -> Callable[..., Awaitable[Caller]]:
    """A dependency: the caller of a valid key, which must have `scope` (None: any key); counts against the key's
    rate limit (RateLimit-* headers on the answer)."""

    async def dependency(request: Request,
                         credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Caller:
        caller, window = await asyncio.to_thread(_authenticate_and_count, credentials)  # DB and Redis: off the loop
        request.state.rate_limit = window  # for RateLimitHeaders
        if not window.allowed:
            raise Problem("rate-limited", f"This key made more than {window.limit} requests in the window. "
                          f"Try again in {window.reset_seconds} seconds.",
                          headers={"Retry-After": str(window.reset_seconds)})
        if scope and scope not in caller.scopes:
            raise Problem("forbidden-scope", f"This needs an API key with the `{scope}` scope.")
        return caller

    return dependency


Handler = Callable[[], Awaitable[tuple[int, dict[str, Any]]]]


async def idempotent(caller: Caller, key: str | None, digest: str, run: Handler,
                     location: Callable[[dict[str, Any]], str] | None = None) -> JSONResponse:
    """Run a POST once per Idempotency-Key: the same key and body replay the first answer, another body is 409.

    A request that fails lets its key go, so the caller can fix the body and send it again with the same key.
    """
    def headers(body: dict[str, Any]) -> dict[str, str]:
        return {"Location": location(body)} if location else {}

    if key is None:
        status, body = await run()
        return JSONResponse(body, status_code=status, headers=headers(body))
    earlier = await asyncio.to_thread(idempotency.claim, user_id=caller.user_id, key=key, digest=digest)
    if earlier is not None:
        if not earlier.same_body:
            raise Problem("idempotency-key-reused", "This Idempotency-Key was used with another request body.")
        if earlier.status_code == idempotency.PENDING:
            raise Problem("idempotency-key-in-progress", "The first request with this key is still running.",
                          headers={"Retry-After": "1"})
        return JSONResponse(earlier.response, status_code=earlier.status_code,
                            headers={"Idempotent-Replayed": "true", **headers(earlier.response)})
    try:
        status, body = await run()
    except BaseException:
        await asyncio.to_thread(idempotency.release, user_id=caller.user_id, key=key)
        raise
    await asyncio.to_thread(idempotency.record, user_id=caller.user_id, key=key, status_code=status, response=body)
    return JSONResponse(body, status_code=status, headers=headers(body))


def absolute(request: Request, url: str) -> str:
    """Local storage signs paths (`/api/media/…`); API callers get a full URL on the address they called."""
    if not url.startswith("/"):
        return url  # S3 presigned URLs already are
    return f"{request.url.scheme}://{request.url.netloc}{url}"


class RateLimitHeaders:
    """RateLimit-* headers from the key's window that `needs()` counted (a plain ASGI middleware: Starlette's
    BaseHTTPMiddleware costs a task and a stream per request)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})  # request.state of every Request made for this scope

        async def send_with_headers(message: Message) -> None:
            window = state.get("rate_limit")
            if message["type"] == "http.response.start" and isinstance(window, ratelimit.Window):
                headers = MutableHeaders(scope=message)
                headers["RateLimit-Limit"] = str(window.limit)
                headers["RateLimit-Remaining"] = str(window.remaining)
                headers["RateLimit-Reset"] = str(window.reset_seconds)
            await send(message)

        await self.app(scope, receive, send_with_headers)
