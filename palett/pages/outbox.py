"""/dev/outbox: every e-mail the app sent, with its links clickable. Loopback clients only; not registered in
production."""

from __future__ import annotations

import reflex as rx
from reflex.vars import ObjectVar

from palett.components.forms import link_button
from palett.components.layout import page
from palett.services.accounts.mailer import Mail
from palett.state.outbox import OutboxState
from palett.state.session import SessionState


def mail_card(mail: ObjectVar[Mail]) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(rx.icon("mail", size=18), rx.text(mail.subject, weight="bold"), align="center"),
            # `to` is also Var.to (a cast), so this field is read by key, which mypy can't type on a dataclass.
            rx.text("To ", mail["to"], " · ", mail.sent_at, " UTC", size="1", color_scheme="gray"),  # type: ignore[misc]
            rx.el.pre(mail.text, class_name="mail-body"),
            rx.foreach(mail.links, lambda link: link_button(rx.icon("external_link", size=14), "Open link",
                                                             href=link, size="2", variant="soft",
                                                             class_name="outbox-link")),
            spacing="2",
            align="start",
        ),
        width="100%",
        class_name="mail-card",
    )


def outbox_page() -> rx.Component:
    return page(
        rx.vstack(
            rx.hstack(rx.heading("Dev outbox", size="8", as_="h1"), rx.badge("development only", color_scheme="amber"),
                      align="center"),
            rx.text("With no SMTP server configured, Palett writes mail here instead of sending it. "
                    "Only a browser on the machine running Palett (localhost) can read it; production mode "
                    "turns it off.", color_scheme="gray"),
            rx.cond(
                OutboxState.refused,
                rx.callout("The outbox is only shown on the machine running Palett: open it at localhost there.",
                           icon="lock", color_scheme="amber", class_name="outbox-refused"),
                rx.fragment(
                    rx.button(rx.icon("refresh_cw", size=16), "Refresh", on_click=OutboxState.load, variant="soft"),
                    rx.cond(OutboxState.mails.length() > 0,
                            rx.vstack(rx.foreach(OutboxState.mails, mail_card), spacing="3", width="100%"),
                            rx.text("No mail yet. Sign up to get a verification email.", color_scheme="gray")),
                ),
            ),
            spacing="4",
            padding_y="40px",
            width="100%",
        ),
        width="860px",
    )


ON_LOAD = [SessionState.load, OutboxState.load]
