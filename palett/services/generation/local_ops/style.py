"""Photo styles from classical filters (OpenCV photo/xphoto), and colour-and-tone transfer from a reference.

None of this is neural style transfer: each style is a fixed filter pipeline (edge-preserving smoothing,
pencil sketch, oil-paint histogram filter, detail enhancement, colour quantisation with ink edges...).
style_from_reference() matches the image's colour and tone statistics to a reference picture (Reinhard et
al. 2001, in CIELAB): the palette and mood carry over, brush strokes and textures do not.
Alpha, when present, is kept unchanged.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np
from PIL import Image

from palett.services.generation.local_ops._pixels import Array, merge, split, to_bgr, to_rgb, unsharp

STYLES: dict[str, str] = {
    "watercolor": "Watercolour",
    "oil": "Oil painting",
    "pencil": "Pencil sketch",
    "colored_pencil": "Coloured pencil",
    "cartoon": "Cartoon",
    "vivid": "Vivid detail",
    "noir": "Film noir",
    "painterly": "Soft painterly",
}
WORK_SIDE = 1024  # the slow filters run at most at this size, then the result is scaled back


def stylize(img: Image.Image, style: str) -> Image.Image:
    """img rendered in `style` (a key of STYLES); same size, RGB (RGBA with img's alpha if it has one)."""
    try:
        effect = _EFFECTS[style]
    except KeyError:
        raise ValueError(f"Unknown style {style!r}; choose one of {', '.join(STYLES)}.") from None
    rgb, alpha = split(img)
    return merge(effect(rgb), alpha)


def style_from_reference(img: Image.Image, reference: Image.Image, strength: float = 1.0) -> Image.Image:
    """img with the colour and tone of `reference` (Reinhard transfer in CIELAB); same size, alpha kept.

    A colour-and-tone transfer (per-channel mean and spread), not neural style transfer. strength 0..1
    blends from the original (0) to the full transfer (1).
    """
    if not 0 <= strength <= 1:
        raise ValueError("strength must be between 0 and 1")
    rgb, alpha = split(img)
    if strength == 0:
        return merge(rgb, alpha)
    ref_rgb, ref_alpha = split(reference)
    ref_small, ref_weights = _sample(ref_rgb, ref_alpha)
    src_small, src_weights = _sample(rgb, alpha)
    ref_mean, ref_std = _lab_stats(ref_small, ref_weights)
    src_mean, src_std = _lab_stats(src_small, src_weights)
    lab = cv2.cvtColor(rgb.astype(np.float32) / 255, cv2.COLOR_RGB2LAB)
    # Cap the gain so a flat source (tiny spread) isn't blown up into noise.
    gain = np.clip(ref_std / np.maximum(src_std, 1e-3), 0.2, 5.0)
    moved = (lab - src_mean) * gain + ref_mean
    lab = lab + (moved - lab) * strength
    lab[..., 0] = np.clip(lab[..., 0], 0, 100)
    out = np.clip(cv2.cvtColor(lab.astype(np.float32), cv2.COLOR_LAB2RGB), 0, 1)
    return merge(np.round(out * 255).astype(np.uint8), alpha)


def _sample(rgb: Array, alpha: Array | None) -> tuple[Array, Array | None]:
    """A <=256 px copy for statistics, with its opacity weights (transparent pixels don't count)."""
    h, w = rgb.shape[:2]
    scale = min(1.0, 256 / max(h, w))
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    small = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
    weights = None if alpha is None else cv2.resize(alpha, size, interpolation=cv2.INTER_AREA)
    return small, weights


def _lab_stats(rgb: Array, weights: Array | None) -> tuple[Array, Array]:
    lab = cv2.cvtColor(rgb.astype(np.float32) / 255, cv2.COLOR_RGB2LAB).reshape(-1, 3)
    wts = np.ones(len(lab), np.float32) if weights is None else weights.reshape(-1).astype(np.float32)
    if float(wts.sum()) < 1:
        wts = np.ones(len(lab), np.float32)
    mean = np.average(lab, axis=0, weights=wts)
    std = np.sqrt(np.average((lab - mean) ** 2, axis=0, weights=wts))
    return mean.astype(np.float32), std.astype(np.float32)


# --- the effects (RGB uint8 in, RGB uint8 out, same size) -----------------------------------------------


def _at_work_size(effect: Callable[[Array], Array]) -> Callable[[Array], Array]:
    """Run a slow effect on a copy no larger than WORK_SIDE, then scale the result back to the input's size."""

    def run(rgb: Array) -> Array:
        h, w = rgb.shape[:2]
        scale = WORK_SIDE / max(h, w)
        if scale >= 1:
            return effect(rgb)
        small = cv2.resize(rgb, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
        return cv2.resize(effect(small), (w, h), interpolation=cv2.INTER_CUBIC)

    return run


@_at_work_size
def _watercolor(rgb: Array) -> Array:
    # Edge-preserving "stylization" flattens regions into washes; a light paper texture and lifted
    # blacks give the transparent, pigment-on-paper feel.
    washed = to_rgb(cv2.stylization(to_bgr(rgb), sigma_s=60, sigma_r=0.45))
    h, w = rgb.shape[:2]
    noise = np.random.default_rng(7).standard_normal((h, w), dtype=np.float32)
    paper = cv2.GaussianBlur(noise, (0, 0), 1.2) * 6
    out = washed.astype(np.float32) * 0.9 + 255 * 0.1 + paper[..., None]
    return np.clip(out, 0, 255).astype(np.uint8)


@_at_work_size
def _oil(rgb: Array) -> Array:
    # xphoto.oilPainting: each pixel takes the mean colour of the most frequent intensity bin around it.
    painted = to_rgb(cv2.xphoto.oilPainting(to_bgr(rgb), 7, 1))
    return unsharp(painted, sigma=1.5, amount=0.4)


@_at_work_size
def _pencil(rgb: Array) -> Array:
    grey, _ = cv2.pencilSketch(to_bgr(rgb), sigma_s=50, sigma_r=0.07, shade_factor=0.06)
    return cv2.cvtColor(grey, cv2.COLOR_GRAY2RGB)


@_at_work_size
def _colored_pencil(rgb: Array) -> Array:
    _, colour = cv2.pencilSketch(to_bgr(rgb), sigma_s=50, sigma_r=0.07, shade_factor=0.05)
    return to_rgb(colour)


@_at_work_size
def _cartoon(rgb: Array) -> Array:
    # Flat colour regions (repeated bilateral smoothing at half size, then colour quantisation)
    # and dark ink outlines from an adaptive threshold of the blurred luminance.
    h, w = rgb.shape[:2]
    small = cv2.resize(rgb, (max(1, w // 2), max(1, h // 2)), interpolation=cv2.INTER_AREA)
    for _ in range(4):
        small = cv2.bilateralFilter(small, 7, 40, 7)
    smooth = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    flat = _quantise(smooth, colours=12)
    grey = cv2.medianBlur(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), 7)
    block = max(3, (max(h, w) // 100) | 1)
    edges = cv2.adaptiveThreshold(grey, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY, block, 5)
    return cv2.bitwise_and(flat, flat, mask=edges)


def _quantise(rgb: Array, colours: int) -> Array:
    """rgb reduced to its `colours` main colours (k-means on a sample, nearest centre per pixel)."""
    pixels = rgb.reshape(-1, 3)
    step = max(1, len(pixels) // 20_000)
    sample = pixels[::step].astype(np.float32)
    if len(sample) < 4 * colours:  # a handful of pixels: nothing to quantise
        return rgb
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 20, 1.0)
    cv2.setRNGSeed(3)  # repeatable centres
    _, _, centres = cv2.kmeans(sample, colours, np.empty((0, 1), np.int32), criteria, 2, cv2.KMEANS_PP_CENTERS)
    # Nearest centre: |p - c|^2 = |p|^2 - 2 p.c + |c|^2, and |p|^2 doesn't change the argmin.
    scores = pixels.astype(np.float32) @ centres.T * -2 + (centres**2).sum(axis=1)
    nearest = scores.argmin(axis=1)
    return np.clip(centres[nearest], 0, 255).astype(np.uint8).reshape(rgb.shape)


@_at_work_size
def _vivid(rgb: Array) -> Array:
    detailed = to_rgb(cv2.detailEnhance(to_bgr(rgb), sigma_s=10, sigma_r=0.15))
    hsv = cv2.cvtColor(detailed, cv2.COLOR_RGB2HSV)
    hsv[..., 1] = cv2.convertScaleAbs(hsv[..., 1], alpha=1.25)
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)


def _noir(rgb: Array) -> Array:
    # High-contrast black and white: luminance, a strong S-curve, a vignette and film grain.
    h, w = rgb.shape[:2]
    grey = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8)).apply(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY))
    t = grey.astype(np.float32) / 255
    t = t * t * (3 - 2 * t)  # S-curve
    t = t * t * (3 - 2 * t)
    ys = (np.arange(h, dtype=np.float32)[:, None] / max(h - 1, 1) - 0.5) * 2
    xs = (np.arange(w, dtype=np.float32)[None, :] / max(w - 1, 1) - 0.5) * 2
    vignette = 1 - 0.45 * np.clip(np.sqrt(xs**2 + ys**2) / 1.414, 0, 1) ** 2.2
    grain = np.random.default_rng(11).standard_normal((h, w), dtype=np.float32) * 0.03
    out = np.clip(t * vignette + grain, 0, 1)
    return cv2.cvtColor(np.round(out * 255).astype(np.uint8), cv2.COLOR_GRAY2RGB)


@_at_work_size
def _painterly(rgb: Array) -> Array:
    return to_rgb(cv2.edgePreservingFilter(to_bgr(rgb), flags=cv2.RECURS_FILTER, sigma_s=60, sigma_r=0.4))


_EFFECTS: dict[str, Callable[[Array], Array]] = {
    "watercolor": _watercolor,
    "oil": _oil,
    "pencil": _pencil,
    "colored_pencil": _colored_pencil,
    "cartoon": _cartoon,
    "vivid": _vivid,
    "noir": _noir,
    "painterly": _painterly,
}
assert _EFFECTS.keys() == STYLES.keys()
