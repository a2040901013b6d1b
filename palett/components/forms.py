"""Form building blocks. Auth forms are real HTML posts to the API (see api/auth_routes.py)."""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.event import EventType
from reflex.vars import Var
from reflex_components_core.el.elements.base import BaseHTML


class PostForm(BaseHTML):
    """A plain <form method="post">: rx.form always prevents the browser's own submit."""

    tag = "form"
    action: Var[str]
    method: Var[str]


def post_form(action: str | Var[str], *children: rx.Component, **props: Any) -> rx.Component:
    return PostForm.create(*children, action=action, method="post", **props)


def field(
    label: str,
    name: str,
    *,
    type: str = "text",
    placeholder: str = "",
    autocomplete: str = "",
    default_value: str | Var[str] = "",
    hint: str = "",
    required: bool = True,
    **props: Any,
) -> rx.Component:
    """A labelled input; the label is tied to the input so screen readers announce it."""
    field_id = f"field-{name}"
    return rx.vstack(
        rx.el.label(label, html_for=field_id, class_name="field-label"),
        rx.input(
            id=field_id,
            name=name,
            type=type,
            placeholder=placeholder,
            auto_complete=autocomplete or None,
            default_value=default_value,
            # Remount when a prefill arrives from state after hydration (defaultValue applies once).
            key=default_value if isinstance(default_value, Var) else None,
            required=required,
            size="3",
            width="100%",
            **props,
        ),
        rx.text(hint, size="1", color_scheme="gray") if hint else rx.fragment(),
        spacing="1",
        width="100%",
        align="stretch",
    )


def submit(label: str, icon: str | None = None, **props: Any) -> rx.Component:
    children = [rx.icon(icon, size=18)] if icon else []
    return rx.button(*children, label, type="submit", size="3", width="100%", **props)


def flash(error: Var[str], notice: Var[str]) -> rx.Component:
    """The message a form post came back with."""
    return rx.fragment(
        rx.cond(
            error != "",
            rx.callout(error, icon="circle_alert", color_scheme="red", role="alert", width="100%"),
        ),
        rx.cond(
            notice != "",
            rx.callout(notice, icon="circle_check", color_scheme="green", role="status", width="100%"),
        ),
    )


def brand_mark(provider: str | Var[str]) -> rx.Component:
    """Google/GitHub logos (lucide has no brand icons)."""
    name = Var.create(provider).to(str)  # a Var on the left of `+`: str + Var has no typed __add__
    return rx.image(src=Var.create("/brands/") + name + ".svg", alt="", class_name=Var.create("brand-mark ") + name,
                    width="18px",
                    height="18px")


def link_button(*children: rx.Component | str | Var[str], href: str | Var[str], download: bool = False,
                **props: Any) -> rx.Component:
    """A link styled as a button (one <a>, not a button nested in a link); `download` saves instead of opening."""
    # target=_blank keeps the client-side router from swallowing the click of a download link.
    anchor = (rx.el.a(*children, href=href, download=True, target="_blank", rel="noopener") if download
              else rx.el.a(*children, href=href, reload_document=leaves_the_app(href)))
    return rx.button(anchor, as_child=True, **props)


def leaves_the_app(href: str | Var[str]) -> bool | Var[bool]:
    """True for server routes (/api/...): rx.el.a is React Router's <Link>, which would otherwise look the
    address up among the app's own pages and show "Page not found" instead of loading it."""
    if isinstance(href, str):
        return href.startswith("/api/")
    return href.to(str).startswith("/api/")


def range_field(label: str, field_id: str, value: Var, on_change: EventType[str], *, low: float, high: float,
                step: float, key: Var | str = "") -> rx.Component:
    """A labelled native range input: announced by screen readers, arrow keys never lose a step
    (uncontrolled; `key` remounts it when the server rewrites the value)."""
    return rx.vstack(
        rx.hstack(rx.el.label(label, html_for=field_id, class_name="field-label"), rx.spacer(),
                  rx.text(value, size="2", id=field_id + "-value"), width="100%"),
        rx.el.input(type="range", id=field_id, min=low, max=high, step=step, default_value=value.to_string(),
                    on_change=on_change, key=key, class_name="range-input"),
        width="100%", spacing="1",
    )
