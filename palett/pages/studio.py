"""The studio: options on the left, live jobs and results on the right."""

from __future__ import annotations

import reflex as rx
from reflex.event import EventType
from reflex.vars import ObjectVar

from palett.components.credits import continue_offer, cost_summary, generation_price, run_label
from palett.components.examples import example_prompts
from palett.components.forms import link_button, range_field
from palett.components.jobs import batch_summaries, job_card
from palett.components.layout import page
from palett.components.lightbox import lightbox, owner_actions
from palett.components.prompt_tools import prompt_tools_panel, upload_bridge
from palett.components.references import references_panel
from palett.services.generation import catalog
from palett.settings import get_settings
from palett.state.jobs import ImageCard, JobCard, ModelOption
from palett.state.lightbox import LightboxItem
from palett.state.prompt_tools import PromptToolsState
from palett.state.studio import StudioLightbox, StudioState


def label(text: str, html_for: str) -> rx.Component:
    return rx.el.label(text, html_for=html_for, class_name="field-label")


def model_item(m: ObjectVar[ModelOption]) -> rx.Component:
    return rx.select.item(
        rx.cond(m["available"], m["label"], m["label"] + " — " + m["reason"]),
        value=m["key"],
        disabled=~m["available"],
    )


def size_chip(s: ObjectVar[catalog.SizeChoice]) -> rx.Component:
    return rx.button(
        s.label,
        on_click=StudioState.set_size(s.value),
        variant=rx.cond(StudioState.size == s.value, "solid", "soft"),
        color_scheme=rx.cond(StudioState.size == s.value, "violet", "gray"),
        size="1",
        type="button",
        aria_pressed=StudioState.size == s.value,
    )


def local_notice() -> rx.Component:
    return rx.callout("Local preview — not AI. Procedural art made on this server so you can try the studio; "
                      "pick FLUX, Nano Banana or Ideogram for real AI images where this server offers them.",
                      icon="info",
                      color_scheme="amber", size="1", id="local-notice")


def model_notice() -> rx.Component:
    """The local-engine notice or the chosen model's blurb.

    Until on_load has picked a model (model == ""), the default model's text comes with the prerendered
    page: it is the studio's largest text, so the page's LCP no longer waits for the websocket.
    """
    default = catalog.default_model("t2i", get_settings())
    before_load = local_notice() if default.is_local else rx.text(default.blurb, size="1", color_scheme="gray")
    chosen = rx.cond(StudioState.is_local, local_notice(), rx.text(StudioState.model_blurb, size="1",
                                                                     color_scheme="gray"))
    return rx.cond(StudioState.model == "", before_load, chosen)


def options_panel() -> rx.Component:
    return rx.card(
        rx.vstack(
            label("Model", "model-select"),
            rx.select.root(
                rx.select.trigger(id="model-select", width="100%", aria_label="Model"),
                rx.select.content(rx.foreach(StudioState.models, model_item)),
                # Until on_load has run, the model it will pick, so the form is whole in the first paint.
                value=rx.cond(StudioState.model == "", catalog.default_model("t2i", get_settings()).key,
                              StudioState.model),
                on_change=StudioState.pick_model,
                size="3",
            ),
            model_notice(),
            rx.el.label(rx.hstack(rx.switch(checked=StudioState.batch_mode, on_change=StudioState.set_batch_mode,
                                            id="batch-mode"),
                                  rx.text("Batch: one prompt per line (up to 20)", size="2"), align="center"),
                        html_for="batch-mode"),
            rx.cond(
                StudioState.batch_mode,
                rx.vstack(
                    rx.hstack(label("Prompts", "batch-prompts"), rx.spacer(),
                              rx.text(StudioState.batch_list.length(), " / 20 prompts", size="1", color_scheme="gray"),
                              width="100%"),
                    rx.text_area(id="batch-prompts", value=StudioState.batch_prompts,
                                 on_change=StudioState.set_batch_prompts, rows="7", size="2", width="100%",
                                 placeholder="A red fox in the snow\nA lighthouse at dawn\nA bowl of ramen, top view"),
                    width="100%", spacing="1"),
                rx.vstack(
                    rx.hstack(label("Prompt", "prompt"), rx.spacer(),
                              rx.text(StudioState.prompt_length, " / 2000", size="1", color_scheme="gray"),
                              width="100%"),
                    rx.text_area(id="prompt", value=StudioState.prompt, on_change=StudioState.set_prompt,
                                 max_length=2000, rows="5", size="3", width="100%", resize="vertical",
                                 placeholder="A lighthouse on a cliff at golden hour, volumetric light, 35mm film"),
                    prompt_tools_panel(),
                    width="100%", spacing="1"),
            ),
            references_panel(),
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
            rx.cond(StudioState.has_steps, range_field("Steps", "steps", StudioState.steps, StudioState.set_steps,
                                                       low=1, high=50, step=1, key=StudioState.form_version)),
            rx.cond(StudioState.has_guidance, range_field("Guidance", "guidance", StudioState.guidance,
                                                          StudioState.set_guidance, low=1, high=20, step=0.5,
                                                          key=StudioState.form_version)),
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
                rx.text(StudioState.seed_mode, size="1", color_scheme="gray", id="seed-mode", aria_live="polite"),
                width="100%", spacing="2")),
            rx.separator(size="4"),
            rx.hstack(
                cost_summary(StudioState.preview, "run-cost"),
                rx.spacer(),
                rx.button(run_label(StudioState.preview, rx.fragment(rx.icon("sparkles", size=18), "Generate")),
                          on_click=StudioState.generate, size="3",
                          disabled=rx.cond(StudioState.batch_mode, StudioState.batch_list.length() == 0,
                                           StudioState.prompt_length == 0) | StudioState.preview["short"],
                          id="generate", margin_left="auto"),
                width="100%",
                align="center",
                wrap="wrap",  # a long cost summary moves the button to its own line
            ),
            continue_offer(StudioState.preview),
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


def studio_actions(job: ObjectVar[JobCard]) -> list[rx.Component]:
    return [
        rx.button(rx.icon("rotate_ccw", size=14), "Re-run settings", on_click=StudioState.rerun(job["id"]),
                  size="1", variant="ghost"),
        rx.button(rx.icon("shuffle", size=14), "Variations", on_click=StudioState.variations(job["id"]),
                  size="1", variant="ghost", title="Same settings, new seed. " + generation_price(job["cost"]),
                  aria_label="Variations: " + generation_price(job["cost"])),
    ]


def open_result(img: ObjectVar[ImageCard]) -> EventType[()]:
    return StudioLightbox.open_lightbox(img["id"])


def lightbox_actions(item: ObjectVar[LightboxItem]) -> list[rx.Component]:
    return [
        *owner_actions(StudioState, item),
        rx.button(rx.icon("rotate_ccw", size=14), "Re-run settings", size="2", variant="soft",
                  on_click=[StudioLightbox.close_lightbox, StudioState.rerun(item["job_id"])]),
        rx.button(rx.icon("shuffle", size=14), "Variations", size="2", variant="soft",
                  on_click=[StudioLightbox.close_lightbox, StudioState.variations(item["job_id"])]),
        rx.button(rx.icon("text_quote", size=14), "Use as prompt", size="2", variant="soft", id="lightbox-describe",
                  on_click=[StudioLightbox.close_lightbox, PromptToolsState.describe_image(item["id"])]),
        rx.button(rx.icon("palette", size=14), "Use as style reference", size="2", variant="soft",
                  id="lightbox-style-ref",
                  on_click=[StudioLightbox.close_lightbox, StudioState.use_as_style_ref(item["id"], item["url"])]),
    ]


def feed_toolbar() -> rx.Component:
    return rx.hstack(
        rx.heading("Results", size="4", as_="h2"),
        rx.text("newest first · click a picture to see it full size", size="1", color_scheme="gray",
                class_name="hide-sm"),
        rx.spacer(),
        rx.segmented_control.root(
            rx.segmented_control.item(rx.icon("grid_3x3", size=14), value="s", aria_label="Small thumbnails"),
            rx.segmented_control.item(rx.icon("grid_2x2", size=14), value="m", aria_label="Medium thumbnails"),
            rx.segmented_control.item(rx.icon("square", size=14), value="l", aria_label="Large thumbnails"),
            value=StudioState.density, on_change=StudioState.set_density, size="1",
            aria_label="Thumbnail size", id="feed-density",
        ),
        width="100%", align="center",
    )


def canvas() -> rx.Component:
    return rx.vstack(
        rx.cond(
            StudioState.jobs.length() > 0,
            rx.vstack(feed_toolbar(),
                      batch_summaries(StudioState),
                      rx.foreach(StudioState.jobs,
                                 lambda job: job_card(StudioState, job, studio_actions, open_result=open_result)),
                      lightbox(StudioLightbox, lightbox_actions),
                      spacing="3", width="100%", id="jobs", class_name="jobs-feed density-" + StudioState.density),
            rx.center(
                rx.vstack(
                    rx.center(rx.icon("image", size=28), class_name="tool-icon big"),
                    rx.heading("Your images appear here", size="5", as_="h2"),
                    rx.text("Write a prompt, pick a model and press Generate. Jobs keep running if you close the "
                            "tab.", color_scheme="gray", size="2", align="center"),
                    example_prompts(StudioState.set_prompt),
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
        upload_bridge(),  # Describe an image and the reference buttons upload through it
        rx.vstack(
            rx.hstack(rx.heading("Studio", size="7", as_="h1"), rx.spacer(),
                      link_button(rx.icon("wallet", size=16), "Credits", href="/billing", variant="soft", size="2"),
                      width="100%", align="center"),
            rx.cond(StudioState.remixed,
                    rx.callout(rx.cond(StudioState.prompt == "",
                                       "Remixing a shared image: its model and settings are filled in, the seed is "
                                       "new, and its author keeps the prompt to themselves — write your own.",
                                       "Remixing a shared image: its prompt, model and settings are filled in, with "
                                       "a new seed. Change anything, then Generate."),
                               icon="shuffle", size="1", id="remix-note", width="100%")),
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


ON_LOAD = [StudioState.load_studio, PromptToolsState.load_prompt_tools]
