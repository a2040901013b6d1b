"""The page for any URL the app does not know: the app's own frame, a short reason and ways back."""

from __future__ import annotations

import reflex as rx

from palett.components.forms import link_button
from palett.components.layout import page
from palett.state.session import SessionState


def not_found_page() -> rx.Component:
    return page(
        rx.center(
            rx.vstack(
                rx.center(rx.icon("map_pin_off", size=28), class_name="tool-icon big"),
                rx.text("404", size="2", color_scheme="gray", weight="medium"),
                rx.heading("Page not found", size="7", as_="h1"),
                rx.text("This address doesn't lead anywhere. It may have been mistyped, or the page was moved "
                        "or deleted.", size="3", color_scheme="gray", align="center", max_width="440px"),
                rx.hstack(
                    rx.cond(SessionState.signed_in,
                            link_button(rx.icon("sparkles", size=16), "Open the studio", href="/studio", size="3",
                                        id="not-found-home"),
                            link_button(rx.icon("house", size=16), "Back to the home page", href="/", size="3",
                                        id="not-found-home")),
                    link_button(rx.icon("globe", size=16), "Explore", href="/explore", size="3", variant="soft"),
                    spacing="3", wrap="wrap", justify="center",
                ),
                align="center",
                spacing="4",
            ),
            padding_y="12vh",
            width="100%",
        ),
    )


# Signed-in visitors get the signed-in header (credits, menu) on the 404 page too.
ON_LOAD = [SessionState.load]
