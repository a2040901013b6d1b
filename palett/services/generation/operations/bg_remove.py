"""Remove background: a transparent cut-out of the subject."""

from __future__ import annotations

from typing import Any

from PIL import Image

from palett.services.generation.catalog import Media, ModelSpec
from palett.services.generation.local_ops import remove_background
from palett.services.generation.operations._base import EditInput, Load, Operation, OpKey, local_model, register


class BgRemoveInput(EditInput):
    pass


def fal_birefnet(p: BgRemoveInput, media: Media) -> dict[str, Any]:
    return {"image_url": media.url(p.image_key), "model": "General Use (Light)",
            "operating_resolution": "1024x1024", "output_format": "png", "refine_foreground": True}


def run_local(p: BgRemoveInput, img: Image.Image, load: Load) -> Image.Image:
    return remove_background(img)


OPERATION = register(Operation(
    key=OpKey.BG_REMOVE, label="Remove background", icon="scissors", hint="A transparent cut-out of the subject.",
    input_model=BgRemoveInput, order=10, run_local=run_local,
    models=(
        ModelSpec(key="birefnet", label="BiRefNet v2", provider="fal", endpoint="fal-ai/birefnet/v2",
                  adapter=fal_birefnet, seed=False, rank=80, blurb="Precise cut-outs with hair-level edges."),
        local_model("local-u2netp", "Local cut-out (U²-Net small)", seed=False,
                    blurb="A small segmentation network running on this server's CPU."),
    ),
))
