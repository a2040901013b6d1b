"""The Developers page's webhooks section: the signed-in user's endpoints and their delivery log.

Thin: every handler re-checks the user (@signed_in) and calls services/developers in a thread. A new secret is
shown once (until the next action) and is the user's own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypedDict

import reflex as rx
from sqlmodel import Session as DB

from palett.models import WebhookDelivery, WebhookEndpoint
from palett.services.common import presenters
from palett.services.common.db import session_scope
from palett.services.common.errors import UserError
from palett.services.developers import webhook_events, webhooks
from palett.state.session import SessionState, SignedIn, signed_in

DELIVERIES_SHOWN = 20


class EndpointRow(TypedDict):
    id: int
    url: str
    description: str
    disabled: bool
    created: str


class DeliveryRow(TypedDict):
    id: int
    event: str
    status: str
    attempts: int
    code: str
    detail: str
    when: str


def _endpoint_row(e: WebhookEndpoint) -> EndpointRow:
    return EndpointRow(id=e.id or 0, url=e.url, description=e.description, disabled=e.disabled,
                       created=presenters.stamp_utc(e.created_at))


def _delivery_row(d: WebhookDelivery) -> DeliveryRow:
    detail = d.last_error or (d.last_response or "")[:120]
    when = d.last_attempt_at or d.created_at
    return DeliveryRow(id=d.id or 0, event=d.event_type, status=d.status, attempts=d.attempts,
                       code=str(d.last_status_code or "—"), detail=detail, when=presenters.stamp_utc(when))


class WebhooksState(SessionState):
    endpoints: list[EndpointRow] = []
    url_draft: str = ""
    description_draft: str = ""
    new_secret: str = ""  # shown once, after registering or rotating
    secret_for: int = 0
    log_for: int = 0  # the endpoint whose deliveries are shown
    deliveries: list[DeliveryRow] = []
    problem: str = ""
    notice: str = ""

    def _refresh(self, user_id: int) -> None:
        with session_scope() as db:
            self.endpoints = [_endpoint_row(e) for e in webhooks.list_endpoints(db, user_id=user_id)]
            shown = {row["id"] for row in self.endpoints}
            if self.log_for not in shown:
                self.log_for = 0
            self.deliveries = [_delivery_row(d) for d in webhook_events.list_deliveries(
                db, user_id=user_id, endpoint_id=self.log_for, limit=DELIVERIES_SHOWN)] if self.log_for else []

    async def _run(self, me: SignedIn, work: Callable[[DB], object], notice: str) -> None:
        """Run `work(db)` for the user; show its error, or `notice`; then reload the lists."""
        self.problem = self.notice = ""
        self.new_secret, self.secret_for = "", 0

        def run() -> object:
            with session_scope() as db:
                return work(db)

        try:
            result = await asyncio.to_thread(run)
        except UserError as err:
            self.problem = err.message
        else:
            self.notice = notice
            if isinstance(result, webhooks.WithSecret):
                self.new_secret, self.secret_for = result.secret, result.endpoint.id or 0
        await asyncio.to_thread(self._refresh, me.user_id)

    @rx.event
    @signed_in
    async def load_webhooks(self, me: SignedIn) -> None:
        self.problem = self.notice = self.new_secret = ""
        await asyncio.to_thread(self._refresh, me.user_id)

    @rx.event
    def set_url_draft(self, value: str) -> None:
        self.url_draft = value[:webhooks.url_guard.MAX_URL_LENGTH]

    @rx.event
    def set_description_draft(self, value: str) -> None:
        self.description_draft = value[:webhooks.MAX_DESCRIPTION]

    @rx.event
    @signed_in
    async def register(self, me: SignedIn) -> None:
        url, description = self.url_draft, self.description_draft
        await self._run(me, lambda db: webhooks.register(db, user_id=me.user_id, url=url,
                                                                     description=description),
                        "Endpoint added. Copy its signing secret now: it is shown only once.")
        if not self.problem:
            self.url_draft = self.description_draft = ""

    @rx.event
    @signed_in
    async def delete(self, me: SignedIn, endpoint_id: int) -> None:
        await self._run(me, lambda db: webhooks.delete(db, user_id=me.user_id, endpoint_id=int(endpoint_id)),
                        "Endpoint deleted.")

    @rx.event
    @signed_in
    async def rotate(self, me: SignedIn, endpoint_id: int) -> None:
        await self._run(me, lambda db: webhooks.rotate_secret(db, user_id=me.user_id,
                                                                        endpoint_id=int(endpoint_id)),
                        "New secret made; the old one also signs for 24 hours.")

    @rx.event
    @signed_in
    async def set_disabled(self, me: SignedIn, endpoint_id: int, disabled: bool) -> None:
        await self._run(me, lambda db: webhooks.set_disabled(db, user_id=me.user_id,
                                                                        endpoint_id=int(endpoint_id),
                                                                        disabled=bool(disabled)),
                        "Endpoint disabled." if disabled else "Endpoint enabled.")

    @rx.event
    @signed_in
    async def send_test(self, me: SignedIn, endpoint_id: int) -> None:
        self.log_for = int(endpoint_id)
        await self._run(me, lambda db: webhook_events.send_test(db, user_id=me.user_id,
                                                                        endpoint_id=int(endpoint_id)),
                        "Test event queued. Refresh the log to see the answer.")

    @rx.event
    @signed_in
    async def show_log(self, me: SignedIn, endpoint_id: int) -> None:
        self.log_for = int(endpoint_id)
        await self._run(me, lambda db: None, "")

    @rx.event
    @signed_in
    async def redeliver(self, me: SignedIn, delivery_id: int) -> None:
        await self._run(me, lambda db: webhook_events.redeliver(db, user_id=me.user_id,
                                                                             delivery_id=int(delivery_id)),
                        "Queued again with the same webhook-id.")
