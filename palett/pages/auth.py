"""Sign-in, sign-up, forgot/reset password and e-mail verification pages."""

from __future__ import annotations

import reflex as rx
from reflex.vars import Var

from palett.components.forms import brand_mark, field, flash, link_button, post_form, submit
from palett.components.layout import auth_card
from palett.state.providers import ProviderState
from palett.state.session import FlashState, SessionState


def provider_button(key: str, name: str, enabled: Var[bool]) -> rx.Component:
    return rx.cond(
        enabled,
        link_button(brand_mark(key), f"Continue with {name}", href=f"/api/oauth/{key}/start{FlashState.next_suffix}",
                    variant="outline", color_scheme="gray", size="3", width="100%", id=f"oauth-{key}"),
    )


def oauth_buttons() -> rx.Component:
    return rx.cond(
        ProviderState.google | ProviderState.github,
        rx.vstack(
            provider_button("google", "Google", ProviderState.google),
            provider_button("github", "GitHub", ProviderState.github),
            rx.hstack(rx.separator(size="4"), rx.text("or", size="1", color_scheme="gray"),
                      rx.separator(size="4"), align="center", width="100%"),
            spacing="3",
            width="100%",
        ),
    )


def next_field() -> rx.Component:
    """The checked return address, posted with the form (and checked again by the server)."""
    return rx.el.input(type="hidden", name="next", value=FlashState.next_path)


def signin() -> rx.Component:
    return auth_card(
        "Welcome back",
        "Sign in to your studio.",
        flash(FlashState.error, FlashState.notice),
        oauth_buttons(),
        post_form(
            "/api/auth/login",
            rx.vstack(
                next_field(),
                field("Email", "email", type="email", autocomplete="email", default_value=FlashState.email,
                      placeholder="you@example.com"),
                field("Password", "password", type="password", autocomplete="current-password"),
                rx.link("Forgot password?", href="/forgot", size="2"),
                submit("Sign in", icon="log_in"),
                spacing="4",
                width="100%",
            ),
            width="100%",
            id="signin-form",
        ),
        rx.cond(
            FlashState.error_code == "unverified",
            post_form("/api/auth/resend",
                      rx.el.input(type="hidden", name="email", value=FlashState.email),
                      next_field(),
                      rx.button("Send me a new verification link", type="submit", variant="ghost", size="1"),
                      id="resend-form"),
        ),
        rx.text("New to Palett? ",
                rx.link("Create an account", href=f"/signup{FlashState.next_suffix}", underline="always"), size="2"),
    )


def signup() -> rx.Component:
    return auth_card(
        "Create your account",
        "Start with 10 free credits. No card needed.",
        flash(FlashState.error, FlashState.notice),
        oauth_buttons(),
        post_form(
            "/api/auth/signup",
            rx.vstack(
                next_field(),
                field("Name", "name", autocomplete="name", default_value=FlashState.name, required=False,
                      placeholder="Ada Lovelace"),
                field("Email", "email", type="email", autocomplete="email", default_value=FlashState.email,
                      placeholder="you@example.com"),
                field("Password", "password", type="password", autocomplete="new-password",
                      hint="At least 10 characters, not a common password.", min_length=10),
                submit("Create account", icon="user_plus"),
                spacing="4",
                width="100%",
            ),
            width="100%",
            id="signup-form",
        ),
        rx.text("Already have an account? ",
                rx.link("Sign in", href=f"/signin{FlashState.next_suffix}", underline="always"), size="2"),
    )


def forgot() -> rx.Component:
    return auth_card(
        "Forgot your password?",
        "We'll email you a link to choose a new one. It works once, for an hour.",
        flash(FlashState.error, FlashState.notice),
        post_form(
            "/api/auth/forgot",
            rx.vstack(
                field("Email", "email", type="email", autocomplete="email", placeholder="you@example.com"),
                submit("Send reset link", icon="mail"),
                spacing="4",
                width="100%",
            ),
            width="100%",
            id="forgot-form",
        ),
        rx.link("Back to sign in", href="/signin", size="2"),
    )


def reset() -> rx.Component:
    return auth_card(
        "Choose a new password",
        "Signing in with the new password signs out every other device.",
        flash(FlashState.error, FlashState.notice),
        rx.cond(
            FlashState.token != "",
            post_form(
                "/api/auth/reset",
                rx.vstack(
                    rx.el.input(type="hidden", name="token", value=FlashState.token),
                    field("New password", "password", type="password", autocomplete="new-password",
                          hint="At least 10 characters, not a common password.", min_length=10),
                    field("Repeat new password", "confirm", type="password", autocomplete="new-password"),
                    submit("Save new password", icon="key_round"),
                    spacing="4",
                    width="100%",
                ),
                width="100%",
                id="reset-form",
            ),
            rx.link("Ask for a new reset link", href="/forgot", size="2"),
        ),
    )


def verify() -> rx.Component:
    return auth_card(
        "Confirm your email",
        "One click and your account is ready.",
        flash(FlashState.error, FlashState.notice),
        rx.cond(
            FlashState.token != "",
            post_form(
                "/api/auth/verify",
                rx.el.input(type="hidden", name="token", value=FlashState.token),
                next_field(),
                submit("Verify my email", icon="mail_check"),
                width="100%",
                id="verify-form",
            ),
            rx.link("Back to sign in", href="/signin", size="2"),
        ),
    )


ON_LOAD = [SessionState.load, FlashState.read, ProviderState.read]
SIGNED_OUT_ONLY = [SessionState.redirect_signed_in, FlashState.read, ProviderState.read]
