"""The gallery's search box, sort and filters (folded away under a button on phones)."""

from __future__ import annotations

import reflex as rx
from reflex.vars import ObjectVar

from palett.components.library import choice, date_input, labelled
from palett.services.library.gallery import Option
from palett.state.gallery import GalleryState

S = GalleryState


def facet_item(option: ObjectVar[Option]) -> rx.Component:
    return rx.select.item(option.label + " (" + option.count.to_string() + ")", value=option.value)


def filters() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.box(
                    rx.input(
                        rx.input.slot(rx.icon("search", size=16)),
                        value=S.q, on_change=S.set_q, debounce_timeout=350, type="search", id="gallery-search",
                        placeholder="Search your prompts…", aria_label="Search prompts", size="3", width="100%",
                    ),
                    flex="1 1 260px",
                ),
                rx.button(rx.icon("sliders_horizontal", size=16), "Filters", on_click=S.toggle_filters,
                          variant=rx.cond(S.filtered, "solid", "soft"), size="3", class_name="show-sm",
                          aria_expanded=S.filters_open, aria_controls="gallery-filters"),
                rx.select.root(
                    rx.select.trigger(aria_label="Sort", id="gallery-sort"),
                    rx.select.content(rx.select.item("Newest first", value="newest"),
                                      rx.select.item("Oldest first", value="oldest")),
                    value=S.sort, on_change=S.set_sort, size="3",
                ),
                width="100%",
                wrap="wrap",
                align="center",
            ),
            rx.el.div(
                choice("Operation", "filter-operation", S.operation, S.set_operation, S.operations, "All operations",
                       facet_item),
                choice("Model", "filter-model", S.model, S.set_model, S.models, "All models", facet_item),
                date_input("From", "filter-from", S.date_from, S.set_date_from),
                date_input("To", "filter-to", S.date_to, S.set_date_to),
                labelled("Visibility", rx.segmented_control.root(
                    rx.segmented_control.item("All", value="all"),
                    rx.segmented_control.item("Public", value="public"),
                    rx.segmented_control.item("Private", value="private"),
                    value=S.visibility, on_change=S.set_visibility, id="filter-visibility",
                    aria_label="Visibility", width="100%",
                ), "filter-visibility", class_name="filter-wide"),
                rx.vstack(
                    rx.text("Only", class_name="field-label small"),
                    rx.button(
                        rx.icon("star", size=16, fill=rx.cond(S.favorites, "currentColor", "none")), "Favourites",
                        on_click=S.set_favorites(~S.favorites), variant=rx.cond(S.favorites, "solid", "soft"),
                        color_scheme=rx.cond(S.favorites, "amber", "gray"), aria_pressed=S.favorites,
                        id="filter-favorites", width="100%",
                    ),
                    spacing="1",
                    class_name="filter-narrow",
                ),
                class_name=rx.cond(S.filters_open, "filter-grid", "filter-grid collapsed"),
                id="gallery-filters",
            ),
            rx.hstack(
                rx.text(S.window_label, size="1", color_scheme="gray", id="gallery-position"),
                rx.spacer(),
                rx.cond(S.filtered, rx.button(rx.icon("x", size=14), "Clear filters", on_click=S.clear_filters,
                                              variant="ghost", size="1", id="clear-filters")),
                width="100%",
                align="center",
            ),
            spacing="3",
            width="100%",
        ),
        size="2",
        width="100%",
    )
