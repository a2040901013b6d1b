"""Inpaint: fill or remove what the user paints over (the editor's mask editor draws the mask)."""

from __future__ import annotations

from typing import Any

from PIL import Image
from pydantic import Field

from palett.services.common.errors import UserError
from palett.services.generation.catalog import Media, ModelSpec, SourceLookup
from palett.services.generation.local_ops import inpaint
from palett.services.generation.operations._base import (
    LOCAL_NOTE,
    Control,
    EditInput,
    Load,
    Operation,
    OpKey,
    local_model,
    register,
    seed_of,
)


class InpaintInput(EditInput):
    mask_key: str
    prompt: str = Field(default="", max_length=2000)
    seed: int | None = Field(default=None, ge=0, le=2**31 - 1)

    def bind_sources(self, lookup: SourceLookup) -> None:
        super().bind_sources(lookup)
        self.mask_key = lookup("mask", self.mask_key).key

    def check(self, spec: ModelSpec) -> None:
        super().check(spec)
        if spec.extra.get("needs_prompt") and not self.prompt.strip():
            raise UserError("invalid_input", field="prompt", detail="describe what should fill the mask")


def fal_fill(p: InpaintInput, media: Media) -> dict[str, Any]:
    return {"image_url": media.url(p.image_key), "mask_url": media.url(p.mask_key), "prompt": p.prompt,
            "num_images": 1, "safety_tolerance": "2", "output_format": "png", **seed_of(p)}


def run_local(p: InpaintInput, img: Image.Image, load: Load) -> Image.Image:
    return inpaint(img, load(p.mask_key).convert("L"))


OPERATION = register(Operation(
    key=OpKey.INPAINT, label="Inpaint", icon="brush", hint="Paint over what should change or disappear.",
    input_model=InpaintInput, credits_per_image=2, order=40, run_local=run_local, needs_mask=True,
    controls=(Control("prompt", "What should go there (optional for local)",
                      placeholder="Leave empty to remove what you painted"),),
    models=(
        ModelSpec(key="flux-fill", label="FLUX.1 Fill [pro]", provider="fal", endpoint="fal-ai/flux-pro/v1/fill",
                  adapter=fal_fill, rank=80, extra={"needs_prompt": True},
                  blurb="Fills the painted area following your prompt."),
        local_model("local-inpaint", "Local inpaint (Telea)", seed=False,
                    blurb="Removes what you paint by filling from the surroundings. " + LOCAL_NOTE),
    ),
))
