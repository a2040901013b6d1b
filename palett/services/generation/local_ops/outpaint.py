"""Outpainting (extending the canvas) by classical extrapolation.

The method measured in notes/image-engines.md: the new border is filled by Telea inpainting at 1/4
resolution (smooth colour continuation of the edges), upsampled, border-matched to the original's edge pixels
with a correction that fades over a few coarse pixels, given grain at the photo's own noise level, with a
thin seam ring re-filled at full resolution. Then the feathered seam: right next to the original, its mirror
image is blended in and fades out over ~5% of the short side, so detail doesn't stop dead at the old edge.
The original pixels are never modified: its rectangle in the result is byte-identical. An alpha channel is
extended the same way. This continues colours and tones; it does not invent new content.
"""

from __future__ import annotations

import re

import cv2
import numpy as np
from PIL import Image

from palett.services.generation.local_ops._pixels import MAX_SIDE, check_side, merge, split
from palett.services.generation.local_ops.inpaint import fill

WORK_SCALE = 0.25
SEAM_FRACTION = 0.05


def outpaint(img: Image.Image, *, left: int = 0, top: int = 0, right: int = 0, bottom: int = 0) -> Image.Image:
    """img on a larger canvas, the added margins filled; the original sits unchanged at (left, top).

    Raises ValueError for negative margins or a result above 8192 px per side.
    """
    pads = (left, top, right, bottom)
    if any(int(p) != p or p < 0 for p in pads):
        raise ValueError("Margins must be whole numbers of pixels, 0 or more.")
    w, h = img.size
    new_w, new_h = w + left + right, h + top + bottom
    check_side(new_w, new_h, MAX_SIDE, "The extended image")
    rgb, alpha = split(img)
    if not any(pads):
        return merge(rgb, alpha)
    canvas = np.zeros((new_h, new_w, 3), np.uint8)
    canvas[top : top + h, left : left + w] = rgb
    hole = np.ones((new_h, new_w), bool)
    hole[top : top + h, left : left + w] = False
    filled = fill(canvas, hole, scale=WORK_SCALE)
    # Feathered seam: next to the original, blend in its mirror image (continuous at the edge, with the
    # photo's own detail and grain), fading out over SEAM_FRACTION of the short side.
    feather = max(4, round(min(w, h) * SEAM_FRACTION))
    mirror = cv2.copyMakeBorder(rgb, top, bottom, left, right, cv2.BORDER_REFLECT)
    ys = np.arange(new_h, dtype=np.float32)[:, None]
    xs = np.arange(new_w, dtype=np.float32)[None, :]
    dist = np.maximum(
        np.maximum(top - ys, ys - (top + h - 1)).clip(0), np.maximum(left - xs, xs - (left + w - 1)).clip(0)
    )
    weight = np.clip(1 - dist / feather, 0, 1) ** 2
    band = weight > 0
    band &= hole
    mixed = filled[band] + (mirror[band].astype(np.float32) - filled[band]) * weight[band][:, None]
    filled[band] = np.round(mixed).astype(np.uint8)
    out_alpha = None
    if alpha is not None:  # alpha is extended like the colours: a transparent edge stays transparent
        alpha_canvas = np.zeros((new_h, new_w), np.uint8)
        alpha_canvas[top : top + h, left : left + w] = alpha
        out_alpha = fill(alpha_canvas, hole, grain=False, scale=WORK_SCALE)
    return merge(filled, out_alpha)


def padding_for_aspect(width: int, height: int, aspect: str) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) margins that bring width x height to `aspect` ("16:9", "4:5", "1:1"...),
    centring the original and only ever adding pixels (on one axis)."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*[:x/]\s*(\d+(?:\.\d+)?)\s*", aspect)
    if not match:
        raise ValueError(f"aspect must look like 16:9, not {aspect!r}")
    aw, ah = float(match.group(1)), float(match.group(2))
    if aw <= 0 or ah <= 0 or width <= 0 or height <= 0:
        raise ValueError("aspect and size must be positive")
    ratio = aw / ah
    if width / height < ratio:  # too narrow: widen
        extra = max(0, round(height * ratio) - width)
        return extra // 2, 0, extra - extra // 2, 0
    extra = max(0, round(width / ratio) - height)  # too wide (or equal): heighten
    return 0, extra // 2, 0, extra - extra // 2
