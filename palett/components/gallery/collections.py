"""The gallery's collections: the sidebar that lists them and the dialogs that create, rename and delete them."""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.event import EventType
from reflex.vars import ObjectVar, Var

from palett.components.layout import NEEDS_SESSION
from palett.services.library.gallery import CollectionView
from palett.state.gallery import CollectionDialogs, GalleryState

S = GalleryState
C = CollectionDialogs


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
                      rx.text(S.library_total_label, size="1", color_scheme="gray", class_name=NEEDS_SESSION),
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
