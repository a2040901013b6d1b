"""One image: a large view with zoom, the full recipe, and everything you can do with it.

Keyboard (assets/js/library.js): left/right arrows open the neighbours, Esc goes back to the gallery.
"""

from __future__ import annotations

import reflex as rx
from reflex.vars import NumberVar, ObjectVar

from palett.components.credits import continue_offer, cost_summary, run_label
from palett.components.forms import link_button
from palett.components.layout import page
from palett.components.library import empty_state
from palett.components.routing import route_param
from palett.services.generation.operations import editor_operations
from palett.services.library.gallery import CollectionRef
from palett.state.image import ImageState, RecipeRow

S = ImageState
IMG = ImageState.image
# The picture by the id in the path, not by the signed URL the state brings: it is in the page's prerendered
# shell (palett/build_shaping.py), so it is fetched with the HTML and drawn before any JavaScript has run.
NO_ATTRIBUTE = rx.Var.create(None)  # React leaves a null attribute out
PICTURE = "/api/library/images/" + route_param("image_id") + "/view?size=display"


def nav_arrow(target: NumberVar[int], html_id: str, icon: str, label: str) -> rx.Component:
    return rx.cond(
        target > 0,
        rx.tooltip(rx.icon_button(rx.link(rx.icon(icon, size=18), href="/image/" + target.to_string(),
                                          id=html_id, aria_label=label, color="inherit"),
                                  as_child=True, variant="soft", size="2"),
                   content=label + (" (← key)" if icon == "chevron_left" else " (→ key)")),
        rx.icon_button(rx.icon(icon, size=18), disabled=True, variant="soft", size="2", aria_label=label + " (none)"),
    )


def toolbar() -> rx.Component:
    return rx.hstack(
        rx.link(rx.hstack(rx.icon("arrow_left", size=16), rx.text("Gallery"), align="center", spacing="1"),
                href="/gallery", id="back-to-gallery", color_scheme="gray", high_contrast=True, underline="none",
                weight="medium", size="2", title="Back to the gallery (Esc)"),
        rx.spacer(),
        nav_arrow(S.prev_id, "prev-image", "chevron_left", "Previous image"),
        nav_arrow(S.next_id, "next-image", "chevron_right", "Next image"),
        width="100%",
        align="center",
    )


def viewer() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.text(rx.cond(S.loaded, IMG["width"].to_string() + " × " + IMG["height"].to_string(), ""),
                        size="1", color_scheme="gray"),
                rx.spacer(),
                rx.segmented_control.root(
                    rx.segmented_control.item(rx.hstack(rx.icon("shrink", size=14), "Fit", spacing="1",
                                                        align="center"), value="fit"),
                    rx.segmented_control.item(rx.hstack(rx.icon("zoom_in", size=14), "100%", spacing="1",
                                                        align="center"), value="full"),
                    value=rx.cond(S.zoomed, "full", "fit"), on_change=lambda _v: S.toggle_zoom(),
                    aria_label="Zoom", size="1", id="zoom-control",
                ),
                width="100%",
                align="center",
            ),
            rx.box(
                rx.el.button(
                    rx.image(src=rx.cond(S.zoomed & S.loaded, IMG["url"], PICTURE),
                             alt=rx.cond(S.loaded, IMG["alt"], ""),  # nothing drawn if the id is not theirs
                             class_name="viewer-img", id="viewer-img",
                             # Attributes, not the CSS Reflex makes of width/height keywords (browsers ignored
                             # its unitless "1024"): they reserve the picture's shape while it loads (once the
                             # state has it). It is the page's largest paint: fetched first.
                             custom_attrs={"width": rx.cond(S.loaded, IMG["width"].to_string(), NO_ATTRIBUTE),
                                           "height": rx.cond(S.loaded, IMG["height"].to_string(), NO_ATTRIBUTE),
                                           "fetchPriority": "high"}),
                    on_click=S.toggle_zoom,
                    type="button",
                    class_name="viewer-button",
                    aria_label=rx.cond(S.zoomed, "Fit the image to the screen", "Show the image at 100%"),
                ),
                class_name=rx.cond(S.zoomed, "viewer zoomed", "viewer"),
                id="viewer",
            ),
            spacing="2",
            width="100%",
        ),
        size="2",
        width="100%",
    )


def prompt_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading("Prompt", size="3", as_="h2"),
                rx.spacer(),
                rx.cond(IMG["prompt"] != "",
                        rx.button(rx.icon("copy", size=14), "Copy prompt", on_click=S.copy_prompt, variant="soft",
                                  size="1", id="copy-prompt")),
                width="100%",
                align="center",
            ),
            rx.text(rx.cond(IMG["prompt"] != "", IMG["prompt"], "No prompt: " + IMG["operation_label"].lower() + "."),
                    size="3", id="image-prompt", class_name="prompt-text"),
            rx.cond(IMG["negative_prompt"] != "",
                    rx.vstack(rx.text("Negative prompt", class_name="field-label small"),
                              rx.text(IMG["negative_prompt"], size="2", color_scheme="gray", id="image-negative"),
                              spacing="1")),
            rx.cond(IMG["local"], rx.badge(rx.icon("cpu", size=12), "Local preview — not AI", color_scheme="amber",
                                           variant="outline")),
            spacing="2",
            width="100%",
        ),
        size="2",
        width="100%",
    )


def edit_menu() -> rx.Component:
    return rx.dropdown_menu.root(
        rx.dropdown_menu.trigger(rx.button(rx.icon("wand_sparkles", size=16), "Edit with…",
                                           rx.icon("chevron_down", size=14), variant="soft", size="2",
                                           id="edit-with")),
        rx.dropdown_menu.content(
            *[rx.dropdown_menu.item(rx.icon(op.icon, size=14), op.label,
                                    on_click=rx.redirect("/edit?image=" + IMG["id"].to_string() + "&tool=" + op.key))
              for op in editor_operations()],
        ),
    )


def download_menu() -> rx.Component:
    return rx.dropdown_menu.root(
        rx.dropdown_menu.trigger(rx.button(rx.icon("download", size=16), "Download",
                                           rx.icon("chevron_down", size=14), variant="soft", size="2",
                                           id="download-menu")),
        rx.dropdown_menu.content(
            *[rx.dropdown_menu.item(
                rx.el.a(label, href=S.download_base + fmt, download=True, target="_blank", rel="noopener",
                        class_name="menu-link"), as_child=True)
              for fmt, label in (("png", "PNG (lossless)"), ("jpeg", "JPEG"), ("webp", "WebP"))],
        ),
    )


def actions_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Actions", size="3", as_="h2"),
            rx.flex(
                rx.cond(S.rerun_link != "",
                        rx.button(rx.el.a(rx.icon("rotate_ccw", size=16),
                                          rx.cond(S.rerun_in_studio, "Re-run exactly", "Redo this edit"),
                                          href=S.rerun_link, target="_blank", rel="noopener", id="rerun-link",
                                          title=rx.cond(S.rerun_in_studio,
                                                        "Opens a new studio tab with these settings; your current "
                                                        "form stays as it is",
                                                        "Opens the original in the editor with this tool, in a new "
                                                        "tab")),
                                  as_child=True, size="2")),
                rx.cond(S.can_vary, rx.button(run_label(S.vary_preview, rx.fragment(rx.icon("shuffle", size=16),
                                                                                     "Variations")),
                                              on_click=S.variations, loading=S.working, variant="soft", size="2",
                                              disabled=S.vary_preview["short"], id="variations")),
                edit_menu(),
                link_button(rx.icon("text_quote", size=16), "Use as prompt", variant="soft", size="2",
                            href="/studio?describe=" + IMG["id"].to_string(), id="use-as-prompt"),
                download_menu(),
                rx.button(rx.icon("star", size=16, fill=rx.cond(IMG["favorite"], "currentColor", "none")),
                          rx.cond(IMG["favorite"], "Favourite", "Add to favourites"), on_click=S.toggle_favorite,
                          variant="soft", color_scheme=rx.cond(IMG["favorite"], "amber", "gray"), size="2",
                          aria_pressed=IMG["favorite"], id="image-favorite"),
                rx.alert_dialog.root(
                    rx.alert_dialog.trigger(rx.button(rx.icon("trash_2", size=16), "Delete", color_scheme="red",
                                                      variant="soft", size="2", id="image-delete")),
                    rx.alert_dialog.content(
                        rx.alert_dialog.title("Delete this image?"),
                        rx.alert_dialog.description("It is removed from your gallery, its collections and its share "
                                                    "link. This cannot be undone."),
                        rx.hstack(
                            rx.alert_dialog.cancel(rx.button("Cancel", variant="soft", color_scheme="gray")),
                            rx.alert_dialog.action(rx.button("Delete", color_scheme="red", on_click=S.delete_image,
                                                             id="confirm-image-delete")),
                            justify="end", spacing="3", padding_top="16px",
                        ),
                    ),
                ),
                gap="8px",
                wrap="wrap",
            ),
            rx.cond(S.can_vary, rx.vstack(cost_summary(S.vary_preview, "variations-cost", "Variations:"),
                                          continue_offer(S.vary_preview, "variations-buy"), spacing="2",
                                          width="100%")),
            rx.cond(S.rerun_in_studio, rx.text("Re-run opens a new studio tab, so the form you are working on stays "
                                               "untouched.", size="1", color_scheme="gray")),
            spacing="3",
            width="100%",
        ),
        size="2",
        width="100%",
    )



def prompt_choice() -> rx.Component:
    return rx.el.label(
        rx.hstack(rx.switch(checked=S.prompt_public, on_change=S.set_prompt_public, id="prompt-public-switch"),
                  rx.text("Show the prompt to visitors", size="2"), align="center"),
        html_for="prompt-public-switch",
    )

def share_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading("Sharing", size="3", as_="h2"),
                rx.spacer(),
                rx.el.label(
                    rx.hstack(rx.text(rx.cond(IMG["is_public"], "Public", "Private"), size="2"),
                              rx.switch(checked=IMG["is_public"], on_change=S.set_public, id="public-switch"),
                              align="center"),
                    html_for="public-switch",
                ),
                width="100%",
                align="center",
            ),
            rx.cond(
                IMG["is_public"],
                rx.vstack(
                    rx.el.label("Share link", html_for="share-url", class_name="field-label small"),
                    rx.hstack(
                        rx.input(value=S.share_url, read_only=True, id="share-url", flex="1", size="2",
                                 on_focus=rx.call_script("document.getElementById('share-url').select()")),
                        rx.tooltip(rx.icon_button(rx.icon("copy", size=16), on_click=S.copy_share_link,
                                                  variant="soft", size="2", aria_label="Copy share link",
                                                  id="copy-share"), content="Copy link"),
                        rx.tooltip(rx.icon_button(rx.el.a(rx.icon("external_link", size=16), href=S.share_url,
                                                          target="_blank", rel="noopener",
                                                          aria_label="Open the share page"),
                                                  as_child=True, variant="soft", size="2"), content="Open"),
                        width="100%",
                    ),
                    prompt_choice(),
                    rx.text(rx.cond(S.prompt_public,
                                    "Anyone with the link can see the image and its prompt, remix it, and find it "
                                    "in Explore and on your public page.",
                                    "Anyone with the link can see the image and remix its model and settings; the "
                                    "prompt stays yours."),
                            " Making it private again turns the link off.", size="1", color_scheme="gray"),
                    spacing="1",
                    width="100%",
                ),
                rx.vstack(
                    rx.text("Only you can see this image. Make it public to get a share link.", size="2",
                            color_scheme="gray"),
                    prompt_choice(),  # chosen before publishing, so a private prompt is never shown for a moment
                    spacing="2",
                ),
            ),
            spacing="2",
            width="100%",
        ),
        size="2",
        width="100%",
    )


def collection_chip(c: ObjectVar[CollectionRef]) -> rx.Component:
    return rx.badge(
        rx.link(c.name, href="/gallery?collection=" + c.id.to_string(), color="inherit", underline="hover"),
        rx.el.button(rx.icon("x", size=12), on_click=S.remove_from_collection(c.id), type="button",
                     class_name="chip-remove", aria_label="Remove from " + c.name),
        variant="soft", size="2", radius="full", class_name="collection-chip",
    )


def collections_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading("Collections", size="3", as_="h2"),
                rx.spacer(),
                rx.cond(S.all_collections.length() > 0,
                        rx.dropdown_menu.root(
                            rx.dropdown_menu.trigger(rx.button(rx.icon("folder_plus", size=14), "Add",
                                                               rx.icon("chevron_down", size=14), variant="soft",
                                                               size="1", id="image-add-collection")),
                            rx.dropdown_menu.content(rx.foreach(
                                S.all_collections,
                                lambda c: rx.dropdown_menu.item(c.name, on_click=S.add_to_collection(c.id)))),
                        )),
                width="100%",
                align="center",
            ),
            rx.cond(S.in_collections.length() > 0,
                    rx.flex(rx.foreach(S.in_collections, collection_chip), gap="6px", wrap="wrap",
                            id="image-collections"),
                    rx.text(rx.cond(S.all_collections.length() > 0, "Not in any collection yet.",
                                    "No collections yet: create them in the gallery."), size="2", color_scheme="gray")),
            spacing="2",
            width="100%",
        ),
        size="2",
        width="100%",
    )


def recipe_item(row: ObjectVar[RecipeRow]) -> rx.Component:
    return rx.data_list.item(rx.data_list.label(row["label"], min_width="96px"),
                             rx.data_list.value(row["value"]))


def recipe_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Recipe", size="3", as_="h2"),
            rx.data_list.root(
                rx.foreach(S.recipe, recipe_item),
                rx.cond(IMG["source_id"] > 0, rx.data_list.item(
                    rx.data_list.label("Source image", min_width="96px"),
                    rx.data_list.value(rx.link("Open the original", href="/image/" + IMG["source_id"].to_string(),
                                               id="source-link")))),
                rx.cond(IMG["mask_url"] != "", rx.data_list.item(
                    rx.data_list.label("Mask", min_width="96px"),
                    rx.data_list.value(rx.link("View the mask", href=IMG["mask_url"], is_external=True,
                                               id="mask-link")))),
                size="2",
                id="recipe",
            ),
            spacing="3",
            width="100%",
        ),
        size="2",
        width="100%",
    )


def image_page() -> rx.Component:
    return page(
        rx.box(
            rx.cond(
                S.missing,
                empty_state("image_off", "This image isn't here",
                            "It was deleted, or the link points at someone else's image.",
                            link_button("Back to the gallery", href="/gallery", size="3"), id="image-missing"),
                rx.vstack(
                    toolbar(),
                    rx.flex(
                        rx.box(viewer(), flex="2 1 560px", min_width="0"),
                        rx.cond(
                            S.loaded,
                            rx.vstack(prompt_card(), actions_card(), share_card(), collections_card(), recipe_card(),
                                      flex="1 1 340px", min_width="0", spacing="3"),
                            rx.vstack(*[rx.skeleton(rx.box(height=h, width="100%"), loading=True)
                                        for h in ("120px", "180px", "96px")],
                                      flex="1 1 340px", min_width="0", spacing="3", aria_busy="true",
                                      aria_label="Loading the image's details"),
                        ),
                        gap="20px",
                        wrap="wrap",
                        align="start",
                        width="100%",
                    ),
                    spacing="3",
                    width="100%",
                ),
            ),
            id="image-page",
            padding_y="24px",
            width="100%",
        ),
        width="1280px",  # the width of the header and footer, so the page lines up with them
    )


ON_LOAD = [ImageState.load_image]
