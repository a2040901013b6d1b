"""Photo restoration from classical steps (the recipe measured in notes/image-engines.md):

1. denoise: OpenCV's non-local means (fastNlMeansDenoisingColored), its strength set from the noise level
   measured in the photo, so a clean photo is barely touched;
2. white balance: xphoto SimpleWB (per-channel stretch, 1% clipped per side) removes colour casts;
3. auto-levels: the luminance's 0.5th..99.5th percentiles stretched to the full range (faded contrast);
4. local contrast: CLAHE on CIELAB lightness, mixed in at half strength (a touch, not an HDR look);
5. a mild unsharp mask.

It cannot rebuild missing detail, faces or torn areas (that would need a generative model).
"""

from __future__ import annotations

import cv2
import numpy as np
from PIL import Image

from palett.services.generation.local_ops._pixels import Array, merge, noise_sigma, split, to_bgr, to_rgb, unsharp


def restore(img: Image.Image, strength: float = 1.0) -> Image.Image:
    """img denoised, white-balanced, levelled, with local contrast and mild sharpening; same size, alpha kept.

    strength 0..1 scales every step (0 returns the pixels unchanged).
    """
    if not 0 <= strength <= 1:
        raise ValueError("strength must be between 0 and 1")
    rgb, alpha = split(img)
    if strength == 0:
        return merge(rgb, alpha)
    out = denoise(rgb, strength)
    toned = local_contrast(auto_levels(white_balance(out)))
    out = cv2.addWeighted(out, 1 - strength, toned, strength, 0)
    out = unsharp(out, sigma=1.0, amount=0.4 * strength)
    return merge(out, alpha)


def denoise(rgb: Array, strength: float = 1.0) -> Array:
    sigma = noise_sigma(rgb)
    if sigma < 1.0:  # already clean
        return rgb
    h = float(np.clip(sigma * 0.9 * strength, 1.0, 25.0))
    # fastNlMeansDenoisingColored works in Lab converted from BGR: give it BGR.
    return to_rgb(cv2.fastNlMeansDenoisingColored(to_bgr(rgb), None, h, h, 7, 21))


def white_balance(rgb: Array) -> Array:
    balancer = cv2.xphoto.createSimpleWB()
    balancer.setP(1.0)  # clip 1% per side: 2% over-stretches, 0.5% misses casts
    return to_rgb(balancer.balanceWhite(to_bgr(rgb)))


def auto_levels(rgb: Array, clip: float = 0.5) -> Array:
    """Stretch the luminance's clip..100-clip percentiles to 0..255 (the same gain and offset on every channel)."""
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    lo, hi = np.percentile(grey, (clip, 100 - clip))
    if hi - lo < 8:  # flat image: nothing sensible to stretch
        return rgb
    gain = 255.0 / (hi - lo)
    return cv2.convertScaleAbs(rgb, alpha=gain, beta=-lo * gain)


def local_contrast(rgb: Array, clip_limit: float = 1.5, mix: float = 0.5) -> Array:
    """CLAHE on CIELAB lightness (colours untouched), blended with the input by `mix`."""
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB)
    tiles = max(2, min(8, max(rgb.shape[:2]) // 128))
    lightness = np.ascontiguousarray(lab[..., 0])
    equalised = cv2.createCLAHE(clipLimit=clip_limit, tileGridSize=(tiles, tiles)).apply(lightness)
    lab[..., 0] = cv2.addWeighted(lightness, 1 - mix, equalised, mix, 0)
    return cv2.cvtColor(lab, cv2.COLOR_LAB2RGB)
