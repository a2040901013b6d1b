"""Image to image: steer the whole image with a prompt; strength says how much may change."""

from __future__ import annotations

from typing import Any

from PIL import Image
from pydantic import Field

from palett.services.generation.catalog import Media, ModelSpec
from palett.services.generation.local_ops import engine, style_from_reference
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


class I2IInput(EditInput):
    prompt: str = Field(min_length=1, max_length=2000)
    strength: float = Field(default=0.85, ge=0.05, le=1.0)
    seed: int | None = Field(default=None, ge=0, le=2**31 - 1)


def fal_flux_i2i(p: I2IInput, media: Media) -> dict[str, Any]:
    return {"image_url": media.url(p.image_key), "prompt": p.prompt, "strength": p.strength,
            "num_inference_steps": 40, "guidance_scale": 3.5, "num_images": 1, "enable_safety_checker": True,
            "output_format": "png", **seed_of(p)}


def run_local(p: I2IInput, img: Image.Image, load: Load) -> Image.Image:
    # Procedural art from the prompt, blended over the image toned to the art's colours.
    art = engine.render(p.prompt, p.seed or 0, *img.size)
    toned = style_from_reference(img.convert("RGB"), art)
    return Image.blend(toned, art, p.strength * 0.5)


OPERATION = register(Operation(
    key=OpKey.I2I, label="Image to image", icon="images", hint="Steer the whole image with a prompt.",
    input_model=I2IInput, credits_per_image=2, order=80, run_local=run_local,
    controls=(Control("prompt", "Prompt", placeholder="The same scene as a snowy winter evening", lines=3),
              Control("strength", "How much may change")),
    models=(
        ModelSpec(key="flux-i2i", label="FLUX.1 dev image-to-image", provider="fal",
                  endpoint="fal-ai/flux/dev/image-to-image", adapter=fal_flux_i2i, rank=80,
                  blurb="Re-imagine your image with a prompt; lower strength keeps more."),
        local_model("local-i2i", "Local palette remix",
                    blurb="Blends your image with procedural art from the prompt's colours. " + LOCAL_NOTE),
    ),
))
