"""The dev outbox: mail the app would have sent, readable without an SMTP server."""

from __future__ import annotations

import asyncio

import reflex as rx

from palett.services.accounts import mailer


class OutboxState(rx.State):
    mails: list[mailer.Mail] = []
    refused: bool = False  # this browser isn't on the machine running the app

    @rx.event
    async def load(self) -> None:
        # Production doesn't even register the page; elsewhere only loopback clients may read it.
        headers = {k.lower(): v for k, v in self.router.headers.raw_headers.items()}
        self.refused = not mailer.outbox_open_to(self.router.session.client_ip, headers)
        if self.refused:
            self.mails = []
            return
        self.mails = await asyncio.to_thread(mailer.outbox)
