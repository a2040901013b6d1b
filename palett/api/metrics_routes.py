"""/api/metrics for Prometheus. Not public: without the bearer token it does not exist (404)."""

from __future__ import annotations

import asyncio
import hmac

from fastapi import APIRouter, HTTPException, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST

from palett.services.common import metrics
from palett.settings import get_settings

router = APIRouter()


@router.get("/api/metrics", include_in_schema=False)
async def scrape(request: Request) -> Response:
    token = get_settings().metrics_token
    given = request.headers.get("authorization", "")
    if not token or not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        raise HTTPException(404)
    return Response(await asyncio.to_thread(metrics.exposition), media_type=CONTENT_TYPE_LATEST)
