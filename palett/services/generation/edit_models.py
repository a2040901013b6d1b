"""Editing tools: their inputs, the models that serve them, and adapters to each endpoint's schema.

Every tool runs on Fal (real AI) when FAL_KEY is set and on the local engine (classical
image processing, labelled "Local") always. Input images reach providers through
services/media_inputs.py (signed URL, presigned S3 URL or an upload to Fal storage), never a public folder.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from PIL import Image
from pydantic import Field

from palett.services.common.errors import UserError
from palett.services.generation.catalog import Media, ModelSpec, OpInput, SourceLookup, register
from palett.services.generation.local_ops.style import STYLES as LOCAL_STYLES
from palett.services.media import images
from palett.services.media.storage import get_storage, new_key

MAX_SIDE = 8192
HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
STYLE_PROMPTS = {
    "watercolor": "a delicate watercolor painting, soft washes, paper texture",
    "oil": "an oil painting with visible brush strokes, rich impasto",
    "pencil": "a detailed graphite pencil sketch, cross-hatching",
    "cartoon": "a clean cartoon illustration, bold outlines, flat colours",
    "vivid": "a vivid, high-contrast photograph with saturated colours",
    "noir": "a black and white film noir photograph, dramatic shadows",
}


class EditInput(OpInput):
    """An operation on one of the user's images (referenced by gallery id)."""

    image_id: int
    image_key: str = ""  # filled by the pipeline; never trusted from the client
    source_width: int = 0
    source_height: int = 0

    def bind_sources(self, lookup: SourceLookup) -> None:
        source = lookup("image", self.image_id)
        self.image_key, self.source_width, self.source_height = source.key, source.width, source.height

    def check(self, spec: ModelSpec) -> None:
        super().check(spec)
        if self.num_images != 1:
            raise UserError("unsupported", model=spec.label, what="more than one result")


class I2IInput(EditInput):
    prompt: str = Field(min_length=1, max_length=2000)
    strength: float = Field(default=0.85, ge=0.05, le=1.0)
    seed: int | None = Field(default=None, ge=0, le=2**31 - 1)


class BgRemoveInput(EditInput):
    pass


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


class UpscaleInput(EditInput):
    mode: Literal["2x", "4x", "4k"] = "2x"
    long_side: Literal[3840, 4096] = 4096

    def target(self) -> tuple[int, int]:
        w, h = self.source_width, self.source_height
        if self.mode == "4k":
            scale = self.long_side / max(w, h, 1)
        else:
            scale = 2 if self.mode == "2x" else 4
        return round(w * scale), round(h * scale)

    def bind_sources(self, lookup: SourceLookup) -> None:
        super().bind_sources(lookup)
        w, h = self.target()
        if max(w, h) > MAX_SIDE:
            raise UserError("too_large_output", width=w, height=h, limit=MAX_SIDE)


    def finish(self, img: Image.Image) -> Image.Image:
        # Providers upscale by whole factors; deliver exactly the size the user was shown.
        size = self.target()
        return img if img.size == size else img.resize(size, Image.Resampling.LANCZOS)


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

    def bind_sources(self, lookup: SourceLookup) -> None:
        super().bind_sources(lookup)
        w = self.source_width + self.left + self.right
        h = self.source_height + self.top + self.bottom
        if w == self.source_width and h == self.source_height:
            raise UserError("invalid_input", field="size", detail="extend at least one side")
        if max(w, h) > MAX_SIDE:
            raise UserError("too_large_output", width=w, height=h, limit=MAX_SIDE)


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


class StyleInput(EditInput):
    style: str = "watercolor"
    reference_id: int | None = None
    reference_key: str = ""
    strength: float = Field(default=0.6, ge=0.1, le=1.0)

    def bind_sources(self, lookup: SourceLookup) -> None:
        super().bind_sources(lookup)
        if self.style == "reference":
            if self.reference_id is None:
                raise UserError("invalid_input", field="reference", detail="pick a reference image")
            self.reference_key = lookup("image", self.reference_id).key

    def check(self, spec: ModelSpec) -> None:
        super().check(spec)
        if self.style not in spec.styles:
            raise UserError("unsupported", model=spec.label, what=f"the style {self.style}")


class RestoreInput(EditInput):
    strength: float = Field(default=0.7, ge=0.0, le=1.0)
    faces: bool = True


# ---- Fal adapters ---------------------------------------------------------------------------------------


def _seed(p: Any) -> dict[str, Any]:
    return {"seed": p.seed} if getattr(p, "seed", None) is not None else {}


def fal_i2i(p: I2IInput, media: Media) -> dict[str, Any]:
    return {"image_url": media.url(p.image_key), "prompt": p.prompt, "strength": p.strength,
            "num_inference_steps": 40, "guidance_scale": 3.5, "num_images": 1, "enable_safety_checker": True,
            "output_format": "png", **_seed(p)}


def fal_bg_remove(p: BgRemoveInput, media: Media) -> dict[str, Any]:
    return {"image_url": media.url(p.image_key), "model": "General Use (Light)",
            "operating_resolution": "1024x1024", "output_format": "png", "refine_foreground": True}


def fal_bg_replace(p: BgReplaceInput, media: Media) -> dict[str, Any]:
    body: dict[str, Any] = {"image_url": media.url(p.image_key), "refine_prompt": True, "fast": False,
                            "num_images": 1}
    if p.mode == "image":
        body["ref_image_url"] = media.url(p.background_key)
    else:
        body["prompt"] = p.prompt
    return body


def fal_upscale(p: UpscaleInput, media: Media) -> dict[str, Any]:
    # ESRGAN at 4x, then the pipeline fits "to 4K" to the exact long side (UpscaleInput.target).
    return {"image_url": media.url(p.image_key), "scale": 2 if p.mode == "2x" else 4, "model": "RealESRGAN_x4plus",
            "output_format": "png"}


def fal_fill(p: InpaintInput | OutpaintInput, media: Media) -> dict[str, Any]:
    image = p.canvas_key if isinstance(p, OutpaintInput) else p.image_key
    prompt = p.prompt or ("extend the scene naturally" if isinstance(p, OutpaintInput) else "")
    return {"image_url": media.url(image), "mask_url": media.url(p.mask_key), "prompt": prompt,
            "num_images": 1, "safety_tolerance": "2", "output_format": "png", **_seed(p)}


def fal_style(p: StyleInput, media: Media) -> dict[str, Any]:
    return {"image_url": media.url(p.image_key), "prompt": f"the same scene as {STYLE_PROMPTS[p.style]}",
            "strength": p.strength, "num_inference_steps": 40, "guidance_scale": 3.5, "num_images": 1,
            "output_format": "png"}


def fal_restore(p: RestoreInput, media: Media) -> dict[str, Any]:
    return {"image_url": media.url(p.image_key), "fidelity": round(1 - p.strength * 0.5, 2),
            "upscale_factor": 1,  # restore, do not enlarge: the default (2) can pass the storage pixel cap
            "face_upscale": p.faces, "only_center_face": False}


# ---- local adapters: the local provider reads `op` and the storage keys ----------------------------------


def local(op: str) -> Any:
    def adapter(p: EditInput, media: Media) -> dict[str, Any]:
        return {"op": op, **p.model_dump(), "image": media.url(p.image_key)}

    return adapter


LOCAL_NOTE = "Runs on this server with classical image processing — not AI."

for spec in (
    ModelSpec(key="flux-i2i", label="FLUX.1 dev image-to-image", provider="fal",
              endpoint="fal-ai/flux/dev/image-to-image", adapter=fal_i2i, operation="i2i", input_model=I2IInput,
              credits_per_image=2, rank=80, blurb="Re-imagine your image with a prompt; lower strength keeps more."),
    ModelSpec(key="local-i2i", label="Local palette remix", provider="local", endpoint="local/i2i",
              adapter=local("i2i"), operation="i2i", input_model=I2IInput, credits_per_image=2,
              blurb="Blends your image with procedural art from the prompt's colours. " + LOCAL_NOTE),
    ModelSpec(key="birefnet", label="BiRefNet v2", provider="fal", endpoint="fal-ai/birefnet/v2",
              adapter=fal_bg_remove, operation="bg_remove", input_model=BgRemoveInput, seed=False, rank=80,
              blurb="Precise cut-outs with hair-level edges."),
    ModelSpec(key="local-u2netp", label="Local cut-out (U²-Net small)", provider="local", endpoint="local/u2netp",
              adapter=local("bg_remove"), operation="bg_remove", input_model=BgRemoveInput, seed=False,
              blurb="A small segmentation network running on this server's CPU."),
    ModelSpec(key="bria-replace", label="Bria background replace", provider="fal",
              endpoint="fal-ai/bria/background/replace", adapter=fal_bg_replace, operation="bg_replace",
              input_model=BgReplaceInput, credits_per_image=2, seed=False, rank=80,
              extra={"modes": ("prompt", "image")}, blurb="A new background from a prompt or a reference image."),
    ModelSpec(key="local-replace", label="Local composite", provider="local", endpoint="local/bg_replace",
              adapter=local("bg_replace"), operation="bg_replace", input_model=BgReplaceInput, credits_per_image=2,
              seed=False, extra={"modes": ("color", "image", "prompt")},
              blurb="Cut-out composited over a colour, your photo, or procedural art. " + LOCAL_NOTE),
    ModelSpec(key="esrgan", label="Real-ESRGAN", provider="fal", endpoint="fal-ai/esrgan", adapter=fal_upscale,
              operation="upscale", input_model=UpscaleInput, seed=False, rank=80,
              blurb="AI upscaling that adds plausible detail."),
    ModelSpec(key="local-lanczos", label="Local Lanczos", provider="local", endpoint="local/lanczos",
              adapter=local("upscale"), operation="upscale", input_model=UpscaleInput, seed=False,
              blurb="Sharp Lanczos resampling with a light unsharp mask. " + LOCAL_NOTE),
    ModelSpec(key="flux-fill", label="FLUX.1 Fill [pro]", provider="fal", endpoint="fal-ai/flux-pro/v1/fill",
              adapter=fal_fill, operation="inpaint", input_model=InpaintInput, credits_per_image=2, rank=80,
              extra={"needs_prompt": True}, blurb="Fills the painted area following your prompt."),
    ModelSpec(key="local-inpaint", label="Local inpaint (Telea)", provider="local", endpoint="local/inpaint",
              adapter=local("inpaint"), operation="inpaint", input_model=InpaintInput, credits_per_image=2,
              seed=False, blurb="Removes what you paint by filling from the surroundings. " + LOCAL_NOTE),
    ModelSpec(key="flux-fill-outpaint", label="FLUX.1 Fill [pro]", provider="fal", endpoint="fal-ai/flux-pro/v1/fill",
              adapter=fal_fill, operation="outpaint", input_model=OutpaintInput, credits_per_image=2, rank=80,
              blurb="Extends the scene beyond the frame."),
    ModelSpec(key="local-outpaint", label="Local extend", provider="local", endpoint="local/outpaint",
              adapter=local("outpaint"), operation="outpaint", input_model=OutpaintInput, credits_per_image=2,
              seed=False, blurb="Extends edges with matched colour and grain, seams feathered. " + LOCAL_NOTE),
    ModelSpec(key="flux-style", label="FLUX.1 dev style", provider="fal", endpoint="fal-ai/flux/dev/image-to-image",
              adapter=fal_style, operation="style", input_model=StyleInput, credits_per_image=2, seed=False,
              styles=tuple(STYLE_PROMPTS), rank=80, blurb="Repaints your image in the chosen style."),
    ModelSpec(key="local-style", label="Local style effects", provider="local", endpoint="local/style",
              adapter=local("style"), operation="style", input_model=StyleInput, credits_per_image=2, seed=False,
              styles=(*LOCAL_STYLES, "reference"),
              blurb="OpenCV stylisation; a reference image transfers its colours and tones. " + LOCAL_NOTE),
    ModelSpec(key="codeformer", label="CodeFormer", provider="fal", endpoint="fal-ai/codeformer",
              adapter=fal_restore, operation="restore", input_model=RestoreInput, seed=False, rank=80,
              blurb="Restores faces and detail in old or damaged photos."),
    ModelSpec(key="local-restore", label="Local restoration", provider="local", endpoint="local/restore",
              adapter=local("restore"), operation="restore", input_model=RestoreInput, seed=False,
              blurb="Denoise, white balance, levels, local contrast and sharpening. " + LOCAL_NOTE),
):
    register(spec)
