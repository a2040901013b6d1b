"""The lightbox: one picture full size beside its recipe and actions; arrows step, +/- zoom, Escape closes.

One component for every page of pictures (studio, gallery, explore, profiles): the page passes its state (a
ResultsLightbox) and the actions allowed there (owner_actions or visitor_actions, plus its own).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import reflex as rx
from reflex.vars import ObjectVar
from reflex_base.components.component import field
from reflex_base.event import EventHandler, key_event
from reflex_components_core.el.elements.typography import Div

from palett.components.forms import link_button
from palett.state.lightbox import ZOOMS, LightboxItem, ResultsLightbox

LightboxActions = Callable[[ObjectVar[LightboxItem]], list[rx.Component]]


class KeyArea(Div):
    """A <div> that hears the keys pressed on anything focused inside it."""

    # Reflex's idiom for a component's event field (the spec function as the type argument) is typed for
    # pyright only; mypy reads EventHandler as not generic and key_event as a function.
    on_key_down: EventHandler[key_event] = field(doc="Fired when a key is pressed inside")  # type: ignore[valid-type,type-arg]


def _step_button(state: type[ResultsLightbox], delta: int) -> rx.Component:
    back = delta < 0
    return rx.icon_button(
        rx.icon("chevron_left" if back else "chevron_right", size=22),
        on_click=state.lightbox_step(delta), variant="soft", color_scheme="gray", radius="full", size="3",
        aria_label="Previous picture" if back else "Next picture", id="lightbox-prev" if back else "lightbox-next",
        class_name="lightbox-step " + ("prev" if back else "next"),
    )


def _zoom_controls(state: type[ResultsLightbox]) -> rx.Component:
    zoom = state.lightbox_zoom
    return rx.hstack(
        rx.icon_button(rx.icon("zoom_out", size=16), on_click=state.lightbox_zoom_by(-1), disabled=zoom <= ZOOMS[0],
                       variant="ghost", color_scheme="gray", aria_label="Zoom out", id="lightbox-zoom-out"),
        rx.text(rx.cond(zoom == 1, "Fit", zoom.to_string() + "×"), size="1", id="lightbox-zoom",
                aria_live="polite", min_width="26px", text_align="center"),
        rx.icon_button(rx.icon("zoom_in", size=16), on_click=state.lightbox_zoom_by(1), disabled=zoom >= ZOOMS[-1],
                       variant="ghost", color_scheme="gray", aria_label="Zoom in", id="lightbox-zoom-in"),
        spacing="1", align="center",
    )


def _stage(state: type[ResultsLightbox]) -> rx.Component:
    item, zoom = state.lightbox_item, state.lightbox_zoom
    alt = rx.cond(item["prompt"] != "", item["prompt"], "Picture")
    return rx.box(
        # Zoomed, the picture is wider than this box, which scrolls: a finger or a trackpad pans it natively,
        # a mouse drags it (library.js).
        rx.box(
            # Fitted, the display rendition; zoomed in, the original's own pixels.
            rx.image(src=rx.cond(zoom > 1, item["url"], item["display"]), alt=alt, class_name="lightbox-img",
                     id="lightbox-img",
                     style={"--zoom": zoom.to_string()}, custom_attrs={"data-id": item["id"].to_string()}),
            class_name=rx.cond(zoom > 1, "lightbox-pan zoomed", "lightbox-pan"), id="lightbox-pan",
        ),
        _step_button(state, -1),
        _step_button(state, 1),
        class_name="lightbox-stage",
    )


def lightbox(state: type[ResultsLightbox], actions: LightboxActions) -> rx.Component:
    item = state.lightbox_item
    return rx.dialog.root(
        rx.dialog.content(
            KeyArea.create(rx.flex(
                _stage(state),
                rx.vstack(
                    rx.hstack(
                        rx.text(state.lightbox_position, size="1", color_scheme="gray", id="lightbox-position"),
                        rx.spacer(),
                        _zoom_controls(state),
                        rx.dialog.close(rx.icon_button(rx.icon("x", size=18), variant="ghost", color_scheme="gray",
                                                       aria_label="Close", id="lightbox-close")),
                        width="100%", align="center",
                    ),
                    rx.dialog.title(rx.cond(item["prompt"] != "", item["prompt"], "Prompt not shown"), size="3",
                                    class_name="lightbox-prompt", id="lightbox-prompt"),
                    rx.dialog.description(
                        rx.cond(item["local"] & ~item["model_label"].contains("not AI"),
                                item["model_label"] + " — not AI", item["model_label"]),
                        " · ", item["size"], rx.cond(item["seed"] != "", " · seed " + item["seed"], ""),
                        size="1", color_scheme="gray",
                    ),
                    rx.cond(item["profile"] != "",
                            rx.text("By ", rx.link(item["author_name"], href=item["profile"], id="lightbox-author"),
                                    size="2")),
                    rx.flex(*actions(item), wrap="wrap", gap="8px", id="lightbox-actions"),
                    rx.text("← → step · + − zoom · Esc closes", size="1", color_scheme="gray", class_name="hide-sm"),
                    spacing="3", class_name="lightbox-side",
                ),
                class_name="lightbox-body",
            ), on_key_down=state.lightbox_key),  # keys bubble up from whatever inside has focus
            class_name="lightbox",
            id="lightbox",
            aria_labelledby="lightbox-prompt",  # the title's own id replaces the one Radix would point at
            max_width="min(1280px, 96vw)",
            padding="12px",
        ),
        open=state.lightbox_id > 0,
        on_open_change=state.set_lightbox_open,
    )


def owner_actions(state: Any, item: ObjectVar[LightboxItem]) -> list[rx.Component]:
    """What the owner of a picture can do with it from any of their pages."""
    image = item["id"].to_string()
    return [
        link_button(rx.icon("download", size=14), "Download", href=item["download"], download=True,
                    size="2", variant="soft", id="lightbox-download"),
        link_button(rx.icon("wand_sparkles", size=14), "Edit with…", href="/edit?image=" + image, size="2",
                    variant="soft"),
        link_button(rx.icon("file_text", size=14), "Recipe & sharing", href=item["page"], size="2", variant="soft",
                    id="lightbox-recipe"),
        *([rx.cond(item["seed"] != "",
                   rx.button(rx.icon("copy", size=14), "Copy seed", on_click=state.copy_seed(item["seed"]),
                             size="2", variant="soft"))] if hasattr(state, "copy_seed") else []),
    ]


def visitor_actions(state: Any, item: ObjectVar[LightboxItem]) -> list[rx.Component]:
    """What anyone may do with a public picture: download it, like it (signed in), remix it, open its page."""
    likes = item["likes"].to_string()
    return [
        link_button(rx.icon("download", size=14), "Download", href=item["download"], download=True,
                    size="2", variant="soft", id="lightbox-download"),
        rx.cond(
            state.signed_in,
            rx.button(rx.icon("heart", size=14, fill=rx.cond(item["liked"], "currentColor", "none")), likes,
                      on_click=state.toggle_like(item["id"]), size="2", variant="soft", id="lightbox-like",
                      aria_pressed=rx.cond(item["liked"], "true", "false"),
                      aria_label=rx.cond(item["liked"], "Unlike", "Like") + " (" + likes + " likes)"),
            link_button(rx.icon("heart", size=14), likes, href="/signin", size="2", variant="soft",
                        aria_label="Sign in to like (" + likes + " likes)"),
        ),
        link_button(rx.icon("shuffle", size=14), "Remix", href=item["remix"], size="2", id="lightbox-remix"),
        link_button(rx.icon("external_link", size=14), "Share page", href=item["page"], size="2", variant="soft",
                    id="lightbox-share-page"),
    ]
