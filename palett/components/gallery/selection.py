"""The bar over the grid while images are selected: select all, add to a collection, share, download, delete."""

from __future__ import annotations

import reflex as rx

from palett.components.forms import link_button
from palett.state.gallery import CollectionDialogs, GallerySelection, GalleryState

S = GalleryState
Sel = GallerySelection
C = CollectionDialogs


def add_to_menu() -> rx.Component:
    return rx.dropdown_menu.root(
        rx.dropdown_menu.trigger(rx.button(rx.icon("folder_plus", size=16), "Add to collection",
                                           rx.icon("chevron_down", size=14), variant="soft", size="2",
                                           id="bulk-add")),
        rx.dropdown_menu.content(
            rx.foreach(S.collections, lambda c: rx.dropdown_menu.item(c.name, on_click=Sel.add_selected_to(c.id))),
            rx.cond(S.collections.length() > 0, rx.dropdown_menu.separator()),
            rx.dropdown_menu.item(rx.icon("plus", size=14), "New collection…",
                                  on_click=C.open_new_collection(True)),
        ),
    )


def bulk_bar() -> rx.Component:
    count = Sel.selected_count
    return rx.cond(
        count > 0,
        rx.hstack(
            rx.text(rx.text.strong(count.to_string()), " selected", size="2", id="selected-count", role="status"),
            rx.button("Select all in view", on_click=Sel.select_all, variant="ghost", size="2", id="select-all"),
            rx.button("Clear", on_click=Sel.clear_selection, variant="ghost", size="2", color_scheme="gray"),
            rx.spacer(),
            add_to_menu(),
            rx.button(rx.icon("globe", size=16), "Make public", on_click=Sel.set_selected_public(True), variant="soft",
                      size="2", id="bulk-public"),
            rx.button(rx.icon("lock", size=16), "Make private", on_click=Sel.set_selected_public(False),
                      variant="soft", size="2", id="bulk-private"),
            link_button(rx.icon("download", size=16), "Download zip", href=Sel.zip_href, download=True, variant="soft",
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
                        rx.alert_dialog.action(rx.button("Delete", color_scheme="red", on_click=Sel.delete_selected,
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
