"""Pillow helpers for images we produce or receive: safe decoding, clean PNGs, WebP thumbnails.

Decoding follows the measured recipe in notes/image-engines.md: pixel count from the
header before any decoding, a format allow-list, verify(), then a fresh open and load()
(verify alone passes a truncated JPEG).
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageOps, PngImagePlugin, UnidentifiedImageError

ALLOWED_FORMATS = ("PNG", "JPEG", "WEBP")
# Phone cameras write multi-picture JPEGs that Pillow reports as MPO; the first frame is the photo.
_JPEG_LIKE = {"JPEG", "MPO"}
# Generous cap for our own outputs (8K x 5K); callers with tighter limits pass their own.
DEFAULT_MAX_PIXELS = 40_000_000
THUMBNAIL_SIZE = 384
_ZIP_TEXT_OVER = 1024  # long text (a recipe) is stored compressed (zTXt/iTXt with zip)


def open_safely(data: bytes, max_pixels: int) -> Image.Image:
    """Decode untrusted bytes into an RGB/RGBA/L image, upright, or raise ValueError.

    The returned image keeps `.format` ("PNG", "JPEG" or "WEBP") so callers can tell
    whether the source already was a PNG.
    """
    if max_pixels <= 0:
        raise ValueError("max_pixels must be positive")
    header = _open(data)
    _check_header(header, max_pixels)
    try:
        header.verify()  # structure and checksums, without decoding pixels
        img = _open(data)  # verify() leaves the object unusable: open again
        img.load()  # a truncated or corrupt file fails here
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise ValueError(f"The image file is damaged or incomplete ({exc}).") from exc
    fmt = "JPEG" if img.format in _JPEG_LIKE else img.format
    ImageOps.exif_transpose(img, in_place=True)
    out = _normalize_mode(img)
    out.format = fmt
    return out


def _open(data: bytes) -> Image.Image:
    # Pillow may warn above ~89 MP; we don't silence it because catch_warnings is not thread-safe.
    try:
        return Image.open(io.BytesIO(data), formats=[*ALLOWED_FORMATS])
    except Image.DecompressionBombError as exc:
        raise ValueError(f"The image has too many pixels to process ({exc}).") from exc
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise ValueError("Unsupported image type: use PNG, JPEG or WebP.") from exc


def _check_header(img: Image.Image, max_pixels: int) -> None:
    fmt = img.format or ""
    if fmt not in ALLOWED_FORMATS and fmt not in _JPEG_LIKE:
        raise ValueError(f"Unsupported image type {fmt or 'unknown'}: use PNG, JPEG or WebP.")
    width, height = img.size
    if width <= 0 or height <= 0:
        raise ValueError("The image has no pixels.")
    if width * height > max_pixels:
        raise ValueError(
            f"The image is {width}x{height} ({width * height:,} pixels); the limit is {max_pixels:,} pixels."
        )
    if getattr(img, "is_animated", False) and fmt not in _JPEG_LIKE:
        raise ValueError("Animated images are not supported.")


def _normalize_mode(img: Image.Image) -> Image.Image:
    """RGB, RGBA or L only, so every later step sees 8-bit pixels."""
    if img.mode in ("RGB", "RGBA", "L"):
        return img
    if img.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        # convert("L") would clip 16-bit values; scale them down instead.
        arr = np.asarray(img, dtype=np.float32)
        scale = 1.0 if img.mode == "F" else 257.0
        return Image.fromarray(np.clip(arr / scale, 0, 255).astype(np.uint8), "L")
    has_alpha = img.mode in ("LA", "PA", "RGBa", "La") or "transparency" in img.info
    return img.convert("RGBA" if has_alpha else "RGB")


def to_png(img: Image.Image, text: dict[str, str]) -> bytes:
    """A PNG built from pixels only (no ICC, EXIF or foreign text), labelled with `text`."""
    clean = _normalize_mode(img)
    pixels = Image.frombytes(clean.mode, clean.size, clean.tobytes())
    info = PngImagePlugin.PngInfo()
    for key, value in text.items():
        _check_text_key(key)
        # Pillow writes tEXt for Latin-1 and falls back to iTXt (UTF-8) for anything else.
        info.add_text(key, value, zip=len(value) > _ZIP_TEXT_OVER)
    buf = io.BytesIO()
    # Level 3: about 3x faster than the default 6 on grainy 1024² images, and only ~2% larger.
    pixels.save(buf, "PNG", pnginfo=info, compress_level=3)
    return buf.getvalue()


def _check_text_key(key: str) -> None:
    # PNG keywords: 1-79 printable Latin-1 characters.
    ok = 0 < len(key) < 80 and all(32 <= ord(c) <= 126 or 161 <= ord(c) <= 255 for c in key)
    if not ok:
        raise ValueError(f"invalid PNG text key: {key!r}")


def thumbnail_webp(
    data: bytes, size: int = THUMBNAIL_SIZE, max_pixels: int = DEFAULT_MAX_PIXELS
) -> tuple[bytes, int, int]:
    """A WebP no larger than `size` on its long side (never upscaled), with its width and height."""
    img = open_safely(data, max_pixels)
    img.thumbnail((size, size), Image.Resampling.LANCZOS)
    if img.mode not in ("RGB", "RGBA"):
        img = img.convert("RGB")
    buf = io.BytesIO()
    img.save(buf, "WEBP", quality=80, method=4)
    return buf.getvalue(), img.width, img.height
