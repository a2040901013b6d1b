"""The prompt tools under the studio prompt: Enhance, Describe an image, recent prompts, and the suggestion
the person accepts, edits or dismisses. Every control is a labelled button, switch or select (keyboard and
screen readers); a suggestion from the local helper is labelled as not AI."""

from __future__ import annotations

import reflex as rx

from palett.services.generation.prompt_models import LOCAL_LABEL
from palett.state.prompt_tools import PromptToolsState as S
from palett.state.studio import StudioState

IMAGE_TYPES = "image/jpeg,image/png,image/webp,image/avif"


def _history_item(prompt: rx.Var[str], index: rx.Var[int]) -> rx.Component:
    return rx.select.item(prompt, value=index.to_string(), class_name="history-item")


def recent_prompts() -> rx.Component:
    return rx.cond(
        S.history.length() > 0,
        rx.select.root(
            rx.select.trigger(placeholder="Recent prompts", aria_label="Recent prompts: put one back in the prompt",
                              id="recent-prompts", variant="soft", color_scheme="gray"),
            rx.select.content(rx.foreach(S.history, _history_item), position="popper"),
            value="", on_change=S.use_history, size="2",
        ),
    )


def upload_bridge() -> rx.Component:
    """Once per page: the file input and the hidden buttons assets/js/uploads.js drives (POST /api/uploads)."""
    return rx.fragment(
        rx.el.input(type="file", id="upload-input", accept=IMAGE_TYPES, class_name="visually-hidden", tab_index=-1,
                    aria_label="Image to describe"),
        rx.el.button("", id="upload-busy", on_click=S.upload_started, class_name="visually-hidden", tab_index=-1,
                     aria_hidden="true", type="button"),
        rx.el.button("", id="upload-done", class_name="visually-hidden", tab_index=-1, aria_hidden="true",
                     type="button", on_click=rx.call_script("window.__palettUpload", callback=S.upload_finished)),
    )


def suggestion_panel() -> rx.Component:
    return rx.cond(
        S.suggestion_title != "",
        rx.box(
            rx.vstack(
                rx.hstack(
                    rx.heading(S.suggestion_title, size="2", as_="h3"),
                    rx.spacer(),
                    rx.badge(S.suggestion_source, color_scheme=rx.cond(S.suggestion_is_ai, "violet", "amber"),
                             id="suggestion-source", white_space="normal"),
                    width="100%", align="center", wrap="wrap",
                ),
                rx.el.label("Edit it if you like, then use it or dismiss it", html_for="suggestion",
                            class_name="field-label"),
                rx.text_area(id="suggestion", value=S.suggestion, on_change=S.set_suggestion, rows="5", size="2",
                             width="100%", max_length=2000),
                rx.hstack(
                    rx.button(rx.icon("check", size=16), "Use this prompt", on_click=S.accept, size="2",
                              id="suggestion-accept", disabled=S.suggestion.strip() == ""),
                    rx.button("Dismiss", on_click=S.dismiss, size="2", variant="soft", color_scheme="gray",
                              id="suggestion-dismiss"),
                    spacing="2",
                ),
                spacing="2", width="100%",
            ),
            role="region", aria_label="Suggested prompt", id="suggestion-panel", class_name="suggestion-panel",
            padding="12px", border_radius="8px", border="1px solid var(--gray-a6)", background="var(--gray-a2)",
            width="100%",
        ),
    )


def prompt_tools_panel() -> rx.Component:
    offer = rx.cond(S.use_local, rx.text(LOCAL_LABEL, ": free", size="1", color_scheme="gray"),
                    rx.cond(S.enhance_offer != "",
                            rx.text("Enhance: ", S.enhance_offer, " · Describe: ", S.describe_offer, size="1",
                                    color_scheme="gray"),
                            rx.text("\u00a0", size="1", aria_hidden="true")))  # the line's height until on_load
    return rx.vstack(
        rx.flex(
            rx.button(rx.icon("wand_sparkles", size=16), "Enhance prompt", on_click=S.enhance, size="2",
                      variant="soft", loading=S.busy == "enhance", id="enhance-prompt",
                      disabled=(StudioState.prompt.strip() == "") | (S.busy != "")),
            rx.button(rx.icon("image_up", size=16), "Describe an image", size="2", variant="soft",
                      loading=(S.busy == "describe") | (S.busy == "upload"), disabled=S.busy != "", id="describe-image",
                      on_click=[S.set_upload_purpose("describe"),
                                rx.call_script("document.getElementById('upload-input').click()")]),
            recent_prompts(),
            gap="8px", wrap="wrap", align="center",
        ),
        rx.box(offer, id="prompt-tools-offer"),
        rx.cond(S.has_ai, rx.el.label(
            rx.hstack(rx.switch(checked=S.use_local, on_change=S.set_use_local, id="use-local-helper", size="1"),
                      rx.text("Use the free local helper instead (not AI)", size="1"), align="center"),
            html_for="use-local-helper")),
        rx.cond(S.tools_problem != "", rx.callout(S.tools_problem, icon="circle_alert", color_scheme="red", size="1",
                                                  role="alert", id="prompt-tools-problem", width="100%")),
        suggestion_panel(),
        rx.el.div(rx.cond(S.busy == "describe", "Describing your image…",
                          rx.cond(S.busy == "enhance", "Enhancing your prompt…",
                                  rx.cond(S.busy == "upload", "Uploading your image…", ""))),
                  aria_live="polite", class_name="visually-hidden"),
        spacing="2", width="100%", align="start", id="prompt-tools",
    )
