"""The editor: source image on the left, tool and settings beside it, results with before/after below."""

from __future__ import annotations

import reflex as rx
from reflex.vars import ObjectVar

from palett.components.compare_slider import compare_slider
from palett.components.credits import continue_offer, cost_summary, run_label
from palett.components.edit_settings import label, settings_for_tool
from palett.components.forms import link_button
from palett.components.jobs import batch_summaries, job_card
from palett.components.layout import NEEDS_SESSION, page
from palett.components.mask_editor import mask_editor
from palett.services.generation.operations import OpKey
from palett.services.library.images import ImageRef
from palett.state.edit import EditState
from palett.state.jobs import ImageCard, JobCard, ModelOption


def tool_tab(tool: list[str]) -> rx.Component:
    selected = EditState.tool == tool[0]
    return rx.button(
        rx.icon(tool[2], size=16), tool[1],
        on_click=EditState.pick_tool(tool[0]),
        variant=rx.cond(selected, "solid", "soft"),
        color_scheme=rx.cond(selected, "violet", "gray"),
        size="2", role="tab", aria_selected=selected, id="tool-" + tool[0],
    )


def model_item(m: ObjectVar[ModelOption]) -> rx.Component:
    return rx.select.item(rx.cond(m["available"], m["label"], m["label"] + " — " + m["reason"]), value=m["key"],
                          disabled=~m["available"])


def dropzone() -> rx.Component:
    return rx.box(
        rx.vstack(
            rx.center(rx.icon("image_up", size=26), class_name="tool-icon big"),
            rx.text("Drop an image here, paste it, or", weight="medium"),
            rx.el.label(
                rx.el.input(type="file", id="upload-input", accept="image/jpeg,image/png,image/webp,image/avif",
                            class_name="visually-hidden"),
                rx.text("choose a file"),
                html_for="upload-input", class_name="rt-Button rt-variant-soft rt-r-size-2 upload-pick",
                tab_index=0,
            ),
            rx.text("JPEG, PNG or WebP · up to 20 MB and 40 megapixels", size="1", color_scheme="gray"),
            rx.cond(EditState.uploading, rx.hstack(rx.spinner(size="2"), rx.text("Uploading…", size="2"))),
            rx.cond(EditState.upload_error != "", rx.callout(EditState.upload_error, icon="circle_alert",
                                                             color_scheme="red", size="1", role="alert",
                                                             id="upload-error")),
            align="center", spacing="2",
        ),
        id="dropzone", class_name="dropzone",
    )


def source_panel() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(rx.heading("Image", size="4", as_="h2"), rx.spacer(),
                      rx.cond(EditState.has_source, rx.text(EditState.source.width.to_string() + " × "
                                                            + EditState.source.height.to_string(),
                                                            size="1", color_scheme="gray")),
                      width="100%", align="center"),
            rx.cond(
                EditState.needs_mask,
                rx.cond(EditState.has_source,
                        mask_editor(EditState.source.url, on_export=EditState.mask_exported,
                                    export_trigger=EditState.mask_request, id="mask-editor",
                                    alt="Your image; paint over what should change", height="520px", width="100%"),
                        dropzone()),
                rx.cond(EditState.tool == OpKey.OUTPAINT,
                        rx.cond(EditState.has_source, outpaint_preview(), dropzone()),
                        rx.cond(EditState.has_source,
                                rx.image(src=EditState.source.url, alt="The image you are editing",
                                         class_name="source-img", id="source-img"),
                                dropzone())),
            ),
            rx.cond(EditState.has_source, dropzone_small()),
            spacing="3", width="100%",
        ),
        size="3", width="100%",
    )


def dropzone_small() -> rx.Component:
    return rx.box(
        rx.hstack(rx.icon("image_up", size=16), rx.text("Drop, paste or", size="2"),
                  rx.el.label(rx.el.input(type="file", id="upload-input",
                                          accept="image/jpeg,image/png,image/webp,image/avif",
                                          class_name="visually-hidden"),
                              "choose another image", html_for="upload-input", class_name="link-like", tab_index=0),
                  rx.cond(EditState.uploading, rx.spinner(size="1")),
                  align="center", spacing="2", wrap="wrap"),
        rx.cond(EditState.upload_error != "", rx.text(EditState.upload_error, color_scheme="red", size="1",
                                                      role="alert", id="upload-error")),
        id="dropzone", class_name="dropzone small",
    )


def outpaint_preview() -> rx.Component:
    preview = EditState.canvas_preview
    return rx.box(
        rx.image(src=EditState.source.url, alt="Your image inside the new canvas", class_name="outpaint-src",
                 style={"left": preview["left"], "top": preview["top"], "width": preview["width"],
                        "height": preview["height"]}),
        class_name="outpaint-canvas", style={"aspect_ratio": preview["aspect"]}, id="outpaint-preview",
        role="img", aria_label="Preview of the extended canvas",
    )


def library_tile(img: ObjectVar[ImageRef]) -> rx.Component:
    chosen = EditState.batch_ids.contains(img.id)
    return rx.box(
        rx.el.button(rx.image(src=img.thumb, alt=img.label, class_name="library-img"),
                     on_click=EditState.pick_image(img.id), class_name="library-pick",
                     aria_label="Edit " + img.label, type="button"),
        rx.checkbox(checked=chosen, on_change=lambda _v: EditState.toggle_batch(img.id),
                    aria_label="Add to batch: " + img.label, class_name="library-check"),
        class_name=rx.cond(chosen, "library-tile chosen", "library-tile"),
    )


def library_strip() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(rx.heading("Your images", size="4", as_="h2"), rx.spacer(),
                      rx.cond(EditState.batch_ids.length() > 0,
                              rx.hstack(rx.badge(EditState.batch_ids.length().to_string() + " in batch",
                                                 id="batch-count"),
                                        rx.button("Clear", on_click=EditState.clear_batch, size="1",
                                                  variant="ghost"), align="center")),
                      width="100%", align="center"),
            rx.text("Click to edit one; tick up to 20 to run the tool on all of them as a batch.", size="1",
                    color_scheme="gray"),
            rx.cond(EditState.library_images.length() > 0,
                    rx.grid(rx.foreach(EditState.library_images, library_tile),
                            columns=rx.breakpoints(initial="4", sm="6", md="8"), spacing="2", width="100%"),
                    rx.text("Nothing yet: upload an image or make one in the Studio.", size="2",
                            color_scheme="gray", class_name=NEEDS_SESSION)),
            spacing="2", width="100%",
        ),
        size="2", width="100%",
    )


def tool_panel() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.text(EditState.tool_hint, size="2", color_scheme="gray", id="tool-hint"),
            label("Model", "edit-model"),
            rx.select.root(
                rx.select.trigger(id="edit-model", width="100%", aria_label="Model"),
                rx.select.content(rx.foreach(EditState.models, model_item)),
                value=EditState.model, on_change=EditState.pick_model, size="3",
            ),
            rx.cond(EditState.is_local,
                    rx.badge(rx.icon("cpu", size=12), "Local — not AI", color_scheme="amber", variant="outline",
                             id="edit-local-badge")),
            rx.text(EditState.model_blurb, size="1", color_scheme="gray"),
            settings_for_tool(),
            rx.separator(size="4"),
            rx.hstack(
                rx.vstack(
                    cost_summary(EditState.preview, "edit-cost"),
                    rx.cond(EditState.result_size != "", rx.text("Result: ", EditState.result_size, size="1",
                                                                 color_scheme="gray", id="result-size")),
                    spacing="0",
                ),
                rx.spacer(),
                rx.button(run_label(EditState.preview,
                                    rx.fragment(rx.icon("play", size=16),
                                                rx.cond(EditState.batch_ids.length() > 0,
                                                        "Run on " + EditState.batch_ids.length().to_string(),
                                                        "Run"))),
                          on_click=EditState.run, size="3", id="run-tool",
                          disabled=EditState.preview["short"]
                          | (~EditState.has_source & (EditState.batch_ids.length() == 0)), margin_left="auto"),
                width="100%", align="center", wrap="wrap",  # a long cost summary moves the button down
            ),
            continue_offer(EditState.preview),
            rx.cond(EditState.problem != "", rx.callout(EditState.problem, icon="circle_alert", color_scheme="red",
                                                        size="1", role="alert", id="edit-problem")),
            spacing="3", width="100%", align="start",
        ),
        size="3", width="100%",
    )


def compare_panel() -> rx.Component:
    result = EditState.latest_result
    return rx.cond(
        result["after"] != "",
        rx.card(
            rx.vstack(
                rx.hstack(rx.heading("Before / after", size="4", as_="h2"), rx.spacer(),
                          rx.button(rx.icon("arrow_right_to_line", size=14), "Use result as input",
                                    on_click=EditState.use_result(result["id"]), size="2", variant="soft",
                                    id="use-result"),
                          link_button(rx.icon("download", size=14), "Download", href=result["download"], download=True,
                                      size="2", variant="soft", id="download-result"),
                          width="100%", align="center", wrap="wrap"),
                compare_slider(result["before"], result["after"], before_alt="Your image before the edit",
                               after_alt="The result", id="compare", aspect=result["aspect"], max_height="560px",
                               before_box={"left": result["left"], "top": result["top"],
                                           "width": result["width"], "height": result["height"]}),
                spacing="3", width="100%",
            ),
            size="3", width="100%",
        ),
    )


def edit_image_actions(img: ObjectVar[ImageCard]) -> list[rx.Component]:
    return [rx.spacer(), rx.button("Use as input", on_click=EditState.use_result(img["id"].to_string()), size="1",
                                   variant="soft")]


def no_actions(job: ObjectVar[JobCard]) -> list[rx.Component]:
    return []


def editor() -> rx.Component:
    return page(
        rx.el.button("", id="upload-busy", on_click=EditState.upload_started, class_name="visually-hidden",
                     tab_index=-1, aria_hidden="true", type="button"),
        rx.el.button("", id="upload-done", class_name="visually-hidden", tab_index=-1, aria_hidden="true",
                     type="button",
                     on_click=rx.call_script("window.__palettUpload", callback=EditState.upload_finished)),
        rx.vstack(
            rx.hstack(rx.heading("Edit", size="7", as_="h1"), rx.spacer(),
                      link_button(rx.icon("sparkles", size=16), "Studio", href="/studio", variant="soft", size="2"),
                      width="100%", align="center"),
            rx.flex(rx.foreach(EditState.tools, tool_tab), wrap="wrap", gap="8px", role="tablist",
                    aria_label="Editing tools"),
            rx.flex(
                rx.box(source_panel(), flex="2 1 480px", min_width="0"),
                rx.box(tool_panel(), flex="1 1 320px", max_width="100%", class_name="options-col"),
                gap="20px", wrap="wrap", align="start", width="100%",
            ),
            compare_panel(),
            library_strip(),
            rx.cond(EditState.jobs.length() > 0, rx.vstack(
                rx.heading("Recent edits", size="4", as_="h2"),
                batch_summaries(EditState),
                rx.grid(rx.foreach(EditState.jobs, lambda job: job_card(EditState, job, no_actions,
                                                                        edit_image_actions)),
                        columns=rx.breakpoints(initial="1", md="2"), spacing="3", width="100%", id="edit-jobs"),
                width="100%", spacing="3")),
            spacing="4", padding_y="28px", width="100%",
        ),
        width="1280px",
    )


ON_LOAD = [EditState.load_editor]
