"""Webhook endpoints of the public API (/api/v1/webhooks): register, list, disable, rotate, delete, test,
the delivery log and redelivery. The services are services/developers; sending is the job workers' work.
Scopes: `read` for GETs, `generate` for changes (a key that may start generations may also hear about them).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, Path, Query
from fastapi.encoders import jsonable_encoder
from pydantic import BaseModel, Field
from starlette.responses import JSONResponse, Response

from palett.api.v1_common import ERRORS, MAX_ID, idempotent, needs, problem
from palett.models import WebhookDelivery, WebhookEndpoint
from palett.services.accounts.api_keys import Caller
from palett.services.common import idempotency
from palett.services.common.db import session_scope
from palett.services.developers import webhook_events, webhooks

router = APIRouter(prefix="/webhooks", tags=["webhooks"])
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
NOT_FOUND: dict[int | str, dict[str, Any]] = {**ERRORS, 404: problem("No such endpoint or delivery of yours")}
REUSED: dict[int | str, dict[str, Any]] = {
    409: problem("Idempotency-Key reused with another request, or still in progress")}
IdempotencyKey = Annotated[str | None, Header(max_length=idempotency.MAX_KEY_LENGTH,
                                              description="Send the same key again to get the first answer back")]


class Endpoint(BaseModel):
    id: int
    url: str
    description: str
    disabled: bool
    created_at: datetime


class EndpointWithSecret(Endpoint):
    secret: str = Field(description="`whsec_…`: verify signatures with it (Standard Webhooks). Shown only now.")


class NewEndpoint(BaseModel):
    url: str = Field(max_length=2000, description="A public https URL", examples=["https://example.com/hooks"])
    description: str = Field(default="", max_length=200)


class EndpointChange(BaseModel):
    disabled: bool = Field(description="A disabled endpoint gets no events until enabled again")


class Delivery(BaseModel):
    id: int
    endpoint_id: int
    message_id: str = Field(description="The webhook-id header; a redelivery keeps it")
    event_type: str
    status: str = Field(description="pending | succeeded | failed")
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    last_response: str | None = Field(description="The start of the receiver's last answer")
    created_at: datetime
    last_attempt_at: datetime | None
    payload: dict[str, object]


class DeliveryPage(BaseModel):
    data: list[Delivery]
    next_cursor: int | None = Field(description="Pass as `before` for the next page; null on the last page")


def _endpoint(row: WebhookEndpoint) -> Endpoint:
    return Endpoint(id=row.id or 0, url=row.url, description=row.description, disabled=row.disabled,
                    created_at=row.created_at)


def _with_secret(made: webhooks.WithSecret) -> EndpointWithSecret:
    return EndpointWithSecret(**_endpoint(made.endpoint).model_dump(), secret=made.secret)


def _delivery(row: WebhookDelivery) -> Delivery:
    return Delivery.model_validate(row, from_attributes=True)


async def _once(caller: Caller, key: str | None, request: dict[str, Any], status: int,
                run: Callable[[], BaseModel]) -> JSONResponse:
    """`run` (blocking) at most once per Idempotency-Key; `request` names what was asked (path and body)."""

    async def handler() -> tuple[int, dict[str, Any]]:
        return status, jsonable_encoder(await asyncio.to_thread(run))

    return await idempotent(caller, key, idempotency.body_hash(request), handler)


@router.post("", status_code=201, response_model=EndpointWithSecret, responses={**ERRORS, **REUSED})
async def register(caller: Annotated[Caller, Depends(needs("generate"))], body: Annotated[NewEndpoint, Body()],
             idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """Register a URL for generation.succeeded, generation.failed and generation.canceled events."""

    def run() -> EndpointWithSecret:
        with session_scope() as db:
            return _with_secret(webhooks.register(db, user_id=caller.user_id, url=body.url,
                                                  description=body.description))

    return await _once(caller, idempotency_key, {"post": "/webhooks", **body.model_dump()}, 201, run)


@router.get("", response_model=list[Endpoint], responses=ERRORS)
def list_endpoints(caller: Annotated[Caller, Depends(needs("read"))]) -> list[Endpoint]:
    with session_scope() as db:
        return [_endpoint(row) for row in webhooks.list_endpoints(db, user_id=caller.user_id)]


@router.patch("/{endpoint_id}", response_model=Endpoint, responses=NOT_FOUND)
def change(endpoint_id: Id, caller: Annotated[Caller, Depends(needs("generate"))],
           body: Annotated[EndpointChange, Body()]) -> Endpoint:
    with session_scope() as db:
        return _endpoint(webhooks.set_disabled(db, user_id=caller.user_id, endpoint_id=endpoint_id,
                                               disabled=body.disabled))


@router.post("/{endpoint_id}/rotate-secret", response_model=EndpointWithSecret, responses={**NOT_FOUND, **REUSED})
async def rotate_secret(endpoint_id: Id, caller: Annotated[Caller, Depends(needs("generate"))],
                  idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """A new secret; for 24 hours deliveries carry a signature by the old one too."""

    def run() -> EndpointWithSecret:
        with session_scope() as db:
            return _with_secret(webhooks.rotate_secret(db, user_id=caller.user_id, endpoint_id=endpoint_id))

    return await _once(caller, idempotency_key, {"post": f"/webhooks/{endpoint_id}/rotate-secret"}, 200, run)


@router.delete("/{endpoint_id}", status_code=204, responses=NOT_FOUND)
def delete(endpoint_id: Id, caller: Annotated[Caller, Depends(needs("generate"))]) -> Response:
    with session_scope() as db:
        webhooks.delete(db, user_id=caller.user_id, endpoint_id=endpoint_id)
    return Response(status_code=204)


@router.post("/{endpoint_id}/test", status_code=202, response_model=Delivery, responses={**NOT_FOUND, **REUSED})
async def send_test(endpoint_id: Id, caller: Annotated[Caller, Depends(needs("generate"))],
              idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """Queue a `webhook.test` event to the endpoint; follow it in its deliveries."""

    def run() -> Delivery:
        with session_scope() as db:
            return _delivery(webhook_events.send_test(db, user_id=caller.user_id, endpoint_id=endpoint_id))

    return await _once(caller, idempotency_key, {"post": f"/webhooks/{endpoint_id}/test"}, 202, run)


@router.get("/{endpoint_id}/deliveries", response_model=DeliveryPage, responses=NOT_FOUND)
def deliveries(endpoint_id: Id, caller: Annotated[Caller, Depends(needs("read"))],
               limit: Annotated[int, Query(ge=1, le=100)] = 20,
               before: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None) -> DeliveryPage:
    """The endpoint's deliveries, newest first, in keyset pages."""
    with session_scope() as db:
        rows = webhook_events.list_deliveries(db, user_id=caller.user_id, endpoint_id=endpoint_id,
                                              limit=limit + 1, before=before)
        page = [_delivery(row) for row in rows[:limit]]
    return DeliveryPage(data=page, next_cursor=page[-1].id if len(rows) > limit else None)


@router.post("/deliveries/{delivery_id}/redeliver", status_code=202, response_model=Delivery,
             responses={**NOT_FOUND, **REUSED})
async def redeliver(delivery_id: Id, caller: Annotated[Caller, Depends(needs("generate"))],
              idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """Send a delivery's message again (same webhook-id), as a new delivery."""

    def run() -> Delivery:
        with session_scope() as db:
            return _delivery(webhook_events.redeliver(db, user_id=caller.user_id, delivery_id=delivery_id))

    return await _once(caller, idempotency_key, {"post": f"/webhooks/deliveries/{delivery_id}/redeliver"}, 202, run)
