"""Text-to-image models: Fal (FLUX, Imagen, Ideogram), OpenAI, and the local preview engine.

Each adapter turns our T2IInput into the exact JSON the endpoint documents.
"""

from __future__ import annotations

from typing import Any

from palett.services.catalog import Media, ModelSpec, T2IInput, register

ASPECT_RATIOS = ("1:1", "16:9", "9:16", "4:3", "3:4", "21:9", "9:21")


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


def flux_ultra(p: T2IInput, _media: Media) -> dict[str, Any]:
    return {
        "prompt": p.prompt,
        "aspect_ratio": p.size,
        "num_images": p.num_images,
        "raw": p.style == "raw",
        "enable_safety_checker": True,
        "output_format": "png",
        **_seed(p),
    }


def imagen4(p: T2IInput, _media: Media) -> dict[str, Any]:
    body: dict[str, Any] = {"prompt": p.prompt, "aspect_ratio": p.size, "num_images": p.num_images}
    if p.negative_prompt:
        body["negative_prompt"] = p.negative_prompt
    return body


def ideogram3(p: T2IInput, _media: Media) -> dict[str, Any]:
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
    return body


def openai_image(p: T2IInput, _media: Media) -> dict[str, Any]:
    return {"model": "gpt-image-1", "prompt": p.prompt, "n": p.num_images, "size": p.size, "quality": "medium"}


def local_preview(p: T2IInput, _media: Media) -> dict[str, Any]:
    return {"prompt": p.prompt, "size": p.size, "num_images": p.num_images, **_seed(p)}


register(ModelSpec(
    key="flux-pro-ultra", label="FLUX 1.1 Pro Ultra", provider="fal", endpoint="fal-ai/flux-pro/v1.1-ultra",
    adapter=flux_ultra, sizes=ASPECT_RATIOS, styles=("raw",), rank=90,
    blurb="Black Forest Labs' flagship: up to 4 MP, photoreal. 'raw' gives a less processed look.",
))
register(ModelSpec(
    key="flux-dev", label="FLUX.1 dev", provider="fal", endpoint="fal-ai/flux/dev", adapter=flux_dev,
    steps=(1, 50, 28), guidance=(1.0, 20.0, 3.5), rank=80,
    blurb="Fast, versatile open-weights FLUX with steps and guidance control.",
))
register(ModelSpec(
    key="imagen4", label="Imagen 4", provider="fal", endpoint="fal-ai/imagen4/preview", adapter=imagen4,
    sizes=("1:1", "16:9", "9:16", "4:3", "3:4"), negative_prompt=True, seed=False, rank=70,
    blurb="Google's Imagen 4: crisp detail and good typography.",
))
register(ModelSpec(
    key="ideogram3", label="Ideogram 3", provider="fal", endpoint="fal-ai/ideogram/v3", adapter=ideogram3,
    negative_prompt=True, styles=("AUTO", "GENERAL", "REALISTIC", "DESIGN"), rank=60,
    blurb="Best-in-class text in images, posters and design styles.",
))
register(ModelSpec(
    key="gpt-image", label="GPT Image", provider="openai", endpoint="images.generate", adapter=openai_image,
    sizes=("1024x1024", "1536x1024", "1024x1536"), seed=False, rank=50,
    blurb="OpenAI's image model: strong prompt following.",
))
register(ModelSpec(
    key="local-preview", label="Local preview — not AI", provider="local", endpoint="local/procedural",
    adapter=local_preview, rank=0,
    blurb="Procedural art seeded by your prompt, made on this server with no keys. Not AI: a stand-in to try "
          "the studio.",
))
