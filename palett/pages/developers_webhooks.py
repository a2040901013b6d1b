"""The webhooks section of the Developers page: register an endpoint, see its secret once, send a test event,
read the delivery log and redeliver. `webhooks_section()` is placed on the page by pages/developers (on_load:
WebhooksState.load_webhooks)."""

from __future__ import annotations

import reflex as rx
from reflex.vars import ObjectVar

from palett.state.webhooks import DeliveryRow, EndpointRow, WebhooksState


def register_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.el.label("Endpoint URL", html_for="webhook-url", class_name="field-label"),
            rx.input(id="webhook-url", type="url", placeholder="https://example.com/palett-hooks", required=True,
                     value=WebhooksState.url_draft, on_change=WebhooksState.set_url_draft, size="3", width="100%"),
            rx.el.label("Description (optional)", html_for="webhook-description", class_name="field-label"),
            rx.input(id="webhook-description", value=WebhooksState.description_draft, max_length=200,
                     on_change=WebhooksState.set_description_draft, size="3", width="100%"),
            rx.button(rx.icon("plus", size=16), "Add endpoint", type="submit", size="3", id="add-webhook"),
            spacing="2", width="100%", align="start",
        ),
        on_submit=lambda _: WebhooksState.register(),
        width="100%",
    )


def secret_callout() -> rx.Component:
    return rx.cond(
        WebhooksState.new_secret != "",
        rx.callout.root(
            rx.callout.icon(rx.icon("key_round")),
            rx.vstack(
                rx.text("Signing secret — copy it now; it is shown only once.", weight="medium"),
                rx.hstack(
                    rx.code(WebhooksState.new_secret, id="webhook-secret", word_break="break_all"),
                    rx.button(rx.icon("copy", size=14), "Copy", size="1", variant="soft",
                              aria_label="Copy the signing secret",
                              on_click=rx.set_clipboard(WebhooksState.new_secret)),
                    align="center", wrap="wrap",
                ),
                spacing="1",
            ),
            color_scheme="amber", width="100%", role="status",
        ),
    )


def endpoint_row(row: ObjectVar[EndpointRow]) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.text(row["url"], weight="medium", word_break="break_all", flex="1"),
                rx.cond(row["disabled"], rx.badge("Disabled", color_scheme="gray"), rx.badge("Active",
                                                                                             color_scheme="green")),
                align="center", width="100%",
            ),
            rx.cond(row["description"] != "", rx.text(row["description"], size="2", color_scheme="gray")),
            rx.text("Added " + row["created"], size="1", color_scheme="gray"),
            rx.flex(
                rx.button(rx.icon("send", size=14), "Send test event", size="2", variant="soft",
                          aria_label="Send a test event to " + row["url"], on_click=WebhooksState.send_test(row["id"])),
                rx.button(rx.icon("list", size=14), "Delivery log", size="2", variant="soft",
                          aria_label="Show deliveries to " + row["url"], on_click=WebhooksState.show_log(row["id"])),
                rx.button(rx.icon("refresh_cw", size=14), "Rotate secret", size="2", variant="soft",
                          color_scheme="gray", aria_label="Rotate the secret of " + row["url"],
                          on_click=WebhooksState.rotate(row["id"])),
                rx.button(rx.cond(row["disabled"], "Enable", "Disable"), size="2", variant="soft", color_scheme="gray",
                          aria_label=rx.cond(row["disabled"], "Enable ", "Disable ") + row["url"],
                          on_click=WebhooksState.set_disabled(row["id"], ~row["disabled"])),
                rx.button(rx.icon("trash_2", size=14), "Delete", size="2", variant="soft", color_scheme="red",
                          aria_label="Delete " + row["url"], on_click=WebhooksState.delete(row["id"])),
                gap="8px", wrap="wrap",
            ),
            spacing="2", width="100%",
        ),
        width="100%",
    )


def delivery_row(row: ObjectVar[DeliveryRow]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row["event"]),
        rx.table.cell(rx.badge(row["status"], color_scheme=rx.match(row["status"], ("succeeded", "green"),
                                                                   ("failed", "red"), "amber"))),
        rx.table.cell(row["code"]),
        rx.table.cell(row["attempts"]),
        rx.table.cell(rx.text(row["detail"], size="1", color_scheme="gray", word_break="break_all")),
        rx.table.cell(row["when"]),
        rx.table.cell(rx.button("Redeliver", size="1", variant="soft", aria_label="Redeliver this event",
                                on_click=WebhooksState.redeliver(row["id"]))),
    )


def delivery_log() -> rx.Component:
    return rx.cond(
        WebhooksState.log_for != 0,
        rx.vstack(
            rx.hstack(
                rx.heading("Deliveries", size="3", as_="h3"),
                rx.spacer(),
                rx.button(rx.icon("refresh_cw", size=14), "Refresh", size="1", variant="soft",
                          aria_label="Refresh the delivery log",
                          on_click=WebhooksState.show_log(WebhooksState.log_for)),
                width="100%", align="center",
            ),
            rx.cond(
                WebhooksState.deliveries.length() > 0,
                rx.box(
                    rx.table.root(
                        rx.table.header(rx.table.row(*(rx.table.column_header_cell(name) for name in (
                            "Event", "Status", "Response", "Attempts", "Detail", "Last try", "Action")))),
                        rx.table.body(rx.foreach(WebhooksState.deliveries, delivery_row)),
                        size="1", width="100%",
                    ),
                    class_name="table-scroll", tab_index=0, role="region", aria_label="Webhook deliveries",
                    id="webhook-deliveries", width="100%",
                ),
                rx.text("Nothing sent to this endpoint yet.", size="2", color_scheme="gray"),
            ),
            spacing="2", width="100%",
        ),
    )


def webhooks_section() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Webhooks", size="4", as_="h2"),
            rx.text("Palett posts generation.succeeded, generation.failed and generation.canceled to these URLs, "
                    "signed with Standard Webhooks. Failed deliveries are retried for about a day.",
                    size="2", color_scheme="gray"),
            register_form(),
            rx.cond(WebhooksState.problem != "", rx.text(WebhooksState.problem, color_scheme="red", size="2",
                                                         role="alert")),
            rx.cond(WebhooksState.notice != "", rx.text(WebhooksState.notice, color_scheme="green", size="2",
                                                        role="status")),
            secret_callout(),
            rx.vstack(rx.foreach(WebhooksState.endpoints, endpoint_row), spacing="2", width="100%"),
            delivery_log(),
            spacing="3", width="100%",
        ),
        size="3", width="100%", id="webhooks",
    )
