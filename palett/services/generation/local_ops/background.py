"""Background replacement: cut the subject out (u2netp), then put it over a colour or another picture.

Two classical touches keep the composite from looking pasted:
- edge decontamination: along the soft edge, a pixel's colour is a mix of subject and old background. We
  estimate the pure subject colour there with blur-fusion foreground estimation (Forte & Pitie 2021, the
  two-pass box-filter approximation) and composite that, so no fringe of the old background shows (halo);
- light matching: the subject's mean lightness and tint move a little (20% by default) towards the new
  background's, in CIELAB.

prompt_background() makes a background from text with the local preview engine: locally that is procedural
art seeded by the prompt (gradients, hills, bokeh), not an AI picture.
"""

from __future__ import annotations

import cv2
import numpy as np
from PIL import Image, ImageOps

from palett.services.generation.local_ops import engine as local_engine
from palett.services.generation.local_ops._pixels import Array, split
from palett.services.generation.local_ops.segment import foreground_mask

MATCH = 0.2  # how far the subject's mean colour moves towards the background's


def replace_background(
    img: Image.Image,
    *,
    color: tuple[int, int, int] | None = None,
    background: Image.Image | None = None,
    match: float = MATCH,
) -> Image.Image:
    """The subject of img over `color` or over `background` (scaled to cover, centred): RGB, img's size.

    Give exactly one of color and background. match (0..1) is the light-matching strength.
    """
    if (color is None) == (background is None):
        raise ValueError("Give exactly one of color or background.")
    if not 0 <= match <= 1:
        raise ValueError("match must be between 0 and 1")
    rgb, _ = split(img)
    h, w = rgb.shape[:2]
    if color is not None:
        if len(color) != 3 or not all(0 <= int(c) <= 255 for c in color):
            raise ValueError("color must be three integers 0..255")
        back = np.empty_like(rgb)
        back[:] = np.array(color, dtype=np.uint8)
    else:
        assert background is not None
        fitted = ImageOps.fit(background.convert("RGB"), (w, h), Image.Resampling.LANCZOS)
        back = np.asarray(fitted)
    alpha = np.asarray(foreground_mask(img), dtype=np.float32) / 255
    return Image.fromarray(composite(rgb, alpha, back, match=match), "RGB")


def composite(rgb: Array, alpha: Array, back: Array, *, match: float = MATCH) -> Array:
    """Subject `rgb` with soft `alpha` (float 0..1) over `back` (same size), decontaminated and light-matched."""
    h, w = alpha.shape
    # Soften the cut edge by a fraction of a pixel (more on big images) so it blends into the new scene.
    alpha = cv2.GaussianBlur(alpha, (0, 0), max(0.6, max(h, w) / 1600))
    fg = estimate_foreground(rgb.astype(np.float32) / 255, alpha)
    bg = back.astype(np.float32) / 255
    if match > 0 and float(alpha.sum()) > 1:
        fg = _match_light(fg, alpha, bg, match)
    a = alpha[..., None]
    out = fg * a + bg * (1 - a)
    return np.round(np.clip(out, 0, 1) * 255).astype(np.uint8)


def estimate_foreground(image: Array, alpha: Array) -> Array:
    """Pure subject colours (float32 RGB 0..1) at every pixel, by blur-fusion (a large then a small radius)."""
    h, w = alpha.shape
    large = max(3, round(max(h, w) * 90 / 1024))
    fg, bg = _blur_fusion(image, image, image, alpha, large)
    fg, _ = _blur_fusion(image, fg, bg, alpha, 6)
    return fg


def _blur_fusion(image: Array, fg: Array, bg: Array, alpha: Array, radius: int) -> tuple[Array, Array]:
    """One pass of approximate fast foreground colour estimation (Forte & Pitie, ICIP 2021)."""
    size = (2 * radius + 1, 2 * radius + 1)
    a = alpha[..., None]
    blurred_a = cv2.blur(alpha, size)[..., None]
    blurred_fg = cv2.blur(fg * a, size) / (blurred_a + 1e-5)
    blurred_bg = cv2.blur(bg * (1 - a), size) / ((1 - blurred_a) + 1e-5)
    fg_new = blurred_fg + a * (image - a * blurred_fg - (1 - a) * blurred_bg)
    return np.clip(fg_new, 0, 1), blurred_bg


def _match_light(fg: Array, alpha: Array, bg: Array, strength: float) -> Array:
    """Shift the subject's alpha-weighted mean L, a, b part of the way towards the background's mean."""
    lab_fg = cv2.cvtColor(fg, cv2.COLOR_RGB2LAB)
    lab_bg = cv2.cvtColor(bg, cv2.COLOR_RGB2LAB)
    weights = alpha / float(alpha.sum())
    mean_fg = np.tensordot(weights, lab_fg, axes=([0, 1], [0, 1]))
    # The background the subject now stands in front of: weight by where the subject is not.
    inverse = 1 - alpha
    mean_bg = (
        np.tensordot(inverse / float(inverse.sum()), lab_bg, axes=([0, 1], [0, 1]))
        if float(inverse.sum()) > 1
        else lab_bg.reshape(-1, 3).mean(axis=0)
    )
    shift = (mean_bg - mean_fg) * strength
    shift[0] = float(np.clip(shift[0], -12, 12))  # lightness: a nudge, never a relight
    shift[1:] = np.clip(shift[1:], -8, 8)
    lab_fg = lab_fg + shift.astype(np.float32)
    return np.clip(cv2.cvtColor(lab_fg, cv2.COLOR_LAB2RGB), 0, 1)


def prompt_background(prompt: str, seed: int, size: tuple[int, int]) -> Image.Image:
    """A background of exactly `size` (width, height) from a prompt, with the local preview engine.

    Locally this is procedural art seeded by the prompt (palette from its colour and mood words), not AI.
    Sizes beyond the engine's 4096 px per side are rendered at 4096 on the long side and scaled up (the
    art is soft, so this costs little).
    """
    width, height = size
    if width <= 0 or height <= 0:
        raise ValueError("size must be positive")
    scale = min(1.0, local_engine.MAX_SIDE / max(width, height))
    rw = max(local_engine.MIN_SIDE, round(width * scale))
    rh = max(local_engine.MIN_SIDE, round(height * scale))
    art = local_engine.render(prompt, seed, rw, rh)
    return art if art.size == (width, height) else art.resize((width, height), Image.Resampling.LANCZOS)
