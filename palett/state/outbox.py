"""The dev outbox: mail the app would have sent, readable without an SMTP server."""

from __future__ import annotations

import asyncio
from typing import TypedDict

import reflex as rx

from palett.services import mailer
from palett.settings import get_settings


class MailRow(TypedDict):
    id: str
    to: str
    subject: str
    sent_at: str
    text: str
    links: list[str]


class OutboxState(rx.State):
    mails: list[MailRow] = []

    @rx.event
    async def load(self) -> None:
        if get_settings().production:  # the page isn't even registered there; belt and braces
            self.mails = []
            return
        mails = await asyncio.to_thread(mailer.outbox)
        self.mails = [MailRow(id=m.id, to=m.to, subject=m.subject, sent_at=m.sent_at, text=m.text, links=m.links)
                      for m in mails]
