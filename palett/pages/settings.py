"""Account settings: profile, password, connected accounts, devices, deletion."""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars import ObjectVar

from palett.components.forms import brand_mark, field, flash, link_button, post_form
from palett.components.layout import NEEDS_SESSION, page
from palett.state.account import AccountState, ProviderRow, SessionRow
from palett.state.session import FlashState, SessionState


def section(title: str, description: str, *children: rx.Component, **props: Any) -> rx.Component:
    return rx.card(
        rx.flex(
            rx.vstack(rx.heading(title, size="4", as_="h2"), rx.text(description, size="2", color_scheme="gray"),
                      spacing="1", flex="1 1 240px"),
            rx.vstack(*children, spacing="3", flex="2 1 360px", width="100%"),
            gap="24px",
            wrap="wrap",
        ),
        size="3",
        width="100%",
        **props,
    )


def profile() -> rx.Component:
    return section(
        "Profile",
        "How you appear in Palett.",
        rx.el.label("Display name", html_for="display-name", class_name="field-label"),
        rx.hstack(
            rx.input(id="display-name", value=AccountState.name_draft, on_change=AccountState.set_name_draft,
                     max_length=80, size="3", flex="1"),
            rx.button("Save", on_click=AccountState.save_name, size="3", id="save-name"),
            width="100%",
        ),
        rx.cond(AccountState.saved != "", rx.text(AccountState.saved, color_scheme="green", size="2",
                                                  role="status")),
        rx.cond(AccountState.problem != "", rx.text(AccountState.problem, color_scheme="red", size="2",
                                                    role="alert")),
        rx.link(rx.hstack(rx.icon("circle_user", size=14), rx.text("Picture, studio defaults and a copy of your data"),
                          align="center", spacing="1"), href="/profile", size="2", id="profile-link"),
        rx.text("Email", class_name="field-label"),
        rx.hstack(
            rx.text(SessionState.user_email, weight="medium"),
            rx.cond(AccountState.email_verified,
                    rx.badge(rx.icon("badge_check", size=14), "Verified", color_scheme="green"),
                    rx.badge("Not verified", color_scheme="amber")),
            align="center",
            class_name=NEEDS_SESSION,
        ),
    )


def password() -> rx.Component:
    return section(
        "Password",
        "Changing it signs out your other devices.",
        post_form(
            "/api/account/password",
            rx.vstack(
                # Which account the new password is for, so a password manager saves it under the right name.
                rx.el.input(type="email", name="username", auto_complete="username", value=SessionState.user_email,
                            read_only=True, hidden=True, tab_index=-1, aria_hidden="true", aria_label="Account email"),
                rx.cond(AccountState.has_password,
                        field("Current password", "current_password", type="password",
                              autocomplete="current-password"),
                        rx.text("You sign in with Google or GitHub. Set a password to sign in with email too.",
                                size="2", color_scheme="gray", class_name=NEEDS_SESSION)),
                field("New password", "password", type="password", autocomplete="new-password",
                      hint="At least 10 characters, not a common password.", min_length=10),
                field("Repeat new password", "confirm", type="password", autocomplete="new-password"),
                rx.button(rx.icon("key_round", size=16), "Change password", type="submit", size="3"),
                spacing="3",
                width="100%",
                align="start",
            ),
            width="100%",
            id="password-form",
        ),
    )


def provider_row(row: ObjectVar[ProviderRow]) -> rx.Component:
    return rx.hstack(
        brand_mark(row["key"]),
        rx.vstack(rx.text(row["name"], weight="medium"),
                  rx.text(rx.cond(row["linked"], row["email"], "Not connected"), size="1", color_scheme="gray"),
                  spacing="0"),
        rx.spacer(),
        rx.cond(
            row["linked"],
            post_form(
                "/api/oauth/" + row["key"] + "/unlink",
                rx.button("Disconnect", type="submit", variant="soft", color_scheme="gray",
                          aria_label="Disconnect " + row["name"]),
            ),
            link_button("Connect", href="/api/oauth/" + row["key"] + "/start", variant="soft",
                        aria_label="Connect " + row["name"]),
        ),
        width="100%",
        align="center",
    )


def connected() -> rx.Component:
    return section(
        "Connected accounts",
        "Sign in with Google or GitHub as well as your password.",
        rx.cond(AccountState.providers.length() > 0,
                rx.vstack(rx.foreach(AccountState.providers, provider_row), spacing="3", width="100%"),
                rx.text("No sign-in providers are configured on this server.", size="2", color_scheme="gray",
                        class_name=NEEDS_SESSION)),
    )


def revoke_this_device(row: ObjectVar[SessionRow]) -> rx.Component:
    """Revoking the session you are using signs you out here: ask first."""
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(
            rx.button("Revoke", variant="soft", color_scheme="red", aria_label="Revoke session on this device",
                      class_name="revoke-session"),
        ),
        rx.alert_dialog.content(
            rx.alert_dialog.title("Sign out of this device?"),
            rx.alert_dialog.description("Revoking this session will sign you out here. Your other devices stay "
                                        "signed in.", size="2"),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button("Cancel", variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(rx.button("Revoke and sign out", color_scheme="red",
                                                 on_click=AccountState.revoke(row["id"]), id="confirm-revoke")),
                spacing="3", justify="end", padding_top="16px",
            ),
            max_width="420px",
        ),
    )


def session_row(row: ObjectVar[SessionRow]) -> rx.Component:
    return rx.hstack(
        rx.icon("monitor_smartphone", size=20),
        rx.vstack(
            rx.hstack(rx.text(row["device"], weight="medium"),
                      rx.cond(row["current"], rx.badge("This device", color_scheme="green")), align="center"),
            rx.text(row["ip"], " · last active ", row["last_seen"], size="1", color_scheme="gray"),
            spacing="0",
        ),
        rx.spacer(),
        rx.cond(row["current"], revoke_this_device(row),
                rx.button("Revoke", variant="soft", color_scheme="red", on_click=AccountState.revoke(row["id"]),
                          aria_label="Revoke session on " + row["device"], class_name="revoke-session")),
        width="100%",
        align="center",
        class_name="session-row",
    )


def devices() -> rx.Component:
    return section(
        "Signed-in devices",
        "Revoke any session you don't recognise.",
        rx.foreach(AccountState.session_rows, session_row),
        post_form(
            "/api/account/logout-others",
            rx.button(rx.icon("log_out", size=16), "Sign out of all other devices", type="submit",
                      variant="outline", color_scheme="gray"),
            id="logout-others-form",
        ),
    )


def danger() -> rx.Component:
    return section(
        "Delete account",
        "Deletes your account, images, history and credits. This cannot be undone.",
        rx.alert_dialog.root(
            rx.alert_dialog.trigger(rx.button(rx.icon("trash_2", size=16), "Delete my account",
                                              color_scheme="red", variant="soft", id="delete-account")),
            rx.alert_dialog.content(
                rx.alert_dialog.title("Delete your account?"),
                rx.alert_dialog.description("Everything in it is removed for good. Type DELETE to confirm."),
                rx.cond(AccountState.live_plan != "", rx.callout(
                    "Your " + AccountState.live_plan + " subscription is cancelled with Stripe first, so you won't "
                    "be charged again; the rest of the paid period and your credits go with the account.",
                    icon="credit_card", color_scheme="amber", size="1", margin_top="12px",
                    id="delete-cancels-subscription")),
                post_form(
                    "/api/account/delete",
                    rx.vstack(
                        field("Confirmation", "confirmation", placeholder="DELETE", autocomplete="off"),
                        rx.hstack(
                            rx.alert_dialog.cancel(rx.button("Cancel", variant="soft", color_scheme="gray",
                                                             type="button")),
                            rx.button("Delete forever", type="submit", color_scheme="red"),
                            justify="end",
                            width="100%",
                        ),
                        spacing="3",
                        padding_top="12px",
                    ),
                    id="delete-form",
                ),
            ),
        ),
        class_name="danger-zone",
    )


def settings_page() -> rx.Component:
    return page(
        rx.vstack(
            rx.heading("Settings", size="7", as_="h1"),
            flash(FlashState.error, FlashState.notice),
            profile(),
            password(),
            connected(),
            devices(),
            danger(),
            spacing="4",
            padding_y="40px",
            width="100%",
        ),
        width="920px",
    )


ON_LOAD = [AccountState.load_account, FlashState.read]
