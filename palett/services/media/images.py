"""Pillow helpers for images we produce or receive: safe decoding, clean PNGs, WebP thumbnails.

Decoding follows the measured recipe in notes/image-engines.md: pixel count from the
header before any decoding, a format allow-list, verify(), then a fresh open and load()
(verify alone passes a truncated JPEG).
"""

from __future__ import annotations

import io
import zlib

import numpy as np
from PIL import Image, ImageOps, PngImagePlugin, UnidentifiedImageError

from palett.services.common.errors import UserError

ALLOWED_FORMATS = ("PNG", "JPEG", "WEBP")
# Phone cameras write multi-picture JPEGs that Pillow reports as MPO; the first frame is the photo.
_JPEG_LIKE = {"JPEG", "MPO"}
# Generous cap for our own outputs (8K x 5K); callers with tighter limits pass their own.
DEFAULT_MAX_PIXELS = 40_000_000
THUMBNAIL_SIZE = 384
# Big views (image page, lightbox) show at most ~1280 CSS px: a 1600 px q85 WebP is ~100-200 KB against a
# 1-2 MB PNG original. It is made in every job: method 0 encodes a 1024² picture in ~60 ms against ~150 ms
# for method 4, for a file ~25% larger (105 KB vs 85 KB, still a fourteenth of the PNG).
DISPLAY_SIZE = 1600
DISPLAY_QUALITY = 85
DISPLAY_METHOD = 0
_ZIP_TEXT_OVER = 1024  # long text (a recipe) is stored compressed (zTXt/iTXt with zip)


def open_safely(data: bytes, max_pixels: int) -> Image.Image:
    """Decode untrusted bytes into an RGB/RGBA/L image, upright, or raise ValueError.

    The returned image keeps `.format` ("PNG", "JPEG" or "WEBP") so callers can tell
    whether the source already was a PNG.
    """
    if max_pixels <= 0:
        raise ValueError("max_pixels must be positive")
    header = _open(data)
    if (header.format or "") not in ALLOWED_FORMATS and header.format not in _JPEG_LIKE:
        raise ValueError(f"Unsupported image type {header.format or 'unknown'}: use PNG, JPEG or WebP.")
    try:
        check_header(header, max_pixels)
    except UserError as exc:
        raise ValueError(exc.message) from exc
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


def check_pixels(width: int, height: int, max_pixels: int) -> None:
    """Refuse a size with no pixels (upload_damaged) or over `max_pixels` (upload_too_many_pixels)."""
    if width <= 0 or height <= 0:
        raise UserError("upload_damaged")
    if width * height > max_pixels:
        raise UserError("upload_too_many_pixels", width=f"{width:,}", height=f"{height:,}",
                        megapixels=f"{max_pixels / 1_000_000:g}")


def check_header(img: Image.Image, max_pixels: int) -> None:
    """The checks a parsed header allows before any pixel is decoded: size (check_pixels) and one frame.

    Raises UserError (upload_damaged, upload_too_many_pixels, upload_animated). A phone's multi-picture
    JPEG counts as one photo.
    """
    check_pixels(*img.size, max_pixels)
    if img.format not in _JPEG_LIKE and _frames(img) > 1:
        raise UserError("upload_animated")


def _frames(img: Image.Image) -> int:
    try:
        return int(getattr(img, "n_frames", 1))
    except Exception as exc:  # counting frames walks the file's structure: a broken file fails here
        raise UserError("upload_damaged") from exc


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
    # A plain in-memory image with no info (what the local engine makes) carries nothing but pixels;
    # anything else is rebuilt from its pixels. The copy costs two more buffers: 112 MB at 4096².
    plain = type(clean) is Image.Image and not clean.info
    pixels = clean if plain else Image.frombytes(clean.mode, clean.size, clean.tobytes())
    info = PngImagePlugin.PngInfo()
    for key, value in text.items():
        _check_text_key(key)
        # Pillow writes tEXt for Latin-1 and falls back to iTXt (UTF-8) for anything else.
        info.add_text(key, value, zip=len(value) > _ZIP_TEXT_OVER)
    buf = io.BytesIO()
    # Level 1: several times faster than the default 6 on photo-like 1024² images, for files a few % larger.
    pixels.save(buf, "PNG", pnginfo=info, compress_level=1)
    return buf.getvalue()


# Chunks that carry pixels; everything else (text, EXIF, ICC, timestamps, private chunks) is dropped.
_PIXEL_CHUNKS = {b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"IEND"}


def relabel_png(data: bytes, text: dict[str, str]) -> bytes | None:
    """Our label on a PNG whose pixels are kept as they are, or None if it isn't a plain PNG.

    Re-encoding a provider's 1024² PNG costs ~90 ms per image; copying its pixel chunks and
    dropping the rest strips the same metadata. Pillow has no way to rewrite chunks, hence this.
    """
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        return None
    chunks, pos = [], 8
    while pos + 8 <= len(data):
        length = int.from_bytes(data[pos:pos + 4], "big")
        kind = data[pos + 4:pos + 8]
        end = pos + 12 + length
        if end > len(data):
            return None
        if kind in (b"acTL", b"eXIf"):  # animation or orientation: take the slow, safe path
            return None
        if kind in _PIXEL_CHUNKS:
            chunks.append(data[pos:end])
        pos = end
        if kind == b"IEND":
            break
    if not chunks or chunks[0][4:8] != b"IHDR" or chunks[-1][4:8] != b"IEND":
        return None
    label = b"".join(_text_chunk(key, value) for key, value in text.items())
    return b"\x89PNG\r\n\x1a\n" + chunks[0] + label + b"".join(chunks[1:])


def _text_chunk(key: str, value: str) -> bytes:
    _check_text_key(key)
    body = key.encode("latin-1") + b"\0\0\0\0\0" + value.encode("utf-8")  # iTXt, uncompressed, UTF-8
    return len(body).to_bytes(4, "big") + b"iTXt" + body + zlib.crc32(b"iTXt" + body).to_bytes(4, "big")


def _check_text_key(key: str) -> None:
    # PNG keywords: 1-79 printable Latin-1 characters.
    ok = 0 < len(key) < 80 and all(32 <= ord(c) <= 126 or 161 <= ord(c) <= 255 for c in key)
    if not ok:
        raise ValueError(f"invalid PNG text key: {key!r}")


def thumbnail_webp(
    data: bytes, size: int = THUMBNAIL_SIZE, max_pixels: int = DEFAULT_MAX_PIXELS
) -> tuple[bytes, int, int]:
    """A WebP no larger than `size` on its long side (never upscaled), with its width and height."""
    return thumbnail_webp_image(open_safely(data, max_pixels), size)


def display_webp_image(img: Image.Image, original_bytes: int) -> bytes | None:
    """The display-size WebP of a decoded image (never upscaled), or None when it would not be smaller than
    the original's `original_bytes` (a small flat PNG): big views then show the original."""
    webp = thumbnail_webp_image(img, DISPLAY_SIZE, DISPLAY_QUALITY, DISPLAY_METHOD)[0]
    return webp if len(webp) < original_bytes else None


def thumbnail_webp_image(img: Image.Image, size: int = THUMBNAIL_SIZE, quality: int = 80, method: int = 4
                         ) -> tuple[bytes, int, int]:
    """thumbnail_webp for an image already decoded (saves decoding the file again)."""
    scale = min(1.0, size / max(img.size))
    target = (max(1, round(img.width * scale)), max(1, round(img.height * scale)))
    small = img.resize(target, Image.Resampling.LANCZOS, reducing_gap=2.0) if scale < 1 else img.copy()
    if small.mode not in ("RGB", "RGBA"):
        small = small.convert("RGB")
    small.info = {}  # no metadata in thumbnails either
    buf = io.BytesIO()
    small.save(buf, "WEBP", quality=quality, method=method)
    return buf.getvalue(), small.width, small.height
