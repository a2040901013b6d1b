"""Mask fill with OpenCV's Telea inpainting (fast marching: each hole pixel is a weighted extrapolation of its
known neighbours, marching inwards from the hole's border).

Telea is good for thin or small holes (scratches, blemishes, small objects). It smears over large holes and
its cost grows with the hole's area, so a hole thicker than THIN_RADIUS pixels is filled at a reduced
resolution (where it is thin again), upsampled, given grain at the photo's noise level, and a thin ring
along the hole's border is then re-filled at full resolution so the seam is continuous at pixel level.
Only pixels inside the mask change: everything outside is byte-identical to the input.
This is extrapolation from the surroundings, not generative fill: it cannot invent objects.
"""

from __future__ import annotations

import cv2
import numpy as np
from PIL import Image

from palett.services.generation.local_ops._pixels import Array, grain_like, merge, seed_of, split

THIN_RADIUS = 6  # holes up to this half-thickness (px) are filled directly at full resolution
TELEA_RADIUS = 5
SEAM = 3  # px ring inside a large hole re-filled at full resolution


def inpaint(img: Image.Image, mask: Image.Image) -> Image.Image:
    """img with the mask's white (>= 128) pixels filled from their surroundings; same size, alpha kept.

    mask: an "L" (or "1") image of the same size. Raises ValueError on a size mismatch.
    """
    if mask.size != img.size:
        raise ValueError(f"The mask is {mask.size[0]}x{mask.size[1]} but the image is {img.size[0]}x{img.size[1]}.")
    rgb, alpha = split(img)
    hole = np.asarray(mask.convert("L")) >= 128
    if not hole.any():
        return merge(rgb, alpha)
    filled = fill(rgb, hole)
    out_alpha = None
    if alpha is not None:
        out_alpha = alpha.copy()
        out_alpha[hole] = fill(alpha, hole, grain=False)[hole]
    return merge(filled, out_alpha)


def fill(pixels: Array, hole: Array, *, grain: bool = True, scale: float | None = None) -> Array:
    """pixels (uint8 HxWx3 or HxW) with the boolean `hole` filled; pixels outside the hole are untouched.

    scale: the working resolution for the coarse fill (None: chosen from the hole's thickness).
    """
    hole_u8 = hole.astype(np.uint8) * 255
    h, w = hole.shape
    if scale is None:
        # Half-thickness of the hole: the largest distance from a hole pixel to the nearest known pixel.
        thickness = float(cv2.distanceTransform(hole_u8, cv2.DIST_L2, 3).max())
        scale = 1.0 if thickness <= THIN_RADIUS else max(THIN_RADIUS / thickness, 1 / 8, min(1.0, 32 / min(h, w)))
    # Work on the hole's bounding box plus the context Telea reads (its radius, at the working scale).
    margin = int(np.ceil((TELEA_RADIUS + 4) / scale)) + SEAM
    ys, xs = np.nonzero(hole)
    top, bottom = max(0, int(ys.min()) - margin), min(h, int(ys.max()) + 1 + margin)
    left, right = max(0, int(xs.min()) - margin), min(w, int(xs.max()) + 1 + margin)
    box = (slice(top, bottom), slice(left, right))
    crop, crop_hole = np.ascontiguousarray(pixels[box]), np.ascontiguousarray(hole_u8[box])
    if scale >= 1.0:
        result = cv2.inpaint(crop, crop_hole, TELEA_RADIUS, cv2.INPAINT_TELEA)
    else:
        result = _fill_large(crop, crop_hole, scale, crop if grain else None)
    out = pixels.copy()
    inside = crop_hole > 0
    out[box][inside] = result[inside]
    return out


def _fill_large(pixels: Array, hole_u8: Array, scale: float, grain_source: Array | None) -> Array:
    """Telea at `scale`, upsampled, border-matched, grained; then the seam ring at full resolution."""
    h, w = hole_u8.shape
    sw, sh = max(1, round(w * scale)), max(1, round(h * scale))
    small = cv2.resize(pixels, (sw, sh), interpolation=cv2.INTER_AREA)
    # Any small pixel that touches the hole is unknown (its average includes the pixels to remove).
    small_hole = (cv2.resize(hole_u8, (sw, sh), interpolation=cv2.INTER_AREA) > 0).astype(np.uint8) * 255
    small_filled = cv2.inpaint(small, small_hole, TELEA_RADIUS, cv2.INPAINT_TELEA)
    # Telea leaves streaks along its marching directions; soften them inside the hole only.
    softened = cv2.GaussianBlur(small_filled, (0, 0), 1.5)
    small_filled[small_hole > 0] = softened[small_hole > 0]
    up = cv2.resize(small_filled, (w, h), interpolation=cv2.INTER_CUBIC).astype(np.float32)
    known = pixels.astype(np.float32)
    # Border matching: the coarse fill is off by a little where it meets the true border. Measure that
    # difference on a 2 px band just outside the hole and spread it inwards, fading over ~ one coarse pixel.
    band = cv2.subtract(cv2.dilate(hole_u8, np.ones((5, 5), np.uint8)), hole_u8).astype(np.float32) / 255
    sigma = max(2.0, 1 / scale)
    spread_w = cv2.GaussianBlur(band, (0, 0), sigma)
    diff = (known - up) * (band[..., None] if up.ndim == 3 else band)
    spread_d = cv2.GaussianBlur(diff, (0, 0), sigma)
    floor = float(spread_w.max()) * 0.5  # full correction at the border, fading to none deep inside
    denom = np.maximum(spread_w, floor)
    up += spread_d / (denom[..., None] if up.ndim == 3 else denom)
    if grain_source is not None:
        noise = grain_like(grain_source, (h, w), seed_of(grain_source), known=hole_u8 == 0)
        up += noise[..., None] if up.ndim == 3 else noise
    base = pixels.copy()
    inside = hole_u8 > 0
    base[inside] = np.clip(up, 0, 255).astype(np.uint8)[inside]
    # The hole's outer ring, re-filled at full resolution from the true border and the coarse fill.
    inner = cv2.erode(hole_u8, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * SEAM + 1, 2 * SEAM + 1)))
    ring = cv2.subtract(hole_u8, inner)
    return cv2.inpaint(base, ring, TELEA_RADIUS, cv2.INPAINT_TELEA)
