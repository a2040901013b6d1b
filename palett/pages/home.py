"""The signed-in home: balance, recent credit activity, account at a glance."""

from __future__ import annotations

import reflex as rx
from reflex.vars import ObjectVar

from palett.components.forms import link_button
from palett.components.layout import NEEDS_SESSION, page
from palett.state.account import AccountState, LedgerRow
from palett.state.session import SessionState


def ledger_row(row: ObjectVar[LedgerRow]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row["label"]),
        rx.table.cell(rx.badge(row["delta"], color_scheme=rx.cond(row["delta"].startswith("+"), "green", "red"),
                               variant="soft")),
        rx.table.cell(row["balance"]),
        rx.table.cell(rx.text(row["when"], size="1", color_scheme="gray")),
    )


def stat(icon: str, label: str, value: rx.Component, note: str) -> rx.Component:
    return rx.card(
        rx.hstack(
            rx.center(rx.icon(icon, size=20), class_name="tool-icon"),
            rx.vstack(rx.text(label, size="2", color_scheme="gray"), value,
                      rx.text(note, size="1", color_scheme="gray"), spacing="1"),
            spacing="4",
            align="start",
        ),
        size="3",
    )


def home() -> rx.Component:
    return page(
        rx.vstack(
            rx.heading("Welcome, ", SessionState.user_name, size="8", as_="h1", class_name=NEEDS_SESSION),
            rx.text("Your studio account is ready.", color_scheme="gray", size="3"),
            rx.grid(
                stat("coins", "Credit balance",
                     rx.text(SessionState.credits, size="8", weight="bold", id="home-credits",
                             class_name=NEEDS_SESSION),
                     "One credit per image for most tools."),
                stat("crown", "Plan", rx.text(SessionState.plan.upper(), size="6", weight="bold",
                                              class_name=NEEDS_SESSION),
                     "Free plan: 10 credits every month."),
                stat("shield_check", "Account",
                     rx.text(rx.cond(AccountState.email_verified, "Verified", "Unverified"), size="6",
                             weight="bold", class_name=NEEDS_SESSION),
                     "Manage sign-in methods and devices in Settings."),
                columns=rx.breakpoints(initial="1", md="3"),
                spacing="4",
                width="100%",
            ),
            rx.card(
                rx.vstack(
                    rx.heading("Credit activity", size="4", as_="h2"),
                    rx.text("Every change to your balance, newest first. Failed jobs are always refunded.",
                            size="2", color_scheme="gray"),
                    rx.box(
                        rx.table.root(
                            rx.table.header(rx.table.row(
                                rx.table.column_header_cell("What"), rx.table.column_header_cell("Change"),
                                rx.table.column_header_cell("Balance"), rx.table.column_header_cell("When"))),
                            rx.table.body(rx.foreach(AccountState.ledger, ledger_row)),
                            width="100%",
                            variant="surface",
                        ),
                        class_name="table-scroll", tab_index=0, role="region", aria_label="Credit activity",
                    ),
                    spacing="3",
                    width="100%",
                ),
                size="3",
                width="100%",
            ),
            rx.hstack(
                link_button(rx.icon("sparkles", size=16), "Open the studio", href="/studio"),
                link_button(rx.icon("settings", size=16), "Account settings", href="/settings", variant="soft"),
                spacing="3",
            ),
            spacing="5",
            padding_y="40px",
            width="100%",
        ),
    )


ON_LOAD = [AccountState.load_account]
