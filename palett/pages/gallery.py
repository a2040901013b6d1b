"""The gallery: search and filters above a window of thumbnails, collections beside it, a bar for bulk actions.
Its parts live in components/gallery/, one module per state they drive."""

from __future__ import annotations

import reflex as rx

from palett.components.forms import link_button
from palett.components.gallery.collections import dialogs, sidebar
from palett.components.gallery.filters import filters
from palett.components.gallery.grid import grid, lightbox_actions
from palett.components.gallery.selection import bulk_bar
from palett.components.layout import page
from palett.components.lightbox import lightbox
from palett.state.gallery import GalleryLightbox, GalleryState

S = GalleryState
L = GalleryLightbox


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
