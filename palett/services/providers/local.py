"""The local preview engine as a provider: procedural images made here, labelled as not AI."""

from __future__ import annotations

import asyncio

from palett.services import images, local_engine
from palett.services.catalog import pixel_size
from palett.services.providers import Output, ProviderFailed, Result, RunContext

LABEL = "Palett local preview (procedural, not AI)"


class LocalProvider:
    async def run(self, ctx: RunContext) -> Result:
        args = ctx.arguments
        width, height = pixel_size(args["size"])
        seed = int(args.get("seed") or 0)
        outputs = []
        count = int(args.get("num_images", 1))
        for i in range(count):
            if await ctx.is_cancelled():
                raise ProviderFailed("Cancelled")
            await ctx.report(progress=i / count, logs=[f"Rendering image {i + 1} of {count}"])
            img = await asyncio.to_thread(local_engine.render, args["prompt"], seed + i, width, height)
            # The pipeline re-encodes every output with its label; no text needed here.
            outputs.append(Output(data=await asyncio.to_thread(images.to_png, img, {})))
        return Result(outputs=outputs, seed=seed, meta={"engine": "local", "label": LABEL})

    async def cancel(self, endpoint: str, request_id: str) -> None:
        return None
