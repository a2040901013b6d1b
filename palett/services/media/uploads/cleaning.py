"""Cleaning decoded pixels: upright, sRGB, 8-bit L, RGB or RGBA.

EXIF orientation is applied, an embedded ICC profile converted to sRGB, CMYK/16-bit/palette modes turned
into 8-bit L, RGB or RGBA. The file is then written again from these pixels only (reencode.py), so EXIF,
GPS, XMP, comments, text chunks, ICC profiles and any bytes appended to the file are all gone.
"""

from __future__ import annotations

import io
import logging
from functools import cache

import numpy as np
from PIL import Image, ImageCms, ImageOps

log = logging.getLogger(__name__)


def clean_pixels(img: Image.Image) -> Image.Image:
    """Upright, sRGB, 8-bit L/RGB/RGBA pixels. The result may still carry `info`; rebuild before saving."""
    try:
        ImageOps.exif_transpose(img, in_place=True)
    except Exception as exc:  # a broken EXIF block is no reason to refuse the photo: keep it as stored
        log.info("upload: EXIF orientation ignored: %r", exc)
    icc = img.info.get("icc_profile")
    img = _eight_bit(img)
    # A grey image's profile is dropped unconverted: grey gamma-2.2 profiles are within a level or two of sRGB.
    if icc and img.mode in ("RGB", "RGBA", "CMYK"):
        img = _to_srgb(img, icc)
    if img.mode == "CMYK":
        img = img.convert("RGB")
    if img.mode == "RGBA" and img.getchannel("A").getextrema() == (255, 255):
        img = img.convert("RGB")  # an alpha channel that hides nothing
    return img


def _eight_bit(img: Image.Image) -> Image.Image:
    """L, RGB, RGBA or CMYK (CMYK waits for its ICC profile)."""
    mode = img.mode
    if mode in ("I", "I;16", "I;16B", "I;16L", "I;16N"):
        # 16-bit grey (PNG): convert("L") clips at 255; scale 0..65535 down to 0..255 instead.
        arr = np.asarray(img, dtype=np.float32) / 257.0
        return Image.fromarray(np.clip(np.rint(arr), 0, 255).astype(np.uint8), "L")
    has_alpha = mode in ("LA", "La", "PA", "RGBa", "RGBA") or "transparency" in img.info
    if mode in ("CMYK", "RGBA") or (mode in ("L", "RGB") and not has_alpha):
        return img
    if mode == "1":
        return img.convert("L")
    return img.convert("RGBA" if has_alpha else "RGB")


def _to_srgb(img: Image.Image, icc: bytes) -> Image.Image:
    """Convert from the embedded profile to sRGB; a profile that lcms can't use is ignored."""
    out_mode = "RGBA" if img.mode == "RGBA" else "RGB"
    try:
        # Profiles are opened per call: lcms caches tags inside a profile, so sharing one across threads races.
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
        transform = ImageCms.buildTransform(source, srgb, img.mode, out_mode,
                                            renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC)
        if img.mode != "CMYK" and _is_identity(transform, img.mode):
            return img  # an sRGB profile (most phones and cameras): skip a 0.25 s pass over 24 MP
        if img.mode == out_mode:
            ImageCms.applyTransform(img, transform, inPlace=True)
            return img
        out = ImageCms.applyTransform(img, transform)
        return out if out is not None else img
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError) as exc:
        log.info("upload: ICC profile ignored: %r", exc)
        return img


def _is_identity(transform: ImageCms.ImageCmsTransform, mode: str) -> bool:
    probe = _probe(mode)
    out = ImageCms.applyTransform(probe, transform)
    if out is None:
        return False
    diff = np.abs(np.asarray(out, dtype=np.int16) - np.asarray(probe, dtype=np.int16))
    return int(diff.max()) <= 1


@cache
def _probe(mode: str) -> Image.Image:
    """4096 colours spread over the RGB cube (alpha opaque), to tell an sRGB-equivalent profile."""
    levels = np.linspace(0, 255, 16).round().astype(np.uint8)
    r, g, b = np.meshgrid(levels, levels, levels, indexing="ij")
    rgb = np.stack([r.ravel(), g.ravel(), b.ravel()], axis=-1).reshape(64, 64, 3)
    if mode == "RGBA":
        rgb = np.concatenate([rgb, np.full((64, 64, 1), 255, np.uint8)], axis=-1)
    return Image.fromarray(rgb, mode)
