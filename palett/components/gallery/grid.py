"""The gallery's grid: the window of tiles (with their select and star buttons), its loading and empty states,
and the lightbox's owner actions."""

from __future__ import annotations

import reflex as rx
from reflex.vars import NumberVar, ObjectVar

from palett.components.forms import link_button
from palett.components.gallery.first_screen import FIRST_ROW, FIRST_SCREEN, PLACEHOLDER_HTML, TILE_PX
from palett.components.library import empty_state, feed_bottom, feed_top, studio_and_edit_links
from palett.components.lightbox import owner_actions
from palett.state.gallery import GalleryLightbox, GallerySelection, GalleryState
from palett.state.gallery.grid import GalleryTile
from palett.state.lightbox import LightboxItem

S = GalleryState
L = GalleryLightbox
Sel = GallerySelection

TILE_ATTRS = {"width": TILE_PX, "height": TILE_PX}


def tile(t: ObjectVar[GalleryTile], index: NumberVar) -> rx.Component:
    chosen = Sel.selected.contains(t["id"])
    return rx.box(
        # A click opens the lightbox; the link still opens the image page in a new tab or by its own address.
        rx.link(
            rx.image(src=t["thumb"], alt=t["alt"], loading=rx.cond(index < FIRST_SCREEN, "eager", "lazy"),
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
            on_click=lambda info: Sel.toggle_select(t["id"], info),
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
    """Until on_load has brought the first page: empty tiles of the real tiles' size, so nothing moves after;
    a full load's HTML has the person's newest thumbnails here instead (palett/api/first_screen.py), which
    React leaves alone: it does not hydrate the content of an element with dangerouslySetInnerHTML."""
    return rx.html(PLACEHOLDER_HTML, class_name="gallery-grid", id="gallery-loading")


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
