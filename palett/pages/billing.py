"""Billing: current plan and balance, Free/Pro/Premium, credit packs, Manage subscription, purchase history.

Buttons are real form posts to /api/billing/* (which redirect to Stripe). Without Stripe keys the page
still shows the plans, says payments are not configured and disables every button.
"""

from __future__ import annotations

import reflex as rx
from reflex.vars import ObjectVar

from palett.components.forms import flash, post_form
from palett.components.layout import NEEDS_SESSION, page
from palett.services.billing.catalog import BASIC_TOOLS_TEXT, PackOffer, PlanOffer
from palett.state.billing import BillingState, HistoryRow
from palett.state.session import FlashState

S = BillingState
STATUS_COLORS = {"paid": "green", "pending": "amber", "failed": "red", "expired": "gray",
                 "partially_refunded": "orange", "refunded": "orange"}


def checkout_notice() -> rx.Component:
    return rx.match(
        S.checkout,
        ("paid", rx.callout(S.checkout_text, icon="circle_check", color_scheme="green", role="status",
                            width="100%", id="checkout-paid")),
        ("pending", rx.callout(rx.hstack(rx.spinner(size="2"), rx.text(S.checkout_text), align="center"),
                               icon="clock", color_scheme="blue", role="status", width="100%",
                               id="checkout-pending")),
        ("slow", rx.callout(S.checkout_text, icon="clock", color_scheme="amber", role="status", width="100%",
                            id="checkout-slow")),
        ("failed", rx.callout(S.checkout_text, icon="circle_alert", color_scheme="red", role="alert",
                              width="100%", id="checkout-failed")),
        ("unknown", rx.callout(S.checkout_text, icon="circle_help", color_scheme="gray", role="status",
                               width="100%", id="checkout-unknown")),
        rx.fragment(),
    )


def not_configured() -> rx.Component:
    return rx.cond(
        S.loaded & ~S.enabled,
        rx.callout("Payments are not configured on this server, so nothing can be bought here yet. "
                   "The plans below show what each one includes.",
                   icon="info", color_scheme="gray", role="status", width="100%", id="billing-disabled"),
    )


def current_plan() -> rx.Component:
    return rx.card(
        rx.flex(
            rx.vstack(
                rx.text("Current plan", size="2", color_scheme="gray"),
                rx.hstack(rx.heading(S.plan_name, size="7", as_="h2", id="billing-plan", class_name=NEEDS_SESSION),
                          rx.cond(S.status_label != "", rx.badge(S.status_label, variant="soft",
                                                                 id="billing-status")),
                          align="center", wrap="wrap"),
                rx.cond(S.interval_label != "", rx.text(S.interval_label, size="2", color_scheme="gray")),
                rx.cond(S.renews_text != "", rx.text(S.renews_text, size="2", id="billing-renews")),
                rx.cond(S.fair_use_text != "", rx.text(S.fair_use_text, size="2", color_scheme="gray",
                                                       id="billing-fair-use")),
                spacing="1",
                flex="1 1 240px",
            ),
            rx.vstack(
                rx.text("Credit balance", size="2", color_scheme="gray"),
                rx.text(S.balance, size="8", weight="bold", id="billing-balance", class_name=NEEDS_SESSION),
                spacing="1",
                flex="1 1 160px",
            ),
            rx.vstack(
                post_form(
                    "/api/billing/portal",
                    rx.button(rx.icon("settings_2", size=16), "Manage subscription", type="submit",
                              variant="soft", size="3", disabled=~S.enabled | ~S.can_manage, id="manage-billing"),
                    id="portal-form",
                ),
                rx.text(rx.cond(S.can_manage, "Change plan, cancel, update your card, see invoices.",
                                "Available after your first purchase."), size="1", color_scheme="gray"),
                spacing="1",
                flex="1 1 220px",
            ),
            gap="24px",
            wrap="wrap",
            align="start",
        ),
        size="3",
        width="100%",
    )


def plan_card(plan: ObjectVar[PlanOffer]) -> rx.Component:
    product = plan.key + rx.cond(S.yearly, "_year", "_month")
    available = rx.cond(S.yearly, plan.available_yearly, plan.available_monthly)
    is_current = plan.key == S.current_plan
    paid = plan.key != "free"
    return rx.card(
        rx.vstack(
            rx.hstack(rx.heading(plan.name, size="5", as_="h3"), rx.spacer(),
                      rx.cond(is_current, rx.badge("Your plan", color_scheme="green", variant="soft")),
                      rx.cond(~is_current & (S.highlight_id == "plan-" + plan.key), suggested_badge()),
                      width="100%", align="center"),
            rx.cond(
                paid,
                rx.hstack(rx.text(rx.cond(S.yearly, plan.yearly, plan.monthly), size="7", weight="bold"),
                          rx.text(rx.cond(S.yearly, "/ year", "/ month"), size="2", color_scheme="gray"),
                          align="baseline", spacing="1"),
                rx.hstack(rx.text("$0", size="7", weight="bold"), rx.text("forever", size="2", color_scheme="gray"),
                          align="baseline", spacing="1"),
            ),
            rx.cond(S.yearly & paid, rx.text("Save ", plan.yearly_saving_percent.to_string(), "% with yearly billing",
                                                     size="1", color_scheme="green")),
            rx.el.ul(rx.foreach(plan.features, lambda f: rx.el.li(
                rx.hstack(rx.icon("check", size=14, color="var(--green-10)", flex_shrink="0"),
                          rx.text(f, size="2"), align="start", spacing="2"))),
                class_name="plan-features", style={"listStyle": "none", "padding": 0, "margin": 0}),
            rx.spacer(),
            rx.cond(
                paid,
                post_form(
                    "/api/billing/checkout",
                    rx.el.input(type="hidden", name="product", value=product),
                    rx.button(rx.cond(is_current, "Current plan", "Subscribe"), type="submit", size="3",
                              width="100%", disabled=~available | is_current,
                              aria_label=rx.cond(is_current, "Current plan: " + plan.name,
                                                 "Subscribe to " + plan.name),
                              class_name="subscribe-button"),
                    width="100%",
                ),
                rx.button(rx.cond(is_current, "Current plan", "Included"), size="3", width="100%",
                          variant="soft", disabled=True, aria_label="Free plan"),
            ),
            spacing="3",
            height="100%",
            width="100%",
        ),
        size="3",
        class_name=rx.cond(S.highlight_id == "plan-" + plan.key, "plan-card highlighted", "plan-card"),
        id="plan-" + plan.key,
    )


def plans() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.heading("Plans", size="5", as_="h2"),
            rx.spacer(),
            rx.segmented_control.root(
                rx.segmented_control.item("Monthly", value="month"),
                rx.segmented_control.item("Yearly", value="year"),
                value=rx.cond(S.yearly, "year", "month"), on_change=S.set_interval, aria_label="Billing period",
                id="billing-interval",
            ),
            width="100%",
            align="center",
            wrap="wrap",
        ),
        rx.text("Pro makes ", BASIC_TOOLS_TEXT, " free, up to ", S.pro_basic_cap.to_string(),
                " a month. Premium jobs skip the credit check within fair use and run ahead of the queue. "
                "If a payment fails or a plan ends, Free rules apply until it's sorted.",
                size="2", color_scheme="gray", id="plans-rules", class_name=NEEDS_SESSION),
        rx.grid(rx.foreach(S.plans, plan_card), columns=rx.breakpoints(initial="1", md="3"), spacing="4",
                width="100%"),
        spacing="3",
        width="100%",
    )


def suggested_badge() -> rx.Component:
    """On the pack or plan a cost preview pointed to: the cheapest way to run what the user was making."""
    return rx.badge(rx.icon("sparkles", size=12), "Covers your next run", color_scheme="amber", variant="solid",
                    class_name="suggested-badge")


def pack_card(pack: ObjectVar[PackOffer]) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(rx.heading(pack.name, size="4", as_="h3"), rx.spacer(),
                      rx.cond(S.highlight_id == "pack-" + pack.key, suggested_badge()), width="100%",
                      align="center"),
            rx.hstack(rx.text(pack.credits, size="7", weight="bold"), rx.text("credits", color_scheme="gray"),
                      align="baseline", spacing="1"),
            rx.cond(pack.bonus > 0, rx.badge("Includes ", pack.bonus.to_string(), " bonus",
                                                color_scheme="green", variant="soft")),
            rx.text(pack.price, size="4", weight="medium"),
            rx.spacer(),
            post_form(
                "/api/billing/checkout",
                rx.el.input(type="hidden", name="product", value=pack.key),
                rx.button(rx.icon("shopping_cart", size=16), "Buy", type="submit", size="3", width="100%",
                          disabled=~pack.available, aria_label="Buy the " + pack.name + " pack",
                          class_name="buy-button"),
                width="100%",
            ),
            spacing="2",
            height="100%",
            width="100%",
        ),
        size="3",
        class_name=rx.cond(S.highlight_id == "pack-" + pack.key, "highlighted", ""),
        id="pack-" + pack.key,
    )


def packs() -> rx.Component:
    return rx.vstack(
        rx.heading("Credit packs", size="5", as_="h2"),
        rx.text("One-off top-ups on any plan. Credits never expire.", size="2", color_scheme="gray"),
        rx.grid(rx.foreach(S.packs, pack_card), columns=rx.breakpoints(initial="1", sm="3"), spacing="4",
                width="100%"),
        spacing="3",
        width="100%",
    )


def history_row(row: ObjectVar[HistoryRow]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row["when"]),
        rx.table.cell(row["description"]),
        rx.table.cell(row["amount"]),
        rx.table.cell(row["credits"]),
        rx.table.cell(rx.badge(row["status"].replace("_", " "),
                               color_scheme=rx.match(row["status"], *list(STATUS_COLORS.items()), "gray"),
                               variant="soft")),
        rx.table.cell(rx.cond(row["receipt_url"] != "",
                              rx.link("Receipt", href=row["receipt_url"], is_external=True,
                                      aria_label="Receipt for " + row["description"] + ", " + row["when"]),
                              rx.text("—", color_scheme="gray"))),
    )


def history() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Purchase history", size="4", as_="h2"),
            rx.cond(
                S.history_rows.length() > 0,
                rx.box(
                    rx.table.root(
                        rx.table.header(rx.table.row(
                            *[rx.table.column_header_cell(h) for h in
                              ("Date", "What", "Amount", "Credits", "Status", "Receipt")])),
                        rx.table.body(rx.foreach(S.history_rows, history_row)),
                        width="100%",
                        variant="surface",
                    ),
                    class_name="table-scroll",
                    id="purchase-history",
                    tab_index=0,
                    role="region",
                    aria_label="Purchase history",
                ),
                rx.text("No purchases yet.", size="2", color_scheme="gray", id="no-purchases",
                        class_name=NEEDS_SESSION),
            ),
            spacing="3",
            width="100%",
        ),
        size="3",
        width="100%",
    )


def billing_page() -> rx.Component:
    return page(
        rx.vstack(
            rx.heading("Billing", size="7", as_="h1"),
            flash(FlashState.error, FlashState.notice),
            checkout_notice(),
            rx.cond(S.banner != "", rx.callout(S.banner, icon="triangle_alert", color_scheme="amber", role="alert",
                                               width="100%", id="billing-banner")),
            not_configured(),
            current_plan(),
            plans(),
            packs(),
            history(),
            spacing="5",
            padding_y="40px",
            width="100%",
        ),
    )


ON_LOAD = [BillingState.load_billing, FlashState.read]
