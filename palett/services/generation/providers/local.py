"""The local engine as a provider: made on this server, labelled as not AI.

Text-to-image is procedural art seeded by the prompt; an editing operation runs its own local runner
(services/generation/operations/<op>.py, built on local_ops: classical image processing plus a small
U²-Net for cut-outs).
"""

from __future__ import annotations

import asyncio

from PIL import Image

from palett.services.generation import operations
from palett.services.generation.catalog import pixel_size
from palett.services.generation.local_ops import engine as local_engine
from palett.services.generation.local_ops import heavy_work
from palett.services.generation.operations import EditInput, LocalRunner
from palett.services.generation.providers import Output, ProviderFailed, Result, RunContext
from palett.services.media import images
from palett.services.media.storage import get_storage
from palett.settings import get_settings

LABEL = "Palett local engine (not AI)"


def _sources(params: EditInput) -> dict[str, bytes]:
    """The stored files an edit reads (its image and every other `*_key` it names), fetched here so that
    the heavy-work process needs no storage."""
    storage = get_storage()
    keys = [v for name, v in params.model_dump().items() if name.endswith("_key") and v]
    return {key: storage.get(key) for key in keys}


# Pixels sent back beside the PNG up to 2048²; a 4K upscale's 48 MB would raise the caller's memory peak more
# than decoding its PNG there costs.
PIXELS_BACK_MAX = 2048 * 2048


def _output(img: Image.Image) -> Output:
    """PNG bytes and, when small enough, the pixels they hold: the pipeline labels the PNG and makes the
    thumbnail from the pixels without decoding the PNG again (~25 ms for 1024²)."""
    return Output(data=images.to_png(img, {}), image=img if img.width * img.height <= PIXELS_BACK_MAX else None)


def edit_output(run: LocalRunner, params: EditInput, sources: dict[str, bytes], max_pixels: int) -> Output:
    """One operation's local runner on the given files; runs in the heavy-work process."""

    def load(key: str) -> Image.Image:
        return images.open_safely(sources[key], max_pixels)

    return _output(run(params, load(params.image_key), load))


REFERENCE_TILE = 256
REFERENCE_STRENGTH = 0.8


def _style_reference(keys: list[str]) -> Image.Image | None:
    """The style references side by side (each scaled to one tile), so the transfer takes all of them in."""
    if not keys:
        return None
    storage, max_pixels = get_storage(), get_settings().max_output_pixels
    sheet = Image.new("RGB", (REFERENCE_TILE * len(keys), REFERENCE_TILE))
    for i, key in enumerate(keys):
        tile = images.open_safely(storage.get(key), max_pixels).convert("RGB")
        sheet.paste(tile.resize((REFERENCE_TILE, REFERENCE_TILE)), (i * REFERENCE_TILE, 0))
    return sheet


def render_output(prompt: str, seed: int, width: int, height: int, reference: Image.Image | None = None) -> Output:
    """The preview engine's picture, toned like the references if any; runs in the heavy-work process, where a
    hang can be stopped."""
    from palett.services.generation import local_ops

    img = local_engine.render(prompt, seed, width, height)
    if reference is not None:  # the references' colour and tone, not their content: not AI
        img = local_ops.style_from_reference(img, reference, strength=REFERENCE_STRENGTH)
    return _output(img)


class LocalProvider:
    async def run(self, ctx: RunContext) -> Result:
        args = ctx.arguments
        if "op" in args:
            op = operations.get(args["op"])
            if op is None or op.run_local is None:
                raise ProviderFailed("The local engine can't do that.")
            params = op.input_model.model_validate(args)
            if not isinstance(params, EditInput):
                raise ProviderFailed("The local engine can't do that.")
            await ctx.report(progress=0.1, logs=[f"Running {args['op'].replace('_', ' ')} on this server"])
            sources = await asyncio.to_thread(_sources, params)
            try:  # in the recycled heavy-work process: its memory goes back when it is done
                output = await heavy_work.pool.run(edit_output, op.run_local, params, sources,
                                                   get_settings().max_output_pixels)
            except ValueError as exc:  # the engine's own limits, worded for people
                raise ProviderFailed(str(exc)) from exc
            return Result(outputs=[output], meta={"engine": "local", "label": LABEL})
        width, height = pixel_size(args["size"])
        seed = int(args.get("seed") or 0)
        outputs = []
        count = int(args.get("num_images", 1))
        reference = await asyncio.to_thread(_style_reference, args.get("style_ref_keys") or [])
        for i in range(count):
            if await ctx.is_cancelled():
                raise ProviderFailed("Cancelled")
            await ctx.report(progress=i / count, logs=[f"Rendering image {i + 1} of {count}"])
            # The pipeline labels every output; no text needed here.
            outputs.append(await heavy_work.pool.run(render_output, args["prompt"], seed + i, width, height, reference))
        return Result(outputs=outputs, seed=seed, meta={"engine": "local", "label": LABEL})

    async def cancel(self, endpoint: str, request_id: str) -> None:
        return None
