"""Admin: users (search, detail, ledger, adjust credits, disable), jobs (retry, refund), purchases,
Stripe events, a dashboard and the audit log. Only rendered for admins; every action is checked on the
server (see state/admin.py and services/admin/)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import reflex as rx
from reflex.vars import ObjectVar, Var

from palett.components.layout import page
from palett.pages.usage import AXIS_TICK, TOOLTIP, chart_figure
from palett.services import admin
from palett.state.admin import AdminState, AuditItem, EventItem, JobItem, LedgerItem, PaymentItem

S = AdminState
Row = TypeVar("Row")


def card(title: str, *children: rx.Component, **props: Any) -> rx.Component:
    return rx.card(rx.vstack(rx.heading(title, size="4", as_="h2"), *children, spacing="3", width="100%"),
                   size="3", width="100%", **props)


def headers_label(html_id: str) -> str:
    """`admin-audit` -> "Audit": the name of the scrollable table region."""
    return html_id.removeprefix("admin-").replace("-", " ").capitalize()


def table(headers: tuple[str, ...], rows: Var[list[Row]], render: Callable[[ObjectVar[Row]], rx.Component], html_id: str
          ) -> rx.Component:
    return rx.box(
        rx.table.root(
            rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in headers])),
            rx.table.body(rx.foreach(rows, render)),
            width="100%", variant="surface", size="1",
        ),
        class_name="table-scroll", id=html_id, tab_index=0, role="region", aria_label=headers_label(html_id),
    )


def messages() -> rx.Component:
    return rx.fragment(
        rx.cond(S.problem != "", rx.callout(S.problem, icon="circle_alert", color_scheme="red", role="alert",
                                            width="100%", id="admin-problem")),
        rx.cond(S.notice != "", rx.callout(S.notice, icon="circle_check", color_scheme="green", role="status",
                                           width="100%", id="admin-notice")),
    )


# ---- dashboard ----------------------------------------------------------------------------------------------


def dashboard() -> rx.Component:
    return card(
        "Last 30 days",
        rx.el.div(
            chart_figure("Sign-ups, jobs and failures", S.days_text, "admin-activity", rx.recharts.line_chart(
                rx.recharts.cartesian_grid(stroke_dasharray="3 3", vertical=False, stroke="var(--gray-a5)"),
                rx.recharts.x_axis(data_key="label", tick=AXIS_TICK, min_tick_gap=16, tick_line=False),
                rx.recharts.y_axis(allow_decimals=False, width=36, tick=AXIS_TICK, tick_line=False, axis_line=False),
                rx.recharts.graphing_tooltip(**TOOLTIP),
                rx.recharts.legend(),
                rx.recharts.line(data_key="signups", name="Sign-ups", stroke="var(--accent-9)", dot=False,
                                 is_animation_active=False),
                rx.recharts.line(data_key="jobs", name="Jobs", stroke="var(--cyan-9)", dot=False,
                                 is_animation_active=False),
                rx.recharts.line(data_key="failures", name="Failures", stroke="var(--red-9)", dot=False,
                                 is_animation_active=False),
                data=S.days, width="100%", height=220,
            )),
            chart_figure("Credits sold vs used", S.days_text, "admin-credits", rx.recharts.bar_chart(
                rx.recharts.cartesian_grid(stroke_dasharray="3 3", vertical=False, stroke="var(--gray-a5)"),
                rx.recharts.x_axis(data_key="label", tick=AXIS_TICK, min_tick_gap=16, tick_line=False),
                rx.recharts.y_axis(allow_decimals=False, width=44, tick=AXIS_TICK, tick_line=False, axis_line=False),
                rx.recharts.graphing_tooltip(**TOOLTIP),
                rx.recharts.legend(),
                rx.recharts.bar(data_key="credits_sold", name="Sold", fill="var(--green-9)", max_bar_size=14,
                                is_animation_active=False),
                rx.recharts.bar(data_key="credits_used", name="Used", fill="var(--amber-9)", max_bar_size=14,
                                is_animation_active=False),
                data=S.days, width="100%", height=220,
            )),
            class_name="chart-grid",
        ),
        id="admin-dashboard",
    )


# ---- users --------------------------------------------------------------------------------------------------


def user_row(row: ObjectVar[admin.UserRow]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.link(row.email, href="#admin-user", on_click=S.select_user(row.id),
                              aria_label="Open " + row.email)),
        rx.table.cell(row.plan),
        rx.table.cell(row.credits),
        rx.table.cell(rx.cond(row.disabled, rx.badge("Disabled", color_scheme="red"), rx.text("No"))),
        rx.table.cell(rx.cond(row.role == "admin", rx.badge("Admin", variant="soft"), rx.text(""))),
    )


def users() -> rx.Component:
    return card(
        "Users",
        rx.form(
            rx.hstack(
                rx.el.label("Search by email or name", html_for="admin-query", class_name="sr-only"),
                rx.input(id="admin-query", name="query", placeholder="Email or name", default_value=S.query,
                         size="2", flex="1", aria_label="Search by email or name"),
                rx.button(rx.icon("search", size=16), "Search", type="submit", size="2"),
                width="100%",
            ),
            on_submit=S.search,
            width="100%",
        ),
        table(("Email", "Plan", "Balance", "Disabled", "Role"), S.users, user_row, "admin-users"),
    )


def ledger_row(row: ObjectVar[LedgerItem]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row["when"]),
        rx.table.cell(rx.badge(row["delta"], color_scheme=rx.cond(row["delta"].startswith("+"), "green", "red"),
                               variant="soft")),
        rx.table.cell(row["balance"]),
        rx.table.cell(row["kind"]),
        rx.table.cell(rx.text(row["reference"], size="1")),
    )


def user_detail() -> rx.Component:
    sel = S.selected
    return rx.cond(
        sel.id != 0,
        card(
            "Account",
            rx.hstack(rx.text(sel.email, weight="bold"), rx.badge(sel.plan),
                      rx.text(sel.credits, " credits"),
                      rx.cond(sel.disabled, rx.badge("Disabled", color_scheme="red")), wrap="wrap",
                      align="center"),
            rx.text(S.selected_info, size="2", color_scheme="gray"),
            rx.text(S.ledger_check, size="2"),
            rx.form(
                rx.flex(
                    rx.vstack(rx.el.label("Credits (+ or −)", html_for="adjust-delta", class_name="field-label"),
                              rx.input(id="adjust-delta", name="delta", type="number", step="1", required=True,
                                       size="2"), spacing="1"),
                    rx.vstack(rx.el.label("Reason (required)", html_for="adjust-reason", class_name="field-label"),
                              rx.input(id="adjust-reason", name="reason", required=True, min_length=3,
                                       max_length=200, size="2", width="100%"), spacing="1", flex="1 1 240px"),
                    rx.button(rx.icon("coins", size=16), "Adjust credits", type="submit", size="2",
                              id="adjust-submit"),
                    gap="12px", wrap="wrap", align="end", width="100%",
                ),
                on_submit=S.adjust,
                reset_on_submit=True,
                key=S.adjust_form_key,
                width="100%",
            ),
            rx.cond(
                sel.disabled,
                rx.button("Enable account", variant="soft", color_scheme="green",
                          on_click=S.set_disabled(sel.id, False), id="enable-user"),
                rx.button("Disable account", variant="soft", color_scheme="red",
                          on_click=S.set_disabled(sel.id, True), id="disable-user"),
            ),
            rx.heading("Ledger", size="3", as_="h3"),
            table(("When", "Change", "Balance", "Kind", "Reference"), S.ledger, ledger_row, "admin-ledger"),
            id="admin-user",
        ),
    )


# ---- jobs ---------------------------------------------------------------------------------------------------


def job_row(row: ObjectVar[JobItem]) -> rx.Component:
    return rx.table.row(
        rx.table.cell("#", row["id"]),
        rx.table.cell(row["user_id"]),
        rx.table.cell(row["when"]),
        rx.table.cell(row["operation"], " · ", row["model"]),
        rx.table.cell(rx.hstack(rx.badge(row["status"], variant="soft"),
                                rx.cond(row["stuck"], rx.badge("stuck", color_scheme="amber")), spacing="1")),
        rx.table.cell(rx.text(row["error"], size="1")),
        rx.table.cell(row["charged"]),
        rx.table.cell(rx.hstack(
            rx.button("Retry", size="1", variant="soft", disabled=~row["retryable"], on_click=S.retry(row["id"]),
                      aria_label="Retry job " + row["id"].to_string()),
            rx.button("Refund", size="1", variant="soft", color_scheme="orange", on_click=S.refund(row["id"]),
                      aria_label="Refund job " + row["id"].to_string()),
            spacing="1",
        )),
    )


def jobs() -> rx.Component:
    return card(
        "Jobs",
        rx.flex(
            rx.segmented_control.root(
                rx.segmented_control.item("Failed", value="failed"),
                rx.segmented_control.item("Stuck", value="stuck"),
                rx.segmented_control.item("Active", value="active"),
                rx.segmented_control.item("All", value="all"),
                value=S.job_filter, on_change=S.set_job_filter, aria_label="Which jobs", id="admin-job-filter",
            ),
            rx.hstack(
                rx.el.label("Refund reason", html_for="job-reason", class_name="field-label"),
                rx.input(id="job-reason", value=S.job_reason, on_change=S.set_job_reason, max_length=200,
                         placeholder="Required for refunds", size="2", flex="1"),
                align="center", flex="1 1 260px",
            ),
            gap="12px", wrap="wrap", align="center", width="100%",
        ),
        rx.cond(S.jobs.length() > 0,
                table(("Job", "User", "Created", "What", "Status", "Error", "Charged", "Actions"), S.jobs, job_row,
                      "admin-jobs"),
                rx.text("No jobs match.", size="2", color_scheme="gray")),
    )


# ---- payments, events, audit --------------------------------------------------------------------------------


def payment_row(row: ObjectVar[PaymentItem]) -> rx.Component:
    return rx.table.row(rx.table.cell(row["when"]), rx.table.cell(row["user_id"]), rx.table.cell(row["description"]),
                        rx.table.cell(row["amount"]), rx.table.cell(row["credits"]),
                        rx.table.cell(rx.badge(row["status"], variant="soft")))


def event_row(row: ObjectVar[EventItem]) -> rx.Component:
    return rx.table.row(rx.table.cell(row["when"]), rx.table.cell(row["type"]), rx.table.cell(row["outcome"]),
                        rx.table.cell(row["user_id"]), rx.table.cell(rx.code(row["id"], size="1")))


def audit_row(row: ObjectVar[AuditItem]) -> rx.Component:
    return rx.table.row(rx.table.cell(row["when"]), rx.table.cell(row["admin"]), rx.table.cell(row["action"]),
                        rx.table.cell(row["target"]), rx.table.cell(rx.text(row["details"], size="1")))


def lists() -> rx.Component:
    return rx.fragment(
        card("Purchases",
             rx.cond(S.payments.length() > 0,
                     table(("When", "User", "What", "Amount", "Credits", "Status"), S.payments, payment_row,
                           "admin-purchases"),
                     rx.text("No purchases yet.", size="2", color_scheme="gray"))),
        card("Stripe events",
             rx.cond(S.events.length() > 0,
                     table(("Applied", "Type", "Outcome", "User", "Event id"), S.events, event_row, "admin-events"),
                     rx.text("No Stripe events yet.", size="2", color_scheme="gray"))),
        card("Audit log",
             rx.button(rx.icon("refresh_cw", size=14), "Refresh", size="1", variant="soft",
                       on_click=S.refresh_lists, aria_label="Refresh purchases, events, dashboard and audit log"),
             table(("When", "Admin", "Action", "Target", "Details"), S.audit_rows, audit_row, "admin-audit")),
    )


def admin_page() -> rx.Component:
    return page(
        rx.cond(
            S.allowed,
            rx.vstack(
                rx.heading("Admin", size="7", as_="h1"),
                messages(),
                dashboard(),
                users(),
                user_detail(),
                jobs(),
                lists(),
                spacing="5",
                padding_y="40px",
                width="100%",
            ),
            rx.center(rx.spinner(size="3"), padding_y="20vh", aria_label="Checking access"),
        ),
    )


ON_LOAD = [AdminState.load_admin]
