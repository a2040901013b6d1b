"""The local engine as a provider: made on this server, labelled as not AI.

Text-to-image is procedural art seeded by the prompt; the editing tools are classical
image processing from services/local_ops (plus a small U²-Net for cut-outs).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from PIL import Image

from palett.services.generation.catalog import pixel_size
from palett.services.generation.local_ops import engine as local_engine
from palett.services.generation.local_ops import heavy_work
from palett.services.generation.providers import Output, ProviderFailed, Result, RunContext
from palett.services.media import images
from palett.services.media.storage import get_storage
from palett.settings import get_settings

LABEL = "Palett local engine (not AI)"


def _load(key: str) -> Image.Image:
    return images.open_safely(get_storage().get(key), get_settings().max_output_pixels)


def _hex(color: str) -> tuple[int, int, int]:
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


SOURCE_KEYS = ("image", "background_key", "mask_key", "reference_key")


def _sources(args: dict[str, Any]) -> dict[str, bytes]:
    """The stored files an edit reads, fetched here so that the heavy-work process needs no storage."""
    storage = get_storage()
    return {args[k]: storage.get(args[k]) for k in SOURCE_KEYS if args.get(k)}


def edit_png(args: dict[str, Any], sources: dict[str, bytes], max_pixels: int) -> bytes:
    """run_edit on the given files, as PNG bytes; runs in the heavy-work process (see heavy_work)."""
    img = run_edit(args, lambda key: images.open_safely(sources[key], max_pixels))
    return images.to_png(img, {})


def render_png(prompt: str, seed: int, width: int, height: int) -> bytes:
    """The preview engine's picture as PNG bytes; runs in the heavy-work process, where a hang can be stopped."""
    return images.to_png(local_engine.render(prompt, seed, width, height), {})


def run_edit(args: dict[str, Any], load: Callable[[str], Image.Image] = _load) -> Image.Image:
    """One editing operation on the source image (blocking)."""
    from palett.services.generation import local_ops

    op, img = args["op"], load(args["image"])
    if op == "bg_remove":
        return local_ops.remove_background(img)
    if op == "bg_replace":
        if args["mode"] == "color":
            return local_ops.replace_background(img, color=_hex(args["color"]))
        if args["mode"] == "image":
            return local_ops.replace_background(img, background=load(args["background_key"]))
        back = local_ops.prompt_background(args["prompt"], 0, img.size)
        return local_ops.replace_background(img, background=back)
    if op == "upscale":
        if args["mode"] == "4k":
            return local_ops.upscale(img, long_side=int(args["long_side"]))
        return local_ops.upscale(img, factor=2 if args["mode"] == "2x" else 4)
    if op == "inpaint":
        return local_ops.inpaint(img, load(args["mask_key"]).convert("L"))
    if op == "outpaint":
        return local_ops.outpaint(img, left=args["left"], top=args["top"], right=args["right"],
                                  bottom=args["bottom"])
    if op == "style":
        if args["style"] == "reference":
            return local_ops.style_from_reference(img, load(args["reference_key"]))
        return local_ops.stylize(img, args["style"])
    if op == "restore":
        return local_ops.restore(img, strength=float(args.get("strength", 0.7)))
    if op == "i2i":
        art = local_engine.render(args["prompt"], int(args.get("seed") or 0), *img.size)
        toned = local_ops.style_from_reference(img.convert("RGB"), art)
        return Image.blend(toned, art, float(args["strength"]) * 0.5)
    raise ProviderFailed("The local engine can't do that.")


class LocalProvider:
    async def run(self, ctx: RunContext) -> Result:
        args = ctx.arguments
        if "op" in args:
            await ctx.report(progress=0.1, logs=[f"Running {args['op'].replace('_', ' ')} on this server"])
            sources = await asyncio.to_thread(_sources, args)
            try:  # in the recycled heavy-work process: its memory goes back when it is done
                data = await heavy_work.pool.run(edit_png, args, sources, get_settings().max_output_pixels)
            except ValueError as exc:  # the engine's own limits, worded for people
                raise ProviderFailed(str(exc)) from exc
            return Result(outputs=[Output(data=data)], meta={"engine": "local", "label": LABEL})
        width, height = pixel_size(args["size"])
        seed = int(args.get("seed") or 0)
        outputs = []
        count = int(args.get("num_images", 1))
        for i in range(count):
            if await ctx.is_cancelled():
                raise ProviderFailed("Cancelled")
            await ctx.report(progress=i / count, logs=[f"Rendering image {i + 1} of {count}"])
            # The pipeline re-encodes every output with its label; no text needed here.
            outputs.append(Output(data=await heavy_work.pool.run(render_png, args["prompt"], seed + i, width, height)))
        return Result(outputs=outputs, seed=seed, meta={"engine": "local", "label": LABEL})

    async def cancel(self, endpoint: str, request_id: str) -> None:
        return None
