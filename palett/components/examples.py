"""The empty studio's example prompts: a click fills the prompt box. Their thumbnails (assets/examples/<key>.webp)
are rendered by the local engine with scripts/make_example_thumbs.py, and labelled as such."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import reflex as rx


@dataclass(frozen=True)
class Example:
    key: str
    label: str
    prompt: str
    seed: int  # the seed its thumbnail was rendered with


EXAMPLES = (
    Example("lighthouse", "Coastal lighthouse",
            "A lighthouse on a basalt cliff at golden hour, waves breaking below, soft mist, wide-angle photograph",
            11),
    Example("fox", "Paper-cut fox",
            "A red fox made of layered paper cut-outs in an autumn forest, warm light, intricate craft photography",
            23),
    Example("city", "Neon city",
            "A rainy neon-lit city street at night seen from above, reflections on wet asphalt, cinematic",
            37),
    Example("still_life", "Still life",
            "A still life of lemons and a blue ceramic jug on a linen table, morning window light, oil painting",
            41),
)


def example_prompts(use: Callable[[str], Any]) -> rx.Component:
    """Buttons that fill the prompt with an example (`use(prompt)` is the event to fire)."""
    return rx.vstack(
        rx.text("Or start from an example:", size="2", weight="medium"),
        rx.el.div(
            *[rx.el.button(
                # Lazy: fetched after the first layout, not beside the page's stylesheet and scripts.
                rx.image(src=f"/examples/{e.key}.webp", alt="", width="64px", height="64px",
                         class_name="example-thumb", loading="lazy", decoding="async"),
                rx.vstack(rx.text(e.label, size="2", weight="medium"),
                          rx.text(e.prompt, size="1", color_scheme="gray", class_name="example-prompt"),
                          spacing="0", align="start"),
                on_click=[use(e.prompt), rx.set_focus("prompt")], type="button", class_name="example-card",
                id=f"example-{e.key}", aria_label=f"Use the example prompt: {e.prompt}",
            ) for e in EXAMPLES],
            class_name="example-grid",
        ),
        rx.text("Thumbnails made by the local preview engine (not AI).", size="1", color_scheme="gray"),
        spacing="2", width="100%", max_width="640px",
    )
