"""Security headers and a Content-Security-Policy on every response (pages, JS, API).

A small middleware rather than the `secure` package: the CSP of a page lists the sha256 of
each inline script React Router writes into that prerendered HTML (its context and module
loader), which needs the response body; `secure`'s middleware sets fixed headers only.
What Reflex forces on the policy is explained in docs/security.md.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
from pathlib import Path

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from palett.services.common.origins import origin_of
from palett.settings import Settings, get_settings

_INLINE_SCRIPT = re.compile(rb"<script\b(?![^>]*\bsrc\s*=)[^>]*>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL)

PERMISSIONS_POLICY = ("accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
                      "microphone=(), payment=(), usb=()")


def csp(settings: Settings, script_hashes: tuple[str, ...] = ()) -> str:
    media = _media_origin(settings)
    stripe = ([origin_of(settings.stripe_api_base)] if settings.stripe_api_base
              else ["https://checkout.stripe.com", "https://billing.stripe.com"])
    directives = {
        "default-src": ["'self'"],
        # 'unsafe-eval': Reflex runs rx.call_script code with eval() (utils/state.js).
        "script-src": ["'self'", "'unsafe-eval'", *(f"'sha256-{h}'" for h in script_hashes)],
        # 'unsafe-inline': Radix/emotion insert <style> elements and prerendered pages carry style="".
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:", *media],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'", *media],  # 'self' covers the same-origin /_event websocket
        "worker-src": ["'self'", "blob:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'", *stripe],  # checkout and portal are 303s from our form posts
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


def static_headers(settings: Settings) -> tuple[tuple[str, str], ...]:
    headers = [
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "strict-origin-when-cross-origin"),
        ("permissions-policy", PERMISSIONS_POLICY),
        ("cross-origin-opener-policy", "same-origin"),
    ]
    if settings.public_url.startswith("https://"):
        headers.append(("strict-transport-security", "max-age=31536000"))
    return tuple(headers)


def _media_origin(settings: Settings) -> list[str]:
    """S3 presigned image URLs live on the bucket's host (local media is same-origin)."""
    if not settings.s3_bucket:
        return []
    if settings.s3_endpoint_url:
        return [origin_of(settings.s3_endpoint_url)]
    bucket = settings.s3_bucket
    return [f"https://{bucket}.s3.{settings.s3_region}.amazonaws.com", f"https://{bucket}.s3.amazonaws.com"]


def script_hashes(html: bytes) -> tuple[str, ...]:
    found = (m.group(1) for m in _INLINE_SCRIPT.finditer(html))
    return tuple(sorted({base64.b64encode(hashlib.sha256(body).digest()).decode() for body in found if body.strip()}))


class SecurityHeaders:
    """Add the headers to every HTTP response; HTML is buffered to hash its inline scripts."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        settings = get_settings()
        if "text/html" in Headers(scope=scope).get("accept", ""):
            scope = _plain_body(scope)
        start: Message | None = None
        chunks: list[bytes] = []

        async def send_with_headers(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in static_headers(settings):
                    headers[name] = value
                if "content-security-policy" in headers:  # a route with its own, stricter policy
                    await send(message)
                    return
                if not _is_html(headers):
                    headers["content-security-policy"] = csp(settings)
                    await send(message)
                    return
                start = message  # hold it until the whole page is known
                return
            if start is None:
                await send(message)
                return
            if message["type"] == "http.response.pathsend":
                # A page asked for without "Accept: text/html" (curl, a health probe) keeps Granian's
                # send-by-path: read the file (a prerendered page, small) so it can be hashed like any other.
                body = await asyncio.to_thread(Path(message["path"]).read_bytes)
                message = {"type": "http.response.body", "body": body}
            if message["type"] != "http.response.body":
                raise RuntimeError(f"cannot hash a page sent as {message['type']}")
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            body = b"".join(chunks)
            MutableHeaders(scope=start)["content-security-policy"] = csp(settings, script_hashes(body))
            await send(start)
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, send_with_headers)


def _is_html(headers: MutableHeaders) -> bool:
    return headers.get("content-type", "").startswith("text/html") and "content-encoding" not in headers


_NOT_FOR_PAGES = {b"accept-encoding", b"if-none-match", b"if-modified-since"}


def _plain_body(scope: Scope) -> Scope:
    """Ask for the whole page: Reflex serves pre-compressed files, Granian's `pathsend` sends a file
    path, and a 304 has no body: each would leave nothing to hash (and a 304's CSP would replace the
    cached page's one)."""
    scope = dict(scope)
    scope["headers"] = [(k, v) for k, v in scope["headers"] if k.lower() not in _NOT_FOR_PAGES]
    scope["extensions"] = {k: v for k, v in (scope.get("extensions") or {}).items() if k != "http.response.pathsend"}
    return scope
