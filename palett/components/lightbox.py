"""The results lightbox: one result full size beside its prompt and actions; arrows step, Escape closes."""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx
from reflex_base.components.component import field
from reflex_base.event import EventHandler, key_event
from reflex_components_core.el.elements.typography import Div

from palett.components.forms import link_button
from palett.state.lightbox import LightboxItem, ResultsLightbox

LightboxActions = Callable[[LightboxItem], list[rx.Component]]


class KeyArea(Div):
    """A <div> that hears the keys pressed on anything focused inside it."""

    on_key_down: EventHandler[key_event] = field(doc="Fired when a key is pressed inside")


def _step_button(state: type[ResultsLightbox], delta: int) -> rx.Component:
    back = delta < 0
    return rx.icon_button(
        rx.icon("chevron_left" if back else "chevron_right", size=22),
        on_click=state.lightbox_step(delta), variant="soft", color_scheme="gray", radius="full", size="3",
        aria_label="Previous result" if back else "Next result", id="lightbox-prev" if back else "lightbox-next",
        class_name="lightbox-step " + ("prev" if back else "next"),
    )


def lightbox(state: type[ResultsLightbox], actions: LightboxActions | None = None) -> rx.Component:
    item = state.lightbox_item
    return rx.dialog.root(
        rx.dialog.content(
            KeyArea.create(rx.flex(
                rx.box(
                    rx.image(src=item["url"], alt=rx.cond(item["prompt"] != "", item["prompt"], "Result"),
                             class_name="lightbox-img", id="lightbox-img"),
                    _step_button(state, -1),
                    _step_button(state, 1),
                    class_name="lightbox-stage",
                ),
                rx.vstack(
                    rx.hstack(
                        rx.text(state.lightbox_position, size="1", color_scheme="gray", id="lightbox-position"),
                        rx.spacer(),
                        rx.dialog.close(rx.icon_button(rx.icon("x", size=18), variant="ghost", color_scheme="gray",
                                                       aria_label="Close", id="lightbox-close")),
                        width="100%", align="center",
                    ),
                    rx.dialog.title(item["prompt"], size="3", class_name="lightbox-prompt"),
                    rx.dialog.description(
                        rx.cond(item["local"] & ~item["model_label"].contains("not AI"),
                                item["model_label"] + " — not AI", item["model_label"]),
                        " · ", item["size"], rx.cond(item["seed"] != "", " · seed " + item["seed"], ""),
                        size="1", color_scheme="gray",
                    ),
                    rx.flex(
                        link_button(rx.icon("download", size=14), "Download", href=item["download"], download=True,
                                    size="2", variant="soft", id="lightbox-download"),
                        link_button(rx.icon("wand_sparkles", size=14), "Edit",
                                    href="/edit?image=" + item["id"].to_string(), size="2", variant="soft"),
                        link_button(rx.icon("file_text", size=14), "Recipe & sharing",
                                    href="/image/" + item["id"].to_string(), size="2", variant="soft"),
                        rx.cond(item["seed"] != "",
                                rx.button(rx.icon("copy", size=14), "Copy seed",
                                          on_click=state.copy_seed(item["seed"]),  # type: ignore[attr-defined]
                                          size="2", variant="soft")),
                        *(actions(item) if actions else []),
                        wrap="wrap", gap="8px",
                    ),
                    rx.text("← → step through your results · Esc closes", size="1", color_scheme="gray",
                            class_name="hide-sm"),
                    spacing="3", class_name="lightbox-side",
                ),
                class_name="lightbox-body",
            ), on_key_down=state.lightbox_key),  # keys bubble up from whatever inside has focus
            class_name="lightbox",
            id="lightbox",
            max_width="min(1280px, 96vw)",
            padding="12px",
        ),
        open=state.lightbox_id > 0,
        on_open_change=state.set_lightbox_open,
    )
