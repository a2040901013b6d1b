"""Pieces the library pages share: the feed window's controls, empty states, small labelled inputs."""

from __future__ import annotations

from typing import Any

import reflex as rx

from palett.components.forms import link_button


def feed_top(state: Any, noun: str = "images") -> rx.Component:
    """Shown once the window has dropped pages from its top: bring back the newer ones, or start over."""
    return rx.cond(
        state.hidden_before > 0,
        rx.hstack(
            rx.icon("arrow_up", size=16),
            rx.text(state.hidden_before.to_string() + f" newer {noun} are above this point.", size="2"),
            rx.spacer(),
            rx.button("Show newer", on_click=state.show_newer, variant="soft", size="2", id="show-newer"),
            rx.button("Back to the top", on_click=state.back_to_top, variant="ghost", size="2", id="back-to-top"),
            class_name="feed-top",
            align="center",
            width="100%",
            wrap="wrap",
        ),
    )


def feed_bottom(state: Any, button_id: str, end_text: str) -> rx.Component:
    """The sentinel that library.js watches, and the same "Load more" as a visible, keyboard-usable button."""
    return rx.vstack(
        rx.box(id=button_id + "-sentinel", custom_attrs={"data-autoload": button_id}, class_name="feed-sentinel"),
        rx.cond(
            state.has_more,
            rx.button(
                rx.cond(state.loading, rx.spinner(size="2"), rx.icon("chevrons_down", size=16)),
                rx.cond(state.loading, "Loading…", "Load more"),
                on_click=state.load_more, disabled=state.loading, variant="soft", size="3", id=button_id,
                aria_busy=state.loading,
            ),
            rx.cond(state.rows.length() > 0, rx.text(end_text, size="2", color_scheme="gray", id=button_id + "-end")),
        ),
        align="center",
        width="100%",
        padding_y="16px",
    )


def empty_state(icon: str, title: str, text: str, *actions: rx.Component, **props: Any) -> rx.Component:
    return rx.center(
        rx.vstack(
            rx.center(rx.icon(icon, size=28), class_name="tool-icon big"),
            rx.heading(title, size="5", as_="h2", align="center"),
            rx.text(text, color_scheme="gray", size="2", align="center", max_width="460px"),
            rx.hstack(*actions, spacing="3", wrap="wrap", justify="center"),
            align="center",
            spacing="3",
        ),
        class_name="empty-canvas",
        **props,
    )


def studio_and_edit_links() -> list[rx.Component]:
    return [
        link_button(rx.icon("sparkles", size=16), "Make an image in the Studio", href="/studio", size="3"),
        link_button(rx.icon("image_up", size=16), "Upload a photo to edit", href="/edit", size="3", variant="soft"),
    ]


def labelled(label: str, control: rx.Component, html_for: str, class_name: str = "") -> rx.Component:
    return rx.vstack(rx.el.label(label, html_for=html_for, class_name="field-label small"), control, spacing="1",
                     min_width="0", class_name=class_name)


def date_input(label: str, html_id: str, value: Any, on_change: Any) -> rx.Component:
    return labelled(label, rx.el.input(type="date", id=html_id, value=value, on_change=on_change,
                                       class_name="date-input"), html_id)


def choice(label: str, html_id: str, value: Any, on_change: Any, options: Any, all_label: str,
           render: Any = None) -> rx.Component:
    """A labelled select whose first item means "no filter" (value "all")."""
    items = rx.foreach(options, render) if render is not None else rx.foreach(
        options, lambda o: rx.select.item(o[1], value=o[0]))
    return labelled(label, rx.select.root(
        rx.select.trigger(id=html_id, aria_label=label, width="100%"),
        rx.select.content(rx.select.item(all_label, value="all"), items),
        value=value, on_change=on_change, size="2",
    ), html_id)
