"""Outpaint: extend the picture beyond its edges by so many pixels per side."""

from __future__ import annotations

from typing import Any

from PIL import Image
from pydantic import Field

from palett.services.common.errors import UserError
from palett.services.generation.catalog import Media, ModelSpec, SourceLookup
from palett.services.generation.local_ops import outpaint
from palett.services.generation.operations._base import (
    LOCAL_NOTE,
    MAX_SIDE,
    EditInput,
    Load,
    Operation,
    OpKey,
    fields,
    local_model,
    register,
    seed_of,
)
from palett.services.media import images
from palett.services.media.storage import get_storage, new_key

MAX_PADDING = 4096  # pixels added on one side by an outpaint


class OutpaintInput(EditInput):
    left: int = Field(default=0, ge=0, le=MAX_PADDING)
    top: int = Field(default=0, ge=0, le=MAX_PADDING)
    right: int = Field(default=0, ge=0, le=MAX_PADDING)
    bottom: int = Field(default=0, ge=0, le=MAX_PADDING)
    prompt: str = Field(default="", max_length=2000)
    # Filled by the pipeline for providers that fill a padded canvas through a mask (Fal fill).
    canvas_key: str = ""
    mask_key: str = ""

    def output_size(self) -> tuple[int, int]:
        return self.source_width + self.left + self.right, self.source_height + self.top + self.bottom

    def bind_sources(self, lookup: SourceLookup) -> None:
        super().bind_sources(lookup)
        if self.output_size() == (self.source_width, self.source_height):
            raise UserError("invalid_input", field="size", detail="extend at least one side")
        self.refuse_too_large()

    def prepare(self, spec: ModelSpec, user_id: int) -> None:
        """Fill models extend a padded canvas through a mask: white where new pixels go."""
        if spec.is_local:
            return
        storage = get_storage()
        source = images.open_safely(storage.get(self.image_key), MAX_SIDE * MAX_SIDE).convert("RGB")
        size = (source.width + self.left + self.right, source.height + self.top + self.bottom)
        canvas = Image.new("RGB", size, (127, 127, 127))
        canvas.paste(source, (self.left, self.top))
        mask = Image.new("L", size, 255)
        mask.paste(0, (self.left, self.top, self.left + source.width, self.top + source.height))
        self.canvas_key, self.mask_key = new_key(user_id, "png"), new_key(user_id, "png")
        storage.put(self.canvas_key, images.to_png(canvas, {}), "image/png")
        storage.put(self.mask_key, images.to_png(mask, {}), "image/png")


def fal_fill(p: OutpaintInput, media: Media) -> dict[str, Any]:
    return {"image_url": media.url(p.canvas_key), "mask_url": media.url(p.mask_key),
            "prompt": p.prompt or "extend the scene naturally", "num_images": 1, "safety_tolerance": "2",
            "output_format": "png", **seed_of(p)}


def run_local(p: OutpaintInput, img: Image.Image, load: Load) -> Image.Image:
    return outpaint(img, left=p.left, top=p.top, right=p.right, bottom=p.bottom)


OPERATION = register(Operation(
    key=OpKey.OUTPAINT, label="Outpaint", icon="expand", hint="Extend the picture beyond its edges.",
    input_model=OutpaintInput, credits_per_image=2, order=50, run_local=run_local,
    editor_params=fields("left", "top", "right", "bottom", "prompt"),
    models=(
        ModelSpec(key="flux-fill-outpaint", label="FLUX.1 Fill [pro]", provider="fal",
                  endpoint="fal-ai/flux-pro/v1/fill", adapter=fal_fill, rank=80,
                  blurb="Extends the scene beyond the frame."),
        local_model("local-outpaint", "Local extend", seed=False,
                    blurb="Extends edges with matched colour and grain, seams feathered. " + LOCAL_NOTE),
    ),
))
