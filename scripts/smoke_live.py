"""An operator's smoke test: the cheapest call of every Fal and OpenAI catalog entry, once, with real keys.

    make smoke-live            # FAL_KEY and/or OPENAI_API_KEY in the environment or .env; spends real money

The prompt tools (Enhance prompt, Describe image) get one short call each and must answer some text.
Each image entry gets one image at its smallest size (edit tools a small generated picture, uploaded to Fal's storage
like the app does), through the same adapters and providers as the app; outputs are downloaded and decoded.
It prints what worked, our credit price and the latency, and exits 1 when anything failed. An entry whose key
is missing is skipped. The dollar cost of a run is on the provider's dashboard (Fal: Billing -> Usage).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from palett.services.generation import catalog, prompt_models
from palett.services.generation.providers import ProviderFailed, RunContext, get_provider, text_tools
from palett.services.media.fetch import fetch_bytes
from palett.settings import get_settings

SOURCE, MASK, CANVAS, BACKGROUND = "smoke/source.png", "smoke/mask.png", "smoke/canvas.png", "smoke/back.png"
SIDE, PAD = 256, 32
# The cheapest valid form per editing tool (one result, the smallest sensible work).
EDIT_FORMS: dict[str, dict[str, Any]] = {
    "i2i": {"prompt": "as a watercolor", "strength": 0.6},
    "bg_remove": {},
    "bg_replace": {"mode": "prompt", "prompt": "a plain studio backdrop"},
    "upscale": {"mode": "2x"},
    "inpaint": {"mask_key": MASK, "prompt": "a red ball"},
    "outpaint": {"left": PAD, "right": PAD, "canvas_key": CANVAS, "mask_key": MASK},
    "style": {"style": "pencil", "strength": 0.5},
    "restore": {"strength": 0.5},
}


def _png(img: Image.Image) -> bytes:
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def _pictures() -> dict[str, bytes]:
    """A small test card (a figure on a background), its centre mask and a padded canvas for outpainting."""
    source = Image.new("RGB", (SIDE, SIDE), (70, 110, 160))
    ImageDraw.Draw(source).ellipse((64, 48, 192, 224), fill=(230, 190, 150))
    mask = Image.new("L", (SIDE, SIDE), 0)
    ImageDraw.Draw(mask).rectangle((96, 96, 160, 160), fill=255)
    canvas = Image.new("RGB", (SIDE + 2 * PAD, SIDE), (127, 127, 127))
    canvas.paste(source, (PAD, 0))
    canvas_mask = Image.new("L", canvas.size, 255)
    canvas_mask.paste(0, (PAD, 0, PAD + SIDE, SIDE))
    return {SOURCE: _png(source), MASK: _png(mask), CANVAS: _png(canvas), BACKGROUND: _png(source.rotate(90)),
            "smoke/canvas-mask.png": _png(canvas_mask)}


class UploadingMedia:
    """Like the app without a public URL: each input goes to Fal's storage through fal_client."""

    def __init__(self) -> None:
        self.pictures = _pictures()

    def url(self, key: str) -> str:
        from palett.services.generation.providers.fal import upload_input

        return upload_input(self.pictures[key], "image/png", key.rsplit("/", 1)[1])


@dataclass
class Row:
    key: str
    endpoint: str
    status: str
    credits: int = 0
    seconds: float = 0.0
    detail: str = ""


def cheapest_form(spec: catalog.ModelSpec) -> dict[str, Any]:
    if spec.operation != "t2i":
        form: dict[str, Any] = {"image_id": 0, "image_key": SOURCE, "source_width": SIDE, "source_height": SIDE,
                **EDIT_FORMS[spec.operation]}
        if spec.operation == "outpaint":
            form["mask_key"] = "smoke/canvas-mask.png"
        return form
    size = min(spec.sizes, key=lambda s: catalog.pixel_size(s)[0] * catalog.pixel_size(s)[1])
    return {"prompt": "a lighthouse on a cliff at dusk", "size": size, "num_images": 1}


def _missing_key(spec: catalog.ModelSpec) -> str:
    missing = catalog.missing_setting(spec, get_settings())  # an operator's tool: name the setting
    return f"Needs {missing}" if missing else ""


async def _nothing(**_: Any) -> None:
    return None


async def _never() -> bool:
    return False


async def run_one(spec: catalog.ModelSpec, media: UploadingMedia, poll: float) -> Row:
    row = Row(spec.key, spec.endpoint, "skipped")
    if reason := _missing_key(spec):
        row.detail = reason
        return row
    started = time.monotonic()
    try:
        params = spec.validate(cheapest_form(spec))
        row.credits = spec.cost(params)
        arguments = await asyncio.to_thread(spec.adapter, params, media)
        ctx = RunContext(job_id=0, endpoint=spec.endpoint, arguments=arguments, report=_nothing,
                         is_cancelled=_never, poll_interval=poll)
        result = await get_provider(spec.provider).run(ctx)
        sizes = []
        for output in result.outputs:
            data = output.data if output.data is not None else await fetch_bytes(output.url or "")
            sizes.append("x".join(map(str, Image.open(io.BytesIO(data)).size)))
        row.status, row.detail = "ok", f"{len(sizes)} image(s) {', '.join(sizes)}"
    except ProviderFailed as exc:
        row.status, row.detail = "FAILED", f"{exc.message} {exc}"[:300]
    except Exception as exc:  # report every entry, whatever breaks
        row.status, row.detail = "FAILED", repr(exc)[:300]
    row.seconds = time.monotonic() - started
    return row


async def run_prompt_tool(tool: prompt_models.PromptModel, media: UploadingMedia) -> Row:
    row = Row(tool.key, tool.endpoint, "skipped", tool.credits)
    if not prompt_models.available(tool, get_settings()):
        row.detail = f"Needs {'FAL_KEY' if tool.provider == 'fal' else 'OPENAI_API_KEY'}"
        return row
    started = time.monotonic()
    try:
        image = await asyncio.to_thread(media.url, SOURCE) if tool.operation == "describe" else ""
        inp = prompt_models.ToolInput(prompt="a lighthouse on a cliff", image=image)
        text = tool.reader(await text_tools.call(tool, tool.adapter(inp))).strip()
        row.status, row.detail = ("ok", f"{len(text)} characters: {text[:60]}") if text else ("FAILED", "no text")
    except ProviderFailed as exc:
        row.status, row.detail = "FAILED", f"{exc.message} {exc}"[:300]
    except Exception as exc:  # report every entry, whatever breaks
        row.status, row.detail = "FAILED", repr(exc)[:300]
    row.seconds = time.monotonic() - started
    return row


async def smoke(poll: float = 0.5, only: str = "") -> list[Row]:
    catalog._load()
    media = UploadingMedia()
    specs = [s for s in sorted(catalog._REGISTRY.values(), key=lambda s: (s.operation, s.key))
             if not s.is_local and (not only or only in s.key)]
    tools = [t for t in prompt_models.all_tools() if not t.is_local and (not only or only in t.key)]
    return [*[await run_one(spec, media, poll) for spec in specs], *[await run_prompt_tool(t, media) for t in tools]]


def report(rows: list[Row]) -> str:
    lines = [f"{'model':<20} {'endpoint':<32} {'result':<8} {'credits':>7} {'seconds':>8}  detail"]
    lines += [f"{r.key:<20} {r.endpoint:<32} {r.status:<8} {r.credits:>7} {r.seconds:>8.2f}  {r.detail}"
              for r in rows]
    ok = sum(r.status == "ok" for r in rows)
    failed = sum(r.status == "FAILED" for r in rows)
    lines.append(f"{ok} worked, {failed} failed, {len(rows) - ok - failed} skipped; "
                 f"{sum(r.credits for r in rows if r.status == 'ok')} credits' worth of work")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default="", help="run only catalog keys containing this text")
    parser.add_argument("--poll", type=float, default=0.5, help="seconds between Fal status polls")
    args = parser.parse_args(argv)
    rows = asyncio.run(smoke(args.poll, args.only))
    print(report(rows))
    return 1 if any(r.status == "FAILED" for r in rows) else 0


if __name__ == "__main__":
    raise SystemExit(main())
