"""Upscaling: Lanczos resampling (OpenCV INTER_LANCZOS4, 8x8 taps) plus a mild unsharp mask.

This is interpolation, not super-resolution: it adds no detail that wasn't there, it only enlarges cleanly
and restores a little of the crispness interpolation softens. Alpha is kept: it is resampled together with
the colours in premultiplied form, so transparent pixels' hidden colours never bleed into the edges.
"""

from __future__ import annotations

import cv2
import numpy as np
from PIL import Image

from palett.services.generation.local_ops._pixels import MAX_SIDE, Array, check_side, merge, split, unsharp

FACTORS = (2, 4)  # the studio's choices
FOUR_K = (3840, 4096)  # "to 4K": UHD and DCI long sides


def target_size(width: int, height: int, factor: float | None = None, long_side: int | None = None) -> tuple[int, int]:
    """The (width, height) an upscale produces; exactly one of factor or long_side."""
    if (factor is None) == (long_side is None):
        raise ValueError("Give exactly one of factor (e.g. 2 or 4) or long_side (e.g. 3840 or 4096).")
    if factor is not None:
        if not 1 < factor <= 16:
            raise ValueError(f"factor must be above 1 (2 or 4 in the studio), not {factor}")
        return max(1, round(width * factor)), max(1, round(height * factor))
    assert long_side is not None
    current = max(width, height)
    if long_side <= current:
        raise ValueError(f"The image's long side is already {current} pixels; {long_side} would not upscale it.")
    scale = long_side / current
    if width >= height:
        return long_side, max(1, round(height * scale))
    return max(1, round(width * scale)), long_side


def upscale(
    img: Image.Image, factor: float | None = None, *, long_side: int | None = None, max_side: int = MAX_SIDE
) -> Image.Image:
    """img enlarged by `factor` (2 or 4) or to `long_side` (3840/4096 for "4K"), aspect kept.

    Raises ValueError if the result would be larger than max_side on either side (checked before any work).
    """
    w, h = img.size
    new_w, new_h = target_size(w, h, factor, long_side)
    check_side(new_w, new_h, max_side, f"Upscaling {w}x{h}")
    rgb, alpha = split(img)
    scale = max(new_w / w, new_h / h)
    if alpha is None or bool((alpha == 255).all()):
        big = _resize(rgb, new_w, new_h)
        out_alpha = None if alpha is None else np.full((new_h, new_w), 255, np.uint8)
    else:
        big, out_alpha = _resize_premultiplied(rgb, alpha, new_w, new_h)
    # Mild sharpening at the scale interpolation blurs (about half an original pixel).
    big = unsharp(big, sigma=max(0.8, 0.5 * scale), amount=0.35, in_place=True)  # big is ours alone
    return merge(big, out_alpha)


def _resize(pixels: Array, w: int, h: int) -> Array:
    return cv2.resize(pixels, (w, h), interpolation=cv2.INTER_LANCZOS4)


def _resize_premultiplied(rgb: Array, alpha: Array, w: int, h: int) -> tuple[Array, Array]:
    a3 = cv2.merge([alpha, alpha, alpha])
    premultiplied = cv2.multiply(rgb, a3, scale=1 / 255)
    big = _resize(np.dstack([premultiplied, alpha]), w, h)
    big_alpha = np.ascontiguousarray(big[..., 3])
    big_a3 = cv2.merge([big_alpha, big_alpha, big_alpha])
    # Unpremultiply; cv2.divide gives 0 where alpha is 0 and saturates at 255.
    colours = cv2.divide(np.ascontiguousarray(big[..., :3]), big_a3, scale=255)
    return colours, big_alpha
