"""Text-to-image models: Fal (FLUX, Google's Nano Banana, Ideogram), OpenAI, and the local preview engine.

Each adapter turns our T2IInput into the exact JSON the endpoint documents; the published schema of every
endpoint is kept in tests/contracts/ and the tests hold each adapter to it (docs/providers.md).
"""

from __future__ import annotations

from typing import Any

from palett.services.generation.catalog import Media, ModelSpec, T2IInput, register

ASPECT_RATIOS = ("1:1", "16:9", "9:16", "4:3", "3:4", "21:9", "9:21")
NANO_BANANA_RATIOS = ("1:1", "16:9", "9:16", "4:3", "3:4", "3:2", "2:3", "21:9")
# OpenAI shut gpt-image-1 down on 2026-10-23; the SDK names the 2.5 models as its successors.
OPENAI_IMAGE_MODEL = "gpt-image-2.5-flare"
SUBJECT_STRENGTH = 0.5  # Ultra's image_prompt_strength (0..1): the prompt still decides the rest


def _seed(params: T2IInput) -> dict[str, Any]:
    return {"seed": params.seed} if params.seed is not None else {}


def flux_dev(p: T2IInput, _media: Media) -> dict[str, Any]:
    return {
        "prompt": p.prompt,
        "image_size": p.size,
        "num_inference_steps": p.steps,
        "guidance_scale": p.guidance,
        "num_images": p.num_images,
        "enable_safety_checker": True,
        "output_format": "png",
        **_seed(p),
    }


def flux_ultra(p: T2IInput, media: Media) -> dict[str, Any]:
    body: dict[str, Any] = {
        "prompt": p.prompt,
        "aspect_ratio": p.size,
        "num_images": p.num_images,
        "raw": p.style == "raw",
        "safety_tolerance": "2",  # Ultra has no enable_safety_checker; 1 (strict) .. 6 (permissive)
        "output_format": "png",
        **_seed(p),
    }
    if p.subject_ref_key:  # Ultra's image prompt: the picture guides subject and composition
        body["image_url"] = media.url(p.subject_ref_key)
        body["image_prompt_strength"] = SUBJECT_STRENGTH
    return body


def nano_banana(p: T2IInput, _media: Media) -> dict[str, Any]:
    # No negative prompt in this schema; 1K is the cheapest resolution and matches our other models.
    return {"prompt": p.prompt, "aspect_ratio": p.size, "num_images": p.num_images, "resolution": "1K",
            "safety_tolerance": "2", "output_format": "png", **_seed(p)}


def ideogram3(p: T2IInput, media: Media) -> dict[str, Any]:
    body: dict[str, Any] = {
        "prompt": p.prompt,
        "image_size": p.size,
        "num_images": p.num_images,
        "rendering_speed": "BALANCED",
        "style": (p.style or "AUTO"),
        **_seed(p),
    }
    if p.negative_prompt:
        body["negative_prompt"] = p.negative_prompt
    if p.style_ref_keys:  # Ideogram's style reference images (10 MB in total; ours are re-encoded uploads)
        body["image_urls"] = [media.url(key) for key in p.style_ref_keys]
    return body


def openai_image(p: T2IInput, _media: Media) -> dict[str, Any]:
    return {"model": OPENAI_IMAGE_MODEL, "prompt": p.prompt, "n": p.num_images, "size": p.size, "quality": "medium"}


def local_preview(p: T2IInput, _media: Media) -> dict[str, Any]:
    refs = {"style_ref_keys": p.style_ref_keys} if p.style_ref_keys else {}  # a colour/tone transfer, not AI
    return {"prompt": p.prompt, "size": p.size, "num_images": p.num_images, **_seed(p), **refs}


register(ModelSpec(
    key="flux-pro-ultra", label="FLUX 1.1 Pro Ultra", provider="fal", endpoint="fal-ai/flux-pro/v1.1-ultra",
    adapter=flux_ultra, sizes=ASPECT_RATIOS, styles=("raw",), subject_ref=True, rank=90,
    blurb="Black Forest Labs' flagship: up to 4 MP, photoreal. 'raw' gives a less processed look.",
))
register(ModelSpec(
    key="flux-dev", label="FLUX.1 dev", provider="fal", endpoint="fal-ai/flux/dev", adapter=flux_dev,
    steps=(1, 50, 28), guidance=(1.0, 20.0, 3.5), rank=80,
    blurb="Fast, versatile open-weights FLUX with steps and guidance control.",
))
register(ModelSpec(
    key="nano-banana-2", label="Nano Banana 2 (Google Gemini image)", provider="fal",
    endpoint="fal-ai/nano-banana-2", adapter=nano_banana, sizes=NANO_BANANA_RATIOS, rank=70,
    blurb="Google's current Gemini image model on Fal: strong prompt following and legible text.",
))
register(ModelSpec(
    key="ideogram3", label="Ideogram 3", provider="fal", endpoint="fal-ai/ideogram/v3", adapter=ideogram3,
    negative_prompt=True, styles=("AUTO", "GENERAL", "REALISTIC", "DESIGN"), style_refs=4, rank=60,
    blurb="Best-in-class text in images, posters and design styles.",
))
register(ModelSpec(
    key="gpt-image", label="GPT Image 2.5", provider="openai", endpoint="images.generate", adapter=openai_image,
    sizes=("1024x1024", "1536x1024", "1024x1536"), seed=False, rank=50,
    blurb="OpenAI's image model: strong prompt following.",
))
register(ModelSpec(
    key="local-preview", label="Local preview — not AI", provider="local", endpoint="local/procedural",
    adapter=local_preview, style_refs=4, rank=0,
    blurb="Procedural art seeded by your prompt, made on this server with no keys. Not AI: a stand-in to try "
          "the studio.",
))
