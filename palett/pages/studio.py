"""The studio: options on the left, live jobs and results on the right."""

from __future__ import annotations

import reflex as rx

from palett.components.forms import link_button
from palett.components.layout import page
from palett.state.studio import ImageCard, JobCard, ModelOption, SizeOption, StudioState

STATUS_COLORS = {"queued": "gray", "running": "blue", "succeeded": "green", "failed": "red", "cancelled": "amber"}


def label(text: str, html_for: str) -> rx.Component:
    return rx.el.label(text, html_for=html_for, class_name="field-label")


def model_item(m: ModelOption) -> rx.Component:
    return rx.select.item(
        rx.cond(m["available"], m["label"], m["label"] + " — " + m["reason"]),
        value=m["key"],
        disabled=~m["available"],
    )


def size_chip(s: SizeOption) -> rx.Component:
    return rx.button(
        s["label"],
        on_click=StudioState.set_size(s["value"]),
        variant=rx.cond(StudioState.size == s["value"], "solid", "soft"),
        color_scheme=rx.cond(StudioState.size == s["value"], "violet", "gray"),
        size="1",
        type="button",
        aria_pressed=StudioState.size == s["value"],
    )


def options_panel() -> rx.Component:
    return rx.card(
        rx.vstack(
            label("Model", "model-select"),
            rx.select.root(
                rx.select.trigger(id="model-select", width="100%", aria_label="Model"),
                rx.select.content(rx.foreach(StudioState.models, model_item)),
                value=StudioState.model,
                on_change=StudioState.pick_model,
                size="3",
            ),
            rx.cond(
                StudioState.is_local,
                rx.callout("Local preview — not AI. Procedural art made on this server so you can try the studio "
                           "without keys. Set FAL_KEY for FLUX, Imagen and Ideogram.", icon="info",
                           color_scheme="amber", size="1", id="local-notice"),
                rx.text(StudioState.model_blurb, size="1", color_scheme="gray"),
            ),
            rx.hstack(label("Prompt", "prompt"), rx.spacer(),
                      rx.text(StudioState.prompt_length, " / 2000", size="1", color_scheme="gray"), width="100%"),
            rx.text_area(id="prompt", value=StudioState.prompt, on_change=StudioState.set_prompt, max_length=2000,
                         placeholder="A lighthouse on a cliff at golden hour, volumetric light, 35mm film",
                         rows="5", size="3", width="100%", resize="vertical"),
            rx.cond(StudioState.has_negative, rx.vstack(
                label("Negative prompt", "negative-prompt"),
                rx.text_area(id="negative-prompt", value=StudioState.negative_prompt,
                             on_change=StudioState.set_negative_prompt, max_length=1000, rows="2", width="100%",
                             placeholder="What to leave out"),
                width="100%", spacing="1")),
            rx.text("Size", class_name="field-label"),
            rx.flex(rx.foreach(StudioState.sizes, size_chip), wrap="wrap", gap="6px", role="group",
                    aria_label="Size"),
            rx.text("Images", class_name="field-label"),
            rx.segmented_control.root(
                *[rx.segmented_control.item(str(n), value=str(n)) for n in range(1, 5)],
                value=StudioState.num_images.to_string(),
                on_change=StudioState.set_num_images,
                aria_label="Number of images",
                id="num-images",
                width="100%",
            ),
            rx.cond(StudioState.has_steps, rx.vstack(
                rx.hstack(label("Steps", "steps"), rx.spacer(), rx.text(StudioState.steps, size="2"), width="100%"),
                # Uncontrolled while dragging (no lost key presses); remounted when the form is reloaded.
                rx.slider(id="steps", min=1, max=50, step=1, default_value=[StudioState.steps],
                          on_value_commit=StudioState.set_steps, aria_label="Steps", key=StudioState.form_version),
                width="100%", spacing="2")),
            rx.cond(StudioState.has_guidance, rx.vstack(
                rx.hstack(label("Guidance", "guidance"), rx.spacer(), rx.text(StudioState.guidance, size="2"),
                          width="100%"),
                rx.slider(id="guidance", min=1, max=20, step=0.5, default_value=[StudioState.guidance],
                          on_value_commit=StudioState.set_guidance, aria_label="Guidance",
                          key=StudioState.form_version),
                width="100%", spacing="2")),
            rx.cond(StudioState.styles.length() > 0, rx.vstack(
                label("Style", "style-select"),
                rx.select(StudioState.styles, value=StudioState.style, on_change=StudioState.set_style,
                          id="style-select", width="100%"),
                width="100%", spacing="1")),
            rx.cond(StudioState.has_seed, rx.vstack(
                rx.hstack(rx.text("Seed", class_name="field-label"), rx.spacer(),
                          rx.el.label(rx.hstack(rx.switch(checked=StudioState.seed_random,
                                                          on_change=StudioState.set_seed_random, id="seed-random"),
                                                rx.text("Random", size="2"), align="center"),
                                      html_for="seed-random"), width="100%"),
                rx.cond(~StudioState.seed_random,
                        rx.input(value=StudioState.seed, on_change=StudioState.set_seed, placeholder="e.g. 42",
                                 aria_label="Seed", input_mode="numeric", width="100%", id="seed")),
                width="100%", spacing="2")),
            rx.separator(size="4"),
            rx.hstack(
                rx.vstack(
                    rx.text(rx.text.strong(StudioState.cost, rx.cond(StudioState.cost == 1, " credit", " credits"),
                                           id="run-cost"), size="2"),
                    rx.text("Balance after: ", StudioState.balance_after, size="1", color_scheme="gray",
                            id="balance-after"),
                    spacing="0",
                ),
                rx.spacer(),
                rx.button(rx.icon("sparkles", size=18), "Generate", on_click=StudioState.generate, size="3",
                          disabled=(StudioState.prompt_length == 0) | (StudioState.balance_after < 0),
                          id="generate"),
                width="100%",
                align="center",
            ),
            rx.cond(StudioState.balance_after < 0,
                    rx.text("Not enough credits for this run.", size="1", color_scheme="red")),
            rx.cond(StudioState.problem != "", rx.callout(StudioState.problem, icon="circle_alert",
                                                          color_scheme="red", role="alert", size="1",
                                                          id="studio-problem")),
            spacing="3",
            width="100%",
            align="start",
        ),
        size="3",
        class_name="options-panel",
    )


def image_tile(img: ImageCard) -> rx.Component:
    return rx.box(
        rx.el.a(rx.image(src=img["thumb"], alt="Generated image, seed " + img["seed"], class_name="result-img",
                         loading="lazy"), href=img["url"], target="_blank", rel="noopener",
                aria_label="Open full size"),
        rx.hstack(
            rx.tooltip(rx.icon_button(rx.el.a(rx.icon("download", size=16), href=img["download"],
                                              aria_label="Download PNG"), as_child=True, size="1",
                                      variant="soft"), content="Download PNG"),
            rx.cond(img["seed"] != "",
                    rx.tooltip(rx.icon_button(rx.icon("copy", size=16), on_click=StudioState.copy_seed(img["seed"]),
                                              size="1", variant="soft", aria_label="Copy seed " + img["seed"]),
                               content="Copy seed")),
            rx.text(img["size"], size="1", color_scheme="gray"),
            spacing="2",
            align="center",
            class_name="result-actions",
        ),
        class_name="result-tile fade-in",
    )


def plural(count, word: str):  # type: ignore[no-untyped-def]
    return count.to_string() + rx.cond(count == 1, f" {word}", f" {word}s")


def status_badge(job: JobCard) -> rx.Component:
    return rx.badge(
        rx.match(job["status"], ("queued", "Queued"), ("running", "Running"), ("succeeded", "Done"),
                 ("failed", "Failed"), ("cancelled", "Cancelled"), job["status"]),
        color_scheme=rx.match(job["status"], *[(k, v) for k, v in STATUS_COLORS.items()], "gray"),
        variant="soft",
        class_name="job-status",
    )


def job_card(job: JobCard) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                status_badge(job),
                rx.cond(job["local"], rx.badge("Local preview — not AI", color_scheme="amber", variant="outline"),
                        rx.text(job["model_label"], weight="medium", size="2")),
                rx.spacer(),
                rx.text(job["created"], size="1", color_scheme="gray"),
                width="100%",
                align="center",
                wrap="wrap",
            ),
            rx.text(job["prompt"], size="2", class_name="job-prompt"),
            rx.cond(
                job["active"],
                rx.vstack(
                    rx.progress(value=job["progress"], width="100%", aria_label="Progress"),
                    rx.hstack(
                        rx.text(rx.cond(job["queue_position"] >= 0,
                                        "In queue, position " + job["queue_position"].to_string(),
                                        rx.cond(job["last_log"] != "", job["last_log"], "Working…")),
                                size="1", color_scheme="gray", class_name="job-log"),
                        rx.spacer(),
                        rx.button("Cancel", on_click=StudioState.cancel(job["id"]), size="1", variant="soft",
                                  color_scheme="red", class_name="cancel-job"),
                        width="100%",
                        align="center",
                    ),
                    width="100%",
                    spacing="2",
                ),
            ),
            rx.cond(job["images"].length() > 0,
                    rx.grid(rx.foreach(job["images"], image_tile),
                            columns=rx.cond(job["images"].length() == 1, "1", "2"), spacing="3", width="100%",
                            class_name="result-grid")),
            rx.cond(job["status"] == "failed",
                    rx.callout(job["error"] + " — not charged.", icon="circle_x", color_scheme="red", size="1",
                               class_name="job-error")),
            rx.cond(job["status"] == "cancelled",
                    rx.text("Cancelled — not charged.", size="1", color_scheme="amber")),
            rx.hstack(
                rx.text(rx.cond(job["status"] == "succeeded", plural(job["charged"], "credit"),
                                rx.cond(job["active"], plural(job["cost"], "credit") + " reserved",
                                        "0 credits")), size="1", color_scheme="gray", class_name="job-cost"),
                rx.spacer(),
                rx.button(rx.icon("rotate_ccw", size=14), "Re-run settings", on_click=StudioState.rerun(job["id"]),
                          size="1", variant="ghost"),
                rx.button(rx.icon("shuffle", size=14), "Variations", on_click=StudioState.variations(job["id"]),
                          size="1", variant="ghost"),
                width="100%",
                align="center",
                wrap="wrap",
            ),
            spacing="3",
            width="100%",
        ),
        class_name="job-card",
        id="job-" + job["id"].to_string(),
        width="100%",
    )


def canvas() -> rx.Component:
    return rx.vstack(
        rx.cond(
            StudioState.jobs.length() > 0,
            rx.vstack(rx.foreach(StudioState.jobs, job_card), spacing="3", width="100%", id="jobs"),
            rx.center(
                rx.vstack(
                    rx.center(rx.icon("image", size=28), class_name="tool-icon big"),
                    rx.heading("Your images appear here", size="5", as_="h2"),
                    rx.text("Write a prompt, pick a model and press Generate. Jobs keep running if you close the "
                            "tab.", color_scheme="gray", size="2", align="center"),
                    align="center",
                    spacing="3",
                ),
                class_name="empty-canvas",
            ),
        ),
        width="100%",
        spacing="3",
    )


def studio() -> rx.Component:
    return page(
        rx.vstack(
            rx.hstack(rx.heading("Studio", size="7", as_="h1"), rx.spacer(),
                      link_button(rx.icon("wallet", size=16), "Credits", href="/app", variant="soft", size="2"),
                      width="100%", align="center"),
            rx.flex(
                rx.box(options_panel(), flex="0 0 360px", max_width="100%", class_name="options-col"),
                rx.box(canvas(), flex="1 1 420px", min_width="0"),
                gap="24px",
                wrap="wrap",
                align="start",
                width="100%",
            ),
            spacing="4",
            padding_y="28px",
            width="100%",
        ),
        width="1280px",
    )


ON_LOAD = [StudioState.load_studio]
