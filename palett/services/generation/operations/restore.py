"""Restore: denoise, fix colour cast and contrast, sharpen; faces where the model offers it."""

from __future__ import annotations

from typing import Any

from PIL import Image
from pydantic import Field

from palett.services.generation.catalog import Media, ModelSpec
from palett.services.generation.local_ops import restore
from palett.services.generation.operations._base import (
    LOCAL_NOTE,
    Control,
    EditInput,
    Load,
    Operation,
    OpKey,
    local_model,
    register,
)


class RestoreInput(EditInput):
    strength: float = Field(default=0.7, ge=0.0, le=1.0)
    faces: bool = True


def fal_codeformer(p: RestoreInput, media: Media) -> dict[str, Any]:
    return {"image_url": media.url(p.image_key), "fidelity": round(1 - p.strength * 0.5, 2),
            "upscale_factor": 1,  # restore, do not enlarge: the default (2) can pass the storage pixel cap
            "face_upscale": p.faces, "only_center_face": False}


def run_local(p: RestoreInput, img: Image.Image, load: Load) -> Image.Image:
    return restore(img, strength=p.strength)


OPERATION = register(Operation(
    key=OpKey.RESTORE, label="Restore", icon="history", hint="Denoise, fix colour cast and contrast, sharpen.",
    input_model=RestoreInput, order=70, run_local=run_local,
    controls=(Control("strength", "Strength"), Control("faces", "Restore faces (where the model offers it)")),
    models=(
        ModelSpec(key="codeformer", label="CodeFormer", provider="fal", endpoint="fal-ai/codeformer",
                  adapter=fal_codeformer, seed=False, rank=80,
                  blurb="Restores faces and detail in old or damaged photos."),
        local_model("local-restore", "Local restoration", seed=False,
                    blurb="Denoise, white balance, levels, local contrast and sharpening. " + LOCAL_NOTE),
    ),
))
