"""The app shell: top bar (logo, nav, credits, user menu, theme toggle), page frame, footer."""

from __future__ import annotations

import reflex as rx

from palett.components.forms import PostForm, link_button
from palett.components.plain_layout import flatten
from palett.components.toasts import page_toasts
from palett.services.accounts.session_cookie import HINT_COOKIE
from palett.state.session import SessionState

NEEDS_SESSION = "needs-session"  # a class for what is drawn from the signed-in person's data

# Runs in <head> before the first paint. Either cookie name: the build does not know whether cookies will be
# secure (`__Host-` prefixed) where it is served.
SESSION_HINT_JS = (f"if (/(^|; )(__Host-)?{HINT_COOKIE}=1(;|$)/.test(document.cookie))"
                   " document.documentElement.dataset.session = 'in';")


def logo() -> rx.Component:
    return rx.link(
        rx.hstack(
            rx.center(
                rx.icon("palette", size=18, color="white"),
                class_name="logo-mark",
            ),
            rx.text("Palett", weight="bold", size="5", class_name="logo-word"),
            rx.badge("AI", variant="soft", radius="full", size="1"),
            spacing="2",
            align="center",
        ),
        href="/",
        underline="none",
        color="inherit",
        aria_label="Palett AI home",
    )


def theme_toggle() -> rx.Component:
    return rx.tooltip(
        rx.icon_button(
            rx.color_mode_cond(light=rx.icon("moon", size=18), dark=rx.icon("sun", size=18)),
            on_click=rx.toggle_color_mode,
            variant="ghost",
            size="2",
            aria_label="Switch between light and dark theme",
            id="theme-toggle",
        ),
        content="Light / dark theme",
    )


def credits_badge() -> rx.Component:
    return rx.link(
        rx.badge(
            rx.icon("coins", size=14),
            rx.text(SessionState.credits, id="credits-balance"),
            rx.text(rx.cond(SessionState.credits == 1, "credit", "credits"), class_name="hide-sm"),
            size="2",
            variant="surface",
            radius="full",
        ),
        href="/billing",
        underline="none",
        id="credits-link",
        # The badge opens Billing, where credits are bought; its name says what it holds and what it is for.
        aria_label=SessionState.credits.to_string() + rx.cond(SessionState.credits == 1, " credit", " credits")
        + " — buy more",
    )


def nav_link(label: str, href: str, icon: str) -> rx.Component:
    return rx.link(
        rx.hstack(rx.icon(icon, size=16), rx.text(label), spacing="2", align="center"),
        href=href,
        color_scheme="gray",
        high_contrast=True,
        underline="none",
        size="2",
        weight="medium",
    )


def sign_out_form(label: str = "Sign out") -> rx.Component:
    return PostForm.create(
        rx.button(rx.icon("log_out", size=16), label, type="submit", variant="ghost", color_scheme="gray",
                  size="2", id="sign-out"),
        action="/api/auth/logout",
        method="post",
    )


def user_menu() -> rx.Component:
    return rx.popover.root(
        rx.popover.trigger(
            rx.button(
                rx.avatar(src=SessionState.user_image, fallback=SessionState.initials, size="2", radius="full"),
                variant="ghost",
                radius="full",
                aria_label="Account menu",
                id="user-menu",
                padding="0",
            )
        ),
        rx.popover.content(
            rx.vstack(
                rx.text(SessionState.user_name, weight="bold", size="2"),
                rx.text(SessionState.user_email, size="1", color_scheme="gray"),
                rx.separator(size="4"),
                nav_link("Studio", "/studio", "sparkles"),
                nav_link("Edit", "/edit", "wand_sparkles"),
                nav_link("Gallery", "/gallery", "images"),
                nav_link("Explore", "/explore", "globe"),
                nav_link("Usage", "/usage", "chart_column"),
                nav_link("Home", "/app", "layout_dashboard"),
                nav_link("Profile", "/profile", "circle_user"),
                nav_link("Billing", "/billing", "credit_card"),
                nav_link("Settings", "/settings", "settings"),
                nav_link("Developers", "/developers", "code_xml"),
                rx.cond(SessionState.is_admin, nav_link("Admin", "/admin", "shield")),
                sign_out_form(),
                spacing="3",
                align="start",
            ),
            align="end",
            min_width="220px",
        ),
    )


def topbar() -> rx.Component:
    return rx.el.header(
        rx.hstack(
            logo(),
            rx.hstack(
                rx.cond(
                    SessionState.signed_in,
                    rx.hstack(
                        rx.box(nav_link("Studio", "/studio", "sparkles"), class_name="hide-sm"),
                        rx.box(nav_link("Edit", "/edit", "wand_sparkles"), class_name="hide-sm"),
                        rx.box(nav_link("Gallery", "/gallery", "images"), class_name="hide-sm"),
                        rx.box(nav_link("Explore", "/explore", "globe"), class_name="hide-md"),
                        rx.box(nav_link("Usage", "/usage", "chart_column"), class_name="hide-md"),
                        rx.box(nav_link("Home", "/app", "layout_dashboard"), class_name="hide-md"),
                        credits_badge(),
                        theme_toggle(),
                        user_menu(),
                        spacing="4",
                        align="center",
                    ),
                    rx.hstack(
                        rx.box(nav_link("Features", "/#features", "sparkles"), class_name="hide-sm"),
                        rx.box(nav_link("Pricing", "/#pricing", "tag"), class_name="hide-sm"),
                        rx.box(nav_link("Explore", "/explore", "globe"), class_name="hide-sm"),
                        theme_toggle(),
                        link_button("Sign in", href="/signin", variant="soft", size="2"),
                        rx.box(link_button("Get started", href="/signup", size="2"), class_name="hide-sm"),
                        spacing="4",
                        align="center",
                        class_name=f"guest-nav {NEEDS_SESSION}",
                    ),
                ),
                align="center",
            ),
            justify="between",
            align="center",
            class_name="topbar-inner",
        ),
        class_name="topbar",
    )


def footer() -> rx.Component:
    return rx.el.footer(
        rx.hstack(
            rx.text("© 2026 Palett AI", size="1", color_scheme="gray"),
            rx.text("Made with care by a small team.", size="1", color_scheme="gray"),
            justify="between",
            width="100%",
            wrap="wrap",
        ),
        class_name="footer",
    )


def page(*children: rx.Component, width: str = "1120px") -> rx.Component:
    """Every page: skip link, top bar, main content, footer.

    Until the hydrate has checked the session, parts marked NEEDS_SESSION are hidden in a browser with the
    signed-in hint (SESSION_HINT_JS, assets/styles.css): the prerendered HTML is drawn for nobody, so a
    signed-in person would otherwise see "Sign in", "Unverified" or a balance of 0 flash on every full load.
    Static Radix layout and typography components become plain elements (plain_layout.flatten).
    """
    return flatten(rx.box(
        rx.el.a("Skip to content", href="#main", class_name="skip-link"),
        topbar(),
        rx.el.main(rx.box(*children, max_width=width, margin_x="auto", width="100%"), id="main",
                   class_name="main"),
        footer(),
        page_toasts(),
        class_name=rx.cond(SessionState.checked, "shell", "shell unchecked"),
    ))


def auth_card(title: str, subtitle: str, *children: rx.Component) -> rx.Component:
    """The centred card used by sign-in, sign-up and the token pages."""
    return page(
        rx.center(
            rx.card(
                rx.vstack(
                    rx.heading(title, size="7", as_="h1"),
                    rx.text(subtitle, color_scheme="gray", size="2"),
                    *children,
                    spacing="4",
                    width="100%",
                ),
                size="4",
                width="100%",
                max_width="440px",
            ),
            padding_y="6vh",
        ),
        width="1120px",
    )
