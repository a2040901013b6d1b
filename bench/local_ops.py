"""Timings of the local editing engine (palett.services.generation.local_ops) at 1024x1024 on this machine.

Each fixture photo is scaled to cover 1024x1024 (centre crop) first. Every operation runs once to warm up
(model load, OpenCV's lazy init), then --reps times; the median wall time is printed per photo, with the
goal where there is one. Restoration is timed on a degraded copy (noise, colour cast, faded contrast): on
a clean photo the denoiser, the slow step, is skipped.

    .venv/bin/python -m bench.local_ops [--reps 5] [--photos astronaut,chelsea,coffee]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageOps

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from palett.services.generation import local_ops  # noqa: E402

SIDE = 1024
GOALS = {"background removal": 0.5, "upscale 4x to 4096²": 0.5, "inpaint 10% mask": 0.2, "restoration": 2.0}


def load(name: str) -> Image.Image:
    with Image.open(ROOT / "tests" / "fixtures" / f"{name}.png") as img:
        return ImageOps.fit(img.convert("RGB"), (SIDE, SIDE), Image.Resampling.LANCZOS)


def ten_percent_mask() -> Image.Image:
    """An ellipse covering 10% of the image, off-centre (a typical "remove this object" brush)."""
    mask = Image.new("L", (SIDE, SIDE), 0)
    radius = SIDE * np.sqrt(0.1 / np.pi)
    cx, cy = SIDE * 0.58, SIDE * 0.45
    ImageDraw.Draw(mask).ellipse((cx - radius, cy - radius, cx + radius, cy + radius), fill=255)
    return mask


def degraded(img: Image.Image) -> Image.Image:
    pixels = np.asarray(img, np.float32) * 0.6 + 60 + np.array([25, 5, -20], np.float32)
    pixels += np.random.default_rng(0).normal(0, 12, pixels.shape).astype(np.float32)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB")


def operations(img: Image.Image, reference: Image.Image) -> dict[str, Callable[[], object]]:
    mask = ten_percent_mask()
    old = degraded(img)
    ops: dict[str, Callable[[], object]] = {
        "background removal": lambda: local_ops.remove_background(img),
        "replace background (colour)": lambda: local_ops.replace_background(img, color=(240, 240, 240)),
        "upscale 4x to 4096²": lambda: local_ops.upscale(img, 4),
        "upscale to 4K (3840)": lambda: local_ops.upscale(img, long_side=3840),
        "inpaint 10% mask": lambda: local_ops.inpaint(img, mask),
        "outpaint to 1536x1280": lambda: local_ops.outpaint(img, left=256, top=128, right=256, bottom=128),
    }
    for style in local_ops.STYLES:
        ops[f"style: {style}"] = partial(local_ops.stylize, img, style)
    ops["style from reference"] = lambda: local_ops.style_from_reference(img, reference)
    ops["restoration"] = lambda: local_ops.restore(old)
    ops["restoration (clean photo)"] = lambda: local_ops.restore(img)
    return ops


def median_time(fn: Callable[[], object], reps: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--photos", default="astronaut,chelsea,coffee")
    args = parser.parse_args()
    names = [n.strip() for n in args.photos.split(",") if n.strip()]
    photos = {name: load(name) for name in names}
    reference = load("coffee" if names[0] != "coffee" else "chelsea")
    load_avg = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"local_ops at {SIDE}x{SIDE}, median of {args.reps} warm runs; {os.cpu_count()} CPUs "
        f"({platform.processor() or platform.machine()}), load average {load_avg:.2f}"
    )
    results: dict[str, list[float]] = {}
    for img in photos.values():
        for op, fn in operations(img, reference).items():
            results.setdefault(op, []).append(median_time(fn, args.reps))
    width = max(len(op) for op in results)
    print(f"{'operation':<{width}}  " + "  ".join(f"{n:>9}" for n in names) + "       goal")
    for op, times in results.items():
        goal = GOALS.get(op)
        verdict = "" if goal is None else f"≤ {goal:.1f} s {'ok' if max(times) <= goal else 'MISSED'}"
        print(f"{op:<{width}}  " + "  ".join(f"{t:>8.3f}s" for t in times) + f"   {verdict}")
    if hasattr(os, "getloadavg"):  # other work on the machine inflates the numbers: say how busy it was
        print(f"load average at the end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
