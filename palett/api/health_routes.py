"""Liveness and readiness for load balancers and orchestrators, and the page a tab shows during an outage."""

import asyncio
import html

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, JSONResponse

from palett.services.common import readiness
from palett.services.common.errors import message_for

router = APIRouter()


@router.get("/api/health")
def health() -> dict[str, str]:
    """Liveness: the process answers. No dependency is touched, so a database outage doesn't get it restarted."""
    return {"status": "ok"}


@router.get("/api/ready")
async def ready() -> JSONResponse:
    results = await asyncio.to_thread(readiness.checks)
    ok = all(c.ok for c in results)
    body = {"status": "ok" if ok else "unavailable",
            "checks": {c.name: {"ok": c.ok, "detail": c.detail} for c in results}}
    return JSONResponse(body, status_code=200 if ok else 503)


UNAVAILABLE_PATH = "/api/unavailable"
RETRY_SECONDS = 10
_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta http-equiv="refresh" content="{retry};url={next}">
<title>Try again shortly · Palett AI</title>
<style>body{{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:15vh auto;padding:0 1.25rem}}
a{{display:inline-block;margin-top:.5rem;padding:.6rem 1.1rem;border-radius:.6rem;background:#6e56cf;color:#fff;
text-decoration:none}}a:focus-visible{{outline:3px solid #9e8cfc;outline-offset:2px}}</style></head>
<body><main><h1>Try again shortly</h1>
<p role="status">{message} This page tries again by itself every {retry} seconds; nothing you saved is lost.</p>
<a href="{next}">Try again now</a></main></body></html>"""


@router.get(UNAVAILABLE_PATH, include_in_schema=False)
def unavailable(next: str = "/") -> HTMLResponse:
    """Where a tab goes when a page can't load because a service it needs (Redis) is down; it comes back by itself."""
    back = next if next.startswith("/") and not next.startswith(("//", "/\\")) else "/"  # never off-site
    page = _PAGE.format(retry=RETRY_SECONDS, next=html.escape(back, quote=True),
                        message=message_for("try_again_shortly"))
    return HTMLResponse(page, status_code=503, headers={"Retry-After": str(RETRY_SECONDS), "Cache-Control": "no-store"})
