"""Replace background: the subject on a colour, a photo of yours or a new scene from a prompt."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal

from PIL import Image
from pydantic import Field

from palett.services.common.errors import UserError
from palett.services.generation.catalog import Media, ModelSpec, SourceLookup
from palett.services.generation.local_ops import prompt_background, replace_background
from palett.services.generation.operations._base import (
    LOCAL_NOTE,
    EditInput,
    Load,
    Operation,
    OpKey,
    local_model,
    register,
)

HEX = re.compile(r"^#[0-9a-fA-F]{6}$")


class BgReplaceInput(EditInput):
    mode: Literal["color", "image", "prompt"] = "color"
    color: str = "#ffffff"
    background_id: int | None = None
    background_key: str = ""
    prompt: str = Field(default="", max_length=1000)

    def bind_sources(self, lookup: SourceLookup) -> None:
        super().bind_sources(lookup)
        if self.mode == "image":
            if self.background_id is None:
                raise UserError("invalid_input", field="background", detail="pick a background image")
            self.background_key = lookup("image", self.background_id).key

    def check(self, spec: ModelSpec) -> None:
        super().check(spec)
        if self.mode not in spec.extra.get("modes", ()):
            raise UserError("unsupported", model=spec.label, what=f"a {self.mode} background")
        if self.mode == "color" and not HEX.match(self.color):
            raise UserError("invalid_input", field="colour", detail="use a colour like #1e293b")
        if self.mode == "prompt" and not self.prompt.strip():
            raise UserError("invalid_input", field="prompt", detail="describe the new background")


def fal_bria(p: BgReplaceInput, media: Media) -> dict[str, Any]:
    body: dict[str, Any] = {"image_url": media.url(p.image_key), "refine_prompt": True, "fast": False,
                            "num_images": 1}
    if p.mode == "image":
        body["ref_image_url"] = media.url(p.background_key)
    else:
        body["prompt"] = p.prompt
    return body


def run_local(p: BgReplaceInput, img: Image.Image, load: Load) -> Image.Image:
    if p.mode == "color":
        rgb = int(p.color[1:3], 16), int(p.color[3:5], 16), int(p.color[5:7], 16)
        return replace_background(img, color=rgb)
    if p.mode == "image":
        return replace_background(img, background=load(p.background_key))
    return replace_background(img, background=prompt_background(p.prompt, 0, img.size))


def editor_params(form: Mapping[str, Any]) -> dict[str, Any]:
    """Only the chosen mode's setting: a colour, a photo (0 = none picked) or a prompt."""
    mode = form["bg_mode"]
    if mode == "color":
        return {"mode": mode, "color": form["color"]}
    if mode == "image":
        return {"mode": mode, "background_id": form["background_id"] or None}
    return {"mode": mode, "prompt": form["prompt"]}


OPERATION = register(Operation(
    key=OpKey.BG_REPLACE, label="Replace background", icon="layers",
    hint="Put the subject on a colour, a photo or a new scene.", input_model=BgReplaceInput, credits_per_image=2,
    order=20, run_local=run_local, editor_params=editor_params,
    models=(
        ModelSpec(key="bria-replace", label="Bria background replace", provider="fal",
                  endpoint="fal-ai/bria/background/replace", adapter=fal_bria, seed=False, rank=80,
                  extra={"modes": ("prompt", "image")}, blurb="A new background from a prompt or a reference image."),
        local_model("local-replace", "Local composite", endpoint="local/bg_replace", seed=False,
                    extra={"modes": ("color", "image", "prompt")},
                    blurb="Cut-out composited over a colour, your photo, or procedural art. " + LOCAL_NOTE),
    ),
))
