"""Billing over HTTP: Stripe's webhook, and form posts that send the browser to Checkout or the Portal.

- POST /api/webhooks/stripe    raw body + Stripe-Signature; 200 applied/ignored/duplicate, 400 refused,
                               503 not configured, 500 when applying failed (Stripe retries later)
- POST /api/billing/checkout   form: product (starter | creator | professional | pro_month | pro_year |
                               premium_month | premium_year) → 303 to Stripe Checkout
- POST /api/billing/portal     → 303 to the Stripe Customer Portal
Errors come back as 303 to /billing?error=<code> like the other form routes.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from palett.api.web import check_origin, current, error_redirect
from palett.services import billing
from palett.services.common.db import session_scope
from palett.services.common.errors import UserError

log = logging.getLogger(__name__)
router = APIRouter()


@router.post("/api/webhooks/stripe")
async def stripe_webhook(request: Request) -> JSONResponse:
    body = await request.body()  # the exact bytes Stripe signed
    try:
        event = billing.verify(body, request.headers.get("stripe-signature"))
    except billing.WebhookNotConfigured:
        return JSONResponse({"error": "Stripe webhooks are not configured"}, status_code=503)
    except billing.WebhookRejected as exc:
        log.warning("stripe webhook refused: %s", exc)
        return JSONResponse({"error": "Bad or stale signature"}, status_code=400)
    try:
        result = await run_in_threadpool(billing.process, event)
    except Exception:
        log.exception("stripe webhook %s (%s) failed; Stripe will retry", event.get("id"), event.get("type"))
        return JSONResponse({"error": "Could not apply the event"}, status_code=500)
    return JSONResponse({"status": result.status, "id": result.event_id})


def _signed_in_user_id(request: Request) -> int | None:
    with session_scope() as db:
        found = current(db, request)
        return found[1].id if found else None


@router.post("/api/billing/checkout", dependencies=[Depends(check_origin)])
def checkout(request: Request, product: str = Form("")) -> RedirectResponse:
    user_id = _signed_in_user_id(request)
    if user_id is None:
        return error_redirect("/signin", UserError("signed_out"))
    try:
        link = billing.create_checkout(user_id, product[:32])
    except UserError as err:
        return error_redirect("/billing", err)
    return RedirectResponse(link.url, status_code=303)


@router.post("/api/billing/portal", dependencies=[Depends(check_origin)])
def portal(request: Request) -> RedirectResponse:
    user_id = _signed_in_user_id(request)
    if user_id is None:
        return error_redirect("/signin", UserError("signed_out"))
    try:
        link = billing.create_portal(user_id)
    except UserError as err:
        return error_redirect("/billing", err)
    return RedirectResponse(link.url, status_code=303)
