"""Liveness and readiness for load balancers and orchestrators."""

import asyncio

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from palett.services.common import readiness

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
