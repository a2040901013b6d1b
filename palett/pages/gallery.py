"""The gallery: search and filters above a window of thumbnails, collections beside it, a bar for bulk actions."""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.event import EventType
from reflex.vars import NumberVar, ObjectVar, Var

from palett.components.forms import link_button
from palett.components.layout import page
from palett.components.library import (
    choice,
    date_input,
    empty_state,
    feed_bottom,
    feed_top,
    labelled,
    studio_and_edit_links,
)
from palett.components.lightbox import lightbox, owner_actions
from palett.services.library.gallery import CollectionView
from palett.state.collections import CollectionDialogs
from palett.state.gallery import GalleryLightbox, GalleryState, GalleryTile
from palett.state.lightbox import LightboxItem

S = GalleryState
L = GalleryLightbox
C = CollectionDialogs


# ---- tiles ----------------------------------------------------------------------------------------------


# Tiles that can be in the first screen load at once: a lazy image waits for layout, and one of them is the
# page's largest paint.
EAGER_TILES = 12
# The first row (up to 6 tiles of ≥ 172 px in the widest content column) is fetched first and painted as soon
# as decoded: the largest paint is one of them.
FIRST_ROW = 6
# Square, like the tile (CSS sizes it; the attributes tell the browser its shape before CSS and decoding).
TILE_ATTRS = {"width": "384", "height": "384"}


def tile(t: ObjectVar[GalleryTile], index: NumberVar) -> rx.Component:
    chosen = S.selected.contains(t["id"])
    return rx.box(
        # A click opens the lightbox; the link still opens the image page in a new tab or by its own address.
        rx.link(
            rx.image(src=t["thumb"], alt=t["alt"], loading=rx.cond(index < EAGER_TILES, "eager", "lazy"),
                     decoding=rx.cond(index < FIRST_ROW, "sync", "async"), class_name="gallery-thumb",
                     custom_attrs={**TILE_ATTRS, "fetchPriority": rx.cond(index < FIRST_ROW, "high", "auto")}),
            href="/image/" + t["id"].to_string(),
            on_click=[rx.prevent_default, L.open_lightbox(t["id"])],
            class_name="gallery-open",
            aria_label="Open " + t["alt"],
            custom_attrs={"data-lightbox-tile": t["id"].to_string()},
        ),
        rx.el.button(
            rx.cond(chosen, rx.icon("square_check", size=18), rx.icon("square", size=18)),
            on_click=lambda info: S.toggle_select(t["id"], info),
            role="checkbox",
            aria_checked=rx.cond(chosen, "true", "false"),
            aria_label="Select " + t["alt"],
            title="Select (shift-click selects a range)",
            type="button",
            class_name="tile-button tile-check",
        ),
        rx.el.button(
            rx.icon("star", size=18, fill=rx.cond(t["favorite"], "currentColor", "none")),
            on_click=S.toggle_favorite(t["id"]),
            aria_pressed=rx.cond(t["favorite"], "true", "false"),
            aria_label="Favourite " + t["alt"],
            title=rx.cond(t["favorite"], "Remove from favourites", "Add to favourites"),
            type="button",
            class_name=rx.cond(t["favorite"], "tile-button tile-star on", "tile-button tile-star"),
        ),
        rx.cond(t["is_public"], rx.box(rx.icon("globe", size=14), class_name="tile-public", title="Public",
                                       aria_label="Public", role="img")),
        rx.box(
            rx.text(t["prompt"], size="1", class_name="tile-prompt"),
            rx.text(t["operation_label"], " · ", t["created"], size="1", class_name="tile-meta"),
            class_name="tile-caption",
            aria_hidden="true",
        ),
        class_name=rx.cond(chosen, "gallery-tile selected", "gallery-tile"),
        custom_attrs={"data-id": t["id"].to_string()},
        role="listitem",
    )


def grid_skeleton() -> rx.Component:
    """Until on_load has brought the first page: empty tiles of the real tiles' size, so nothing moves after."""
    return rx.el.div(
        rx.el.span("Loading your images…", class_name="visually-hidden", role="status"),
        *[rx.el.div(class_name="gallery-tile", aria_hidden="true") for _ in range(8)],
        class_name="gallery-grid", id="gallery-loading",
    )


def grid() -> rx.Component:
    return rx.cond(
        ~S.loaded,
        grid_skeleton(),
        rx.cond(
            S.library_total == 0,
            empty_state("images", "Your gallery is empty",
                        "Everything you make in the Studio or upload in Edit lands here: search it, star favourites, "
                        "sort it into collections and share the best.", *studio_and_edit_links(), id="gallery-empty"),
            rx.cond(
                S.rows.length() > 0,
                rx.vstack(
                    feed_top(S),
                    rx.el.div(rx.foreach(S.rows, tile), class_name="gallery-grid", id="gallery-grid",
                              role="list", aria_label="Your images"),
                    feed_bottom(S, "gallery-more", "That's everything."),
                    width="100%",
                    spacing="3",
                ),
                rx.cond(
                    S.only_collection,
                    empty_state("folder_open", "This collection is empty",
                                "Select images in the gallery, then choose Add to collection in the bar that appears.",
                                rx.button("Show all images", on_click=S.clear_filters, size="3"),
                                id="gallery-no-match"),
                    empty_state("search_x", "No images match",
                                "Try fewer words or clear the filters.",
                                rx.button("Clear filters", on_click=S.clear_filters, size="3"), id="gallery-no-match"),
                ),
            ),
        ),
    )


def lightbox_actions(item: ObjectVar[LightboxItem]) -> list[rx.Component]:
    image = item["id"].to_string()
    return [
        *owner_actions(L, item),
        rx.button(rx.icon("star", size=14, fill=rx.cond(item["favorite"], "currentColor", "none")), "Favourite",
                  on_click=S.toggle_favorite(item["id"]), aria_pressed=rx.cond(item["favorite"], "true", "false"),
                  size="2", variant="soft", id="lightbox-favorite"),
        link_button(rx.icon("rotate_ccw", size=14), "Re-run settings", href="/studio?recipe=" + image, size="2",
                    variant="soft"),
        rx.button(rx.icon("shuffle", size=14), "Variations", on_click=L.variations_shown, size="2", variant="soft",
                  id="lightbox-variations"),
        link_button(rx.icon("text_quote", size=14), "Use as prompt", href="/studio?describe=" + image, size="2",
                    variant="soft", id="lightbox-use-as-prompt"),
        rx.alert_dialog.root(
            rx.alert_dialog.trigger(rx.button(rx.icon("trash_2", size=14), "Delete", size="2", variant="soft",
                                              color_scheme="red", id="lightbox-delete")),
            rx.alert_dialog.content(
                rx.alert_dialog.title("Delete this image?"),
                rx.alert_dialog.description("It goes from your gallery, its collections and its share link."),
                rx.hstack(
                    rx.alert_dialog.cancel(rx.button("Cancel", variant="soft", color_scheme="gray")),
                    rx.alert_dialog.action(rx.button("Delete image", color_scheme="red", on_click=L.delete_shown,
                                                     id="confirm-delete-shown")),
                    justify="end", spacing="3", padding_top="16px",
                ),
            ),
        ),
    ]


# ---- filters --------------------------------------------------------------------------------------------


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
                       lambda o: rx.select.item(o["label"], value=o["value"])),
                choice("Model", "filter-model", S.model, S.set_model, S.models, "All models",
                       lambda o: rx.select.item(o["label"], value=o["value"])),
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


# ---- bulk actions ---------------------------------------------------------------------------------------


def add_to_menu() -> rx.Component:
    return rx.dropdown_menu.root(
        rx.dropdown_menu.trigger(rx.button(rx.icon("folder_plus", size=16), "Add to collection",
                                           rx.icon("chevron_down", size=14), variant="soft", size="2",
                                           id="bulk-add")),
        rx.dropdown_menu.content(
            rx.foreach(S.collections, lambda c: rx.dropdown_menu.item(c.name, on_click=S.add_selected_to(c.id))),
            rx.cond(S.collections.length() > 0, rx.dropdown_menu.separator()),
            rx.dropdown_menu.item(rx.icon("plus", size=14), "New collection…",
                                  on_click=C.open_new_collection(True)),
        ),
    )


def bulk_bar() -> rx.Component:
    count = S.selected_count
    return rx.cond(
        count > 0,
        rx.hstack(
            rx.text(rx.text.strong(count.to_string()), " selected", size="2", id="selected-count", role="status"),
            rx.button("Select all in view", on_click=S.select_all, variant="ghost", size="2", id="select-all"),
            rx.button("Clear", on_click=S.clear_selection, variant="ghost", size="2", color_scheme="gray"),
            rx.spacer(),
            add_to_menu(),
            rx.button(rx.icon("globe", size=16), "Make public", on_click=S.set_selected_public(True), variant="soft",
                      size="2", id="bulk-public"),
            rx.button(rx.icon("lock", size=16), "Make private", on_click=S.set_selected_public(False),
                      variant="soft", size="2", id="bulk-private"),
            link_button(rx.icon("download", size=16), "Download zip", href=S.zip_href, download=True, variant="soft",
                        size="2", id="bulk-zip"),
            rx.alert_dialog.root(
                rx.alert_dialog.trigger(rx.button(rx.icon("trash_2", size=16), "Delete", color_scheme="red",
                                                  variant="soft", size="2", id="bulk-delete")),
                rx.alert_dialog.content(
                    rx.alert_dialog.title("Delete " + count.to_string() + rx.cond(count == 1, " image?", " images?")),
                    rx.alert_dialog.description("They are removed from your gallery, collections and share links. "
                                                "This cannot be undone."),
                    rx.hstack(
                        rx.alert_dialog.cancel(rx.button("Cancel", variant="soft", color_scheme="gray")),
                        rx.alert_dialog.action(rx.button("Delete", color_scheme="red", on_click=S.delete_selected,
                                                         id="confirm-delete")),
                        justify="end", spacing="3", padding_top="16px",
                    ),
                ),
            ),
            class_name="bulk-bar",
            width="100%",
            align="center",
            wrap="wrap",
            id="bulk-bar",
            role="region",
            aria_label="Actions for the selected images",
        ),
    )


# ---- collections ----------------------------------------------------------------------------------------


def collection_row(c: ObjectVar[CollectionView]) -> rx.Component:
    active = S.collection_id == c.id
    return rx.hstack(
        rx.button(
            rx.icon("folder", size=16),
            rx.text(c.name, class_name="collection-name"),
            rx.spacer(),
            rx.text(c.count.to_string(), size="1", color_scheme="gray"),
            on_click=S.show_collection(c.id),
            variant=rx.cond(active, "soft", "ghost"),
            color_scheme=rx.cond(active, "violet", "gray"),
            aria_current=rx.cond(active, "true", "false"),
            class_name="collection-button",
            flex="1",
            min_width="0",
        ),
        rx.dropdown_menu.root(
            rx.dropdown_menu.trigger(rx.icon_button(rx.icon("ellipsis", size=16), variant="ghost", color_scheme="gray",
                                                    size="1", aria_label="Options for " + c.name)),
            rx.dropdown_menu.content(
                rx.dropdown_menu.item(rx.icon("pencil", size=14), "Rename", on_click=C.open_rename(c.id)),
                rx.dropdown_menu.item(rx.icon("trash_2", size=14), "Delete", color="red",
                                      on_click=C.open_remove(c.id)),
            ),
        ),
        width="100%",
        spacing="1",
        align="center",
        class_name="collection-row",
    )


def sidebar() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.button(rx.icon("images", size=16), rx.text("All images"), rx.spacer(),
                      rx.text(S.library_total_label, size="1", color_scheme="gray"),
                      on_click=S.show_collection(0), variant=rx.cond(S.collection_id == 0, "soft", "ghost"),
                      color_scheme=rx.cond(S.collection_id == 0, "violet", "gray"),
                      aria_current=rx.cond(S.collection_id == 0, "true", "false"), class_name="collection-button",
                      width="100%"),
            rx.hstack(rx.heading("Collections", size="3", as_="h2"), rx.spacer(),
                      rx.tooltip(rx.icon_button(rx.icon("plus", size=16), on_click=C.open_new_collection(False),
                                                variant="soft", size="1", aria_label="New collection",
                                                id="new-collection"), content="New collection"),
                      width="100%", align="center", padding_top="8px"),
            rx.cond(S.collections.length() > 0,
                    rx.vstack(rx.foreach(S.collections, collection_row), spacing="1", width="100%",
                              id="collection-list"),
                    rx.text("Group images into collections: select some, then Add to collection.", size="1",
                            color_scheme="gray", class_name="gallery-hint")),
            spacing="2",
            width="100%",
        ),
        size="2",
        class_name="gallery-side",
    )


def name_dialog(title: str, open_var: Var[bool], on_open_change: EventType[bool], on_submit: EventType[dict[str, Any]],
                default: str | Var[str], key: str | Var[str], submit_label: str, html_id: str) -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(title),
            rx.form(
                rx.vstack(
                    rx.el.label("Name", html_for=html_id, class_name="field-label"),
                    rx.input(name="name", id=html_id, default_value=default, key=key, max_length=80, required=True,
                             auto_focus=True, size="3", width="100%", auto_complete="off"),
                    rx.cond(C.problem != "", rx.text(C.problem, color_scheme="red", size="2", role="alert")),
                    rx.hstack(
                        rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray", type="button")),
                        rx.button(submit_label, type="submit", id=html_id + "-submit"),
                        justify="end", spacing="3", width="100%",
                    ),
                    spacing="3",
                ),
                on_submit=on_submit,
                reset_on_submit=False,
            ),
            max_width="420px",
        ),
        open=open_var,
        on_open_change=on_open_change,
    )


def dialogs() -> rx.Component:
    return rx.fragment(
        name_dialog(rx.cond(C.new_adds_selection, "New collection with the selected images", "New collection"),
                    C.new_open, C.set_new_open, C.create_collection, "", C.new_open.to_string(), "Create",
                    "new-collection-name"),
        name_dialog("Rename collection", C.rename_open, C.set_rename_open, C.rename_collection, C.rename_name,
                    C.rename_name, "Rename", "rename-collection-name"),
        rx.alert_dialog.root(
            rx.alert_dialog.content(
                rx.alert_dialog.title("Delete the collection " + C.remove_name + "?"),
                rx.alert_dialog.description("The images in it stay in your gallery."),
                rx.hstack(
                    rx.alert_dialog.cancel(rx.button("Cancel", variant="soft", color_scheme="gray")),
                    rx.alert_dialog.action(rx.button("Delete collection", color_scheme="red",
                                                     on_click=C.delete_collection, id="confirm-delete-collection")),
                    justify="end", spacing="3", padding_top="16px",
                ),
            ),
            open=C.remove_open,
            on_open_change=C.set_remove_open,
        ),
    )


def gallery_page() -> rx.Component:
    return page(
        rx.vstack(
            rx.hstack(
                rx.heading("Gallery", size="7", as_="h1"),
                rx.cond(S.loaded & (S.library_total > 0),
                        rx.badge(S.total_label, variant="soft", size="2", id="gallery-total")),
                rx.spacer(),
                link_button(rx.icon("sparkles", size=16), "Studio", href="/studio", variant="soft", size="2"),
                link_button(rx.icon("wand_sparkles", size=16), "Edit", href="/edit", variant="soft", size="2",
                            class_name="hide-sm"),
                width="100%",
                align="center",
            ),
            rx.cond(S.problem != "", rx.callout(S.problem, icon="circle_alert", color_scheme="red", role="alert",
                                                width="100%")),
            rx.flex(
                rx.box(sidebar(), flex="0 0 240px", max_width="100%", class_name="gallery-side-col"),
                rx.vstack(
                    # Shown before on_load too, so the grid does not move down when a library arrives.
                    rx.cond(~S.loaded | (S.library_total > 0), filters()),
                    rx.cond(S.collection_id > 0, rx.heading(rx.icon("folder", size=18), S.collection_name, size="4",
                                                            as_="h2", class_name="collection-heading")),
                    bulk_bar(),
                    grid(),
                    flex="1 1 480px",
                    min_width="0",
                    spacing="3",
                ),
                gap="20px",
                wrap="wrap",
                align="start",
                width="100%",
            ),
            dialogs(),
            lightbox(L, lightbox_actions),
            spacing="4",
            padding_y="28px",
            width="100%",
        ),
        width="1280px",  # the width of the header and footer, so the page lines up with them
    )


ON_LOAD = [GalleryState.load_gallery]
