"""Shared pixel plumbing for the local operations: PIL <-> numpy, alpha handling, small filters.

Arrays are RGB(A) uint8 in Pillow's channel order. OpenCV's colour conversions are always called with the
explicit RGB flags; functions that assume BGR internally get a BGR copy from their callers.
"""

from __future__ import annotations

import cv2
import numpy as np
from PIL import Image

Array = np.ndarray
MAX_SIDE = 8192  # the largest result side any operation produces


def split(img: Image.Image) -> tuple[Array, Array | None]:
    """(RGB uint8 array, alpha uint8 array or None) for any Pillow mode.

    Alpha is returned only when the image carries one (RGBA, LA, PA, palette transparency); a fully
    opaque alpha is kept too, so the caller hands back the mode it was given.
    """
    has_alpha = img.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in img.info
    if has_alpha:
        rgba = np.asarray(img.convert("RGBA"))
        return np.ascontiguousarray(rgba[..., :3]), np.ascontiguousarray(rgba[..., 3])
    if img.mode == "I;16" or img.mode.startswith("I;16") or img.mode in ("I", "F"):
        # convert("RGB") would clip 16-bit values to white; scale them down first.
        scale = 1.0 if img.mode == "F" else 257.0
        grey = np.clip(np.asarray(img, dtype=np.float32) / scale, 0, 255).astype(np.uint8)
        return np.ascontiguousarray(np.repeat(grey[..., None], 3, axis=2)), None
    return np.asarray(img.convert("RGB")).copy(), None


def merge(rgb: Array, alpha: Array | None) -> Image.Image:
    """An RGB image, or RGBA when alpha is given."""
    if alpha is None:
        return Image.fromarray(np.ascontiguousarray(rgb), "RGB")
    return Image.fromarray(np.dstack([rgb, alpha]), "RGBA")


def to_bgr(rgb: Array) -> Array:
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)


def to_rgb(bgr: Array) -> Array:
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def unsharp(rgb: Array, sigma: float, amount: float, *, in_place: bool = False) -> Array:
    """Classic unsharp mask on uint8: rgb + amount * (rgb - blur(rgb)), saturated.

    in_place writes the result over rgb (one full-size buffer less: 48 MB at 4096²).
    """
    if amount <= 0:
        return rgb
    blurred = cv2.GaussianBlur(rgb, (0, 0), sigma)
    return cv2.addWeighted(rgb, 1 + amount, blurred, -amount, 0, dst=rgb if in_place else None)


def noise_sigma(rgb: Array, known: Array | None = None) -> float:
    """Estimated std of additive noise (0..255), Immerkaer's fast method on the grey image.

    The 3x3 kernel cancels smooth gradients and most edges, so what is left is mostly noise.
    known: an optional boolean mask; only pixels whose whole 3x3 neighbourhood is known are measured
    (so a hole's content, or the black margin of a canvas being extended, doesn't count).
    """
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY) if rgb.ndim == 3 else rgb
    if min(grey.shape) < 3:
        return 0.0
    kernel = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], dtype=np.float32)
    response = np.abs(cv2.filter2D(grey.astype(np.float32), -1, kernel, borderType=cv2.BORDER_REFLECT))
    valid = np.zeros(grey.shape, bool)
    valid[1:-1, 1:-1] = True
    if known is not None:
        valid &= cv2.erode(known.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    if not valid.any():
        return 0.0
    return float(np.sqrt(np.pi / 2) * response[valid].mean() / 6)


def grain_like(rgb: Array, shape: tuple[int, int], seed: int, known: Array | None = None) -> Array:
    """Monochrome film grain (float32, HxW) at the noise level measured in `rgb` (its `known` pixels).

    Freshly filled areas are smooth; grain at the photo's own noise level keeps them from looking plastic.
    The seed makes results repeatable for the same input.
    """
    level = float(np.clip(noise_sigma(rgb, known), 0.8, 12.0))
    rng = np.random.default_rng(seed)
    # Real grain is a little clumped: a light blur, then rescale to the measured level.
    grain: Array = cv2.GaussianBlur(rng.standard_normal(shape, dtype=np.float32), (0, 0), 0.6)
    grain *= level / max(float(grain.std()), 1e-6)
    return grain


def seed_of(rgb: Array) -> int:
    """A repeatable seed from a sparse sample of the pixels (same input, same grain)."""
    flat = rgb.reshape(-1)
    step = max(1, flat.size // 4096)
    return int(np.uint64(flat[::step].astype(np.uint64).sum()) + np.uint64(flat.size)) & 0xFFFFFFFF


def check_side(width: int, height: int, max_side: int = MAX_SIDE, what: str = "The result") -> None:
    if width > max_side or height > max_side:
        raise ValueError(f"{what} would be {width}x{height} pixels; the limit is {max_side} pixels per side.")
