"""The editor's settings panel: generic controls drawn from an operation's descriptor, and the panels of the
operations whose settings need more (CUSTOM_PANELS). Adding an operation adds a panel here only if its
settings don't fit the generic controls (docs/design.md, "How to add an operation")."""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx
from reflex.event import EventType
from reflex.vars import ObjectVar, Var

from palett.components.forms import range_field
from palett.services.generation.operations import Control, Operation, OpKey, editor_operations
from palett.state.edit import ASPECTS, EditState, StyleOption


def label(text: str, html_for: str = "") -> rx.Component:
    return rx.el.label(text, html_for=html_for or None, class_name="field-label")


def picker_select(items_label: str, value: Var[str], on_change: EventType[str], html_id: str) -> rx.Component:
    return rx.select.root(
        rx.select.trigger(placeholder="Pick one of your images", id=html_id, width="100%", aria_label=items_label),
        rx.select.content(rx.foreach(EditState.library_images,
                                     lambda img: rx.select.item(img["label"] + " (#" + img["id"].to_string() + ")",
                                                                value=img["id"].to_string()))),
        value=value, on_change=on_change,
    )


def style_tile(opt: ObjectVar[StyleOption]) -> rx.Component:
    chosen = EditState.style == opt["key"]
    return rx.el.button(
        rx.cond(opt["key"] == "reference", rx.center(rx.icon("image_plus", size=22), class_name="style-thumb"),
                rx.image(src=opt["thumb"], alt="", class_name="style-thumb")),
        rx.text(opt["label"], size="1"),
        on_click=EditState.set_style(opt["key"]), type="button", aria_pressed=chosen,
        class_name=rx.cond(chosen, "style-tile chosen", "style-tile"),
    )


def bg_replace_panel() -> rx.Component:
    return rx.vstack(
        rx.text("New background", class_name="field-label"),
        rx.segmented_control.root(
            rx.foreach(EditState.bg_modes, lambda m: rx.segmented_control.item(
                rx.match(m, ("color", "Colour"), ("image", "Photo"), ("prompt", "Prompt"), m), value=m)),
            value=EditState.bg_mode, on_change=EditState.set_bg_mode, width="100%", aria_label="Background"),
        rx.match(
            EditState.bg_mode,
            ("color", rx.hstack(label("Colour", "bg-color"),
                                rx.el.input(type="color", id="bg-color", value=EditState.color,
                                            on_change=EditState.set_color, class_name="color-input"),
                                rx.code(EditState.color), align="center")),
            ("image", picker_select("Background image", EditState.background_id.to_string(),
                                    EditState.set_background, "bg-image")),
            prompt_control(Control("prompt", "Describe the new background", placeholder="A sunlit beach at dawn")),
        ),
        width="100%", spacing="2")


def upscale_panel() -> rx.Component:
    return rx.vstack(
        rx.text("Scale", class_name="field-label"),
        rx.segmented_control.root(
            rx.segmented_control.item("2×", value="2x"), rx.segmented_control.item("4×", value="4x"),
            rx.segmented_control.item("To 4K", value="4k"),
            value=EditState.upscale_mode, on_change=EditState.set_upscale_mode, width="100%",
            aria_label="Scale"),
        rx.cond(EditState.upscale_mode == "4k", rx.segmented_control.root(
            rx.segmented_control.item("3840 px", value="3840"), rx.segmented_control.item("4096 px", value="4096"),
            value=EditState.long_side, on_change=EditState.set_long_side, width="100%",
            aria_label="Long side")),
        width="100%", spacing="2")


def outpaint_panel() -> rx.Component:
    return rx.vstack(
        rx.text("Extend to", class_name="field-label"),
        rx.flex(*[rx.button(a, on_click=EditState.set_aspect(a), size="1", variant="soft", type="button")
                  for a in ASPECTS], wrap="wrap", gap="6px", role="group", aria_label="Aspect ratio presets"),
        rx.grid(*[rx.vstack(label(side.title() + " (px)", "pad-" + side),
                            rx.input(id="pad-" + side, type="number", min=0, max=4096,
                                     value=getattr(EditState, side).to_string(),
                                     on_change=lambda v, s=side: EditState.set_side(s, v)),
                            spacing="1") for side in ("left", "top", "right", "bottom")],
                columns="2", spacing="2", width="100%"),
        prompt_control(Control("prompt", "Prompt (optional)")),
        width="100%", spacing="2")


def style_panel() -> rx.Component:
    return rx.vstack(
        rx.text("Style", class_name="field-label"),
        rx.grid(rx.foreach(EditState.style_options, style_tile), columns="3", spacing="2", width="100%"),
        rx.cond(EditState.style == "reference",
                picker_select("Reference image", EditState.reference_id.to_string(), EditState.set_reference,
                              "style-reference")),
        width="100%", spacing="2")


# Operations whose settings need more than the generic controls; every other one is drawn from its controls.
CUSTOM_PANELS: dict[str, Callable[[], rx.Component]] = {
    OpKey.BG_REPLACE: bg_replace_panel, OpKey.UPSCALE: upscale_panel, OpKey.OUTPAINT: outpaint_panel,
    OpKey.STYLE: style_panel,
}


def prompt_control(c: Control) -> rx.Component:
    return rx.vstack(label(c.label, "edit-prompt"),
                     rx.text_area(id="edit-prompt", value=EditState.prompt, on_change=EditState.set_prompt,
                                  rows=str(c.lines), width="100%", placeholder=c.placeholder or None),
                     width="100%", spacing="1")


def faces_control(c: Control) -> rx.Component:
    return rx.el.label(rx.hstack(rx.switch(checked=EditState.faces, on_change=EditState.set_faces, id="faces"),
                                 rx.text(c.label, size="2"), align="center"),
                       html_for="faces")


GENERIC_CONTROLS: dict[str, Callable[[Control], rx.Component]] = {
    "prompt": prompt_control, "strength": lambda c: strength_slider(c.label), "faces": faces_control,
}


def generic_panel(op: Operation) -> rx.Component:
    parts = [rx.text("Paint over the area to change. B brush, E eraser, [ ] size, Ctrl+Z undo.", size="1",
                     color_scheme="gray")] if op.needs_mask else []
    unknown = [c.field for c in op.controls if c.field not in GENERIC_CONTROLS]
    if unknown:
        raise ValueError(f"{op.key}: no generic control for {unknown}; give it a panel in CUSTOM_PANELS")
    parts += [GENERIC_CONTROLS[c.field](c) for c in op.controls]
    if not parts:
        return no_settings()
    return rx.vstack(*parts, width="100%", spacing="2")


def no_settings() -> rx.Component:
    return rx.text("No settings: press Run.", size="2", color_scheme="gray")


def settings_for_tool() -> rx.Component:
    panels = [(op.key, CUSTOM_PANELS.get(op.key, lambda op=op: generic_panel(op))())
              for op in editor_operations()]
    return rx.match(EditState.tool, *panels, no_settings())


def strength_slider(text: str) -> rx.Component:
    return range_field(text, "strength", EditState.strength, EditState.set_strength, low=0.05, high=1, step=0.05,
                       key=EditState.tool)
