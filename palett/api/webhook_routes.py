"""Provider webhooks. Verified on the raw body; applying one twice changes nothing."""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from sqlmodel import select
from starlette.concurrency import run_in_threadpool

from palett.models import Job
from palett.services.common import metrics
from palett.services.common.db import session_scope
from palett.services.generation import catalog, fal_webhooks, pipeline
from palett.services.generation.providers import ProviderFailed, Result
from palett.services.generation.providers.fal import FalProvider, parse_result

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/webhooks")


def _job_for(request_id: str) -> tuple[int, str] | None:
    """(job id, catalog model key) of the job Fal ran as `request_id`."""
    with session_scope() as db:
        row = db.exec(select(Job.id, Job.model).where(Job.provider_request_id == request_id)).first()
        if row is None or row[0] is None:
            return None
        return int(row[0]), str(row[1])


async def _result_of(event: dict[str, Any], model: str, request_id: str) -> Result:
    payload = event.get("payload")
    if isinstance(payload, dict):
        return parse_result(payload)
    # OK with payload null and payload_error: Fal could not put the result in the webhook; the queue has it.
    log.info("fal webhook for %s carried no payload (%s); fetching it", request_id,
             str(event.get("payload_error"))[:200])
    return await FalProvider().result(catalog.get(model).endpoint, request_id)


@router.post("/fal")
async def fal_webhook(request: Request) -> dict[str, str]:
    body = await request.body()
    headers = {k.lower(): v for k, v in request.headers.items()}
    try:
        request_id = await run_in_threadpool(fal_webhooks.verified_request_id, headers, body)
    except fal_webhooks.KeysUnavailable as exc:
        log.warning("fal webhook: signing keys unavailable: %s", exc)
        metrics.WEBHOOKS.labels(source="fal", outcome="keys_unavailable").inc()
        # Retryable: Fal delivers again later, when the key server answers.
        raise HTTPException(503, "Signing keys unavailable", headers={"Retry-After": "60"}) from exc
    if request_id is None:
        metrics.WEBHOOKS.labels(source="fal", outcome="bad_signature").inc()
        raise HTTPException(401, "Bad or stale signature, or not our Fal account")
    try:
        event = json.loads(body)
    except ValueError as exc:
        raise HTTPException(400, "Body is not JSON") from exc
    # The id the signature names, not the body's copy of it.
    found = await run_in_threadpool(_job_for, request_id)
    metrics.WEBHOOKS.labels(source="fal", outcome="ok" if found else "ignored").inc()
    if found is None:
        return {"status": "ignored"}  # not ours, or already cleaned up
    job_id, model = found
    if event.get("status") == "OK":
        try:
            await pipeline.complete(job_id, await _result_of(event, model, request_id))
        except ProviderFailed as exc:
            await run_in_threadpool(pipeline.fail, job_id, exc.message)
    else:
        log.info("fal webhook: job %s failed: %s", job_id, str(event.get("error"))[:300])
        await run_in_threadpool(pipeline.fail, job_id, "The model reported an error.")
    return {"status": "ok"}
