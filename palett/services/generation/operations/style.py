"""Style transfer: repaint the image in a named style, or (locally) like a reference image of yours."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PIL import Image
from pydantic import Field

from palett.services.common.errors import UserError
from palett.services.generation.catalog import Media, ModelSpec, SourceLookup
from palett.services.generation.local_ops import STYLES, style_from_reference, stylize
from palett.services.generation.operations._base import (
    LOCAL_NOTE,
    EditInput,
    Load,
    Operation,
    OpKey,
    local_model,
    register,
)

REFERENCE = "reference"
STYLE_PROMPTS = {
    "watercolor": "a delicate watercolor painting, soft washes, paper texture",
    "oil": "an oil painting with visible brush strokes, rich impasto",
    "pencil": "a detailed graphite pencil sketch, cross-hatching",
    "cartoon": "a clean cartoon illustration, bold outlines, flat colours",
    "vivid": "a vivid, high-contrast photograph with saturated colours",
    "noir": "a black and white film noir photograph, dramatic shadows",
}
STYLE_LABELS = {**STYLES, REFERENCE: "Match a reference image"}  # the editor's style tiles


class StyleInput(EditInput):
    style: str = "watercolor"
    reference_id: int | None = None
    reference_key: str = ""
    strength: float = Field(default=0.6, ge=0.1, le=1.0)

    def bind_sources(self, lookup: SourceLookup) -> None:
        super().bind_sources(lookup)
        if self.style == REFERENCE:
            if self.reference_id is None:
                raise UserError("invalid_input", field="reference", detail="pick a reference image")
            self.reference_key = lookup("image", self.reference_id).key

    def check(self, spec: ModelSpec) -> None:
        super().check(spec)
        if self.style not in spec.styles:
            raise UserError("unsupported", model=spec.label, what=f"the style {self.style}")


def fal_flux_style(p: StyleInput, media: Media) -> dict[str, Any]:
    return {"image_url": media.url(p.image_key), "prompt": f"the same scene as {STYLE_PROMPTS[p.style]}",
            "strength": p.strength, "num_inference_steps": 40, "guidance_scale": 3.5, "num_images": 1,
            "output_format": "png"}


def run_local(p: StyleInput, img: Image.Image, load: Load) -> Image.Image:
    if p.style == REFERENCE:
        return style_from_reference(img, load(p.reference_key))
    return stylize(img, p.style)


def editor_params(form: Mapping[str, Any]) -> dict[str, Any]:
    if form["style"] == REFERENCE:
        return {"style": REFERENCE, "reference_id": form["reference_id"] or None}  # 0 = none picked
    return {"style": form["style"]}


OPERATION = register(Operation(
    key=OpKey.STYLE, label="Style transfer", icon="palette", hint="Repaint it in a named style or like a reference.",
    input_model=StyleInput, credits_per_image=2, order=60, run_local=run_local, editor_params=editor_params,
    models=(
        ModelSpec(key="flux-style", label="FLUX.1 dev style", provider="fal",
                  endpoint="fal-ai/flux/dev/image-to-image", adapter=fal_flux_style, seed=False,
                  styles=tuple(STYLE_PROMPTS), rank=80, blurb="Repaints your image in the chosen style."),
        local_model("local-style", "Local style effects", seed=False, styles=(*STYLES, REFERENCE),
                    blurb="OpenCV stylisation; a reference image transfers its colours and tones. " + LOCAL_NOTE),
    ),
))
