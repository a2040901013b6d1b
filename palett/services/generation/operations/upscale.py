"""Upscale: 2x, 4x or to a 4K long side. UpscaleInput.output_size is the one place the target is computed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from PIL import Image

from palett.services.generation.catalog import Media, ModelSpec, SourceLookup
from palett.services.generation.local_ops import upscale
from palett.services.generation.operations._base import (
    LOCAL_NOTE,
    EditInput,
    Load,
    Operation,
    OpKey,
    local_model,
    register,
)


class UpscaleInput(EditInput):
    mode: Literal["2x", "4x", "4k"] = "2x"
    long_side: Literal[3840, 4096] = 4096

    def output_size(self) -> tuple[int, int]:
        w, h = self.source_width, self.source_height
        if self.mode == "4k":
            scale = self.long_side / max(w, h, 1)
        else:
            scale = 2 if self.mode == "2x" else 4
        return round(w * scale), round(h * scale)

    def bind_sources(self, lookup: SourceLookup) -> None:
        super().bind_sources(lookup)
        self.refuse_too_large()

    def finish(self, img: Image.Image) -> Image.Image:
        # Providers upscale by whole factors; deliver exactly the size the user was shown.
        size = self.output_size()
        return img if img.size == size else img.resize(size, Image.Resampling.LANCZOS)


def fal_esrgan(p: UpscaleInput, media: Media) -> dict[str, Any]:
    # ESRGAN at 2x or 4x; finish() then fits "to 4K" to the exact long side.
    return {"image_url": media.url(p.image_key), "scale": 2 if p.mode == "2x" else 4, "model": "RealESRGAN_x4plus",
            "output_format": "png"}


def run_local(p: UpscaleInput, img: Image.Image, load: Load) -> Image.Image:
    return upscale(img, long_side=max(p.output_size()))


def editor_params(form: Mapping[str, Any]) -> dict[str, Any]:
    return {"mode": form["upscale_mode"], "long_side": int(form["long_side"])}


OPERATION = register(Operation(
    key=OpKey.UPSCALE, label="Upscale", icon="maximize", hint="2×, 4× or straight to 4K.",
    input_model=UpscaleInput, order=30, run_local=run_local, editor_params=editor_params,
    models=(
        ModelSpec(key="esrgan", label="Real-ESRGAN", provider="fal", endpoint="fal-ai/esrgan", adapter=fal_esrgan,
                  seed=False, rank=80, blurb="AI upscaling that adds plausible detail."),
        local_model("local-lanczos", "Local Lanczos", seed=False,
                    blurb="Sharp Lanczos resampling with a light unsharp mask. " + LOCAL_NOTE),
    ),
))
