"""The dev outbox: mail the app would have sent, readable without an SMTP server."""

from __future__ import annotations

import asyncio
from typing import TypedDict

import reflex as rx

from palett.services.accounts import mailer


class MailRow(TypedDict):
    id: str
    to: str
    subject: str
    sent_at: str
    text: str
    links: list[str]


class OutboxState(rx.State):
    mails: list[MailRow] = []
    refused: bool = False  # this browser isn't on the machine running the app

    @rx.event
    async def load(self) -> None:
        # Production doesn't even register the page; elsewhere only loopback clients may read it.
        headers = {k.lower(): v for k, v in self.router.headers.raw_headers.items()}
        self.refused = not mailer.outbox_open_to(self.router.session.client_ip, headers)
        if self.refused:
            self.mails = []
            return
        mails = await asyncio.to_thread(mailer.outbox)
        self.mails = [MailRow(id=m.id, to=m.to, subject=m.subject, sent_at=m.sent_at, text=m.text, links=m.links)
                      for m in mails]
