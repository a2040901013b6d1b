"""Images people upload: checked from their bytes, cleaned, re-encoded and stored as their own media.

The order of checks follows notes/image-engines.md ("Decoding untrusted images safely"):

1. size: empty or over the cap (the HTTP route enforces the cap while the body streams in);
2. type, sniffed from magic bytes (the name and the declared Content-Type are never trusted);
3. the header alone, parsed by the plugin of the sniffed type only: pixel count and frame count
   before anything is decoded (a 30000x30000 PNG of a few hundred bytes is refused in ~1 ms);
4. verify(), then a fresh parse and a full load(): a truncated or corrupt file fails here;
5. cleaning: EXIF orientation applied, embedded ICC profile converted to sRGB, CMYK/16-bit/palette
   modes turned into 8-bit L, RGB or RGBA, and the file written again from pixels only, so EXIF, GPS,
   XMP, comments, text chunks, ICC profiles and any bytes appended to the file are all gone.

Decoding runs on a small pool of its own (DECODE_SLOTS threads): uploads that arrive together wait
their turn, so peak memory follows the pool size, not the number of people uploading.

Stored format: PNG (lossless), except large photos: a JPEG/WebP/AVIF source without transparency
above 2048x2048 pixels is re-encoded as JPEG at quality 95. A 24-megapixel photo as PNG is ~55 MB
and takes ~3 s to encode; as JPEG q95 it is ~15 MB in ~0.1 s, and the loss is not visible.
"""

from __future__ import annotations

import asyncio
import io
import logging
import os
import threading
import unicodedata
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from typing import IO

import numpy as np
from PIL import Image, ImageCms, ImageFile, ImageOps, features
from sqlmodel import Session as DB

from palett.models import GeneratedImage
from palett.services import images
from palett.services.errors import UserError
from palett.services.storage import get_storage, new_key
from palett.settings import get_settings

log = logging.getLogger(__name__)

MAX_NAME = 200
JPEG_QUALITY = 95
# Lossy sources above this many pixels are stored as JPEG instead of PNG (see the module docstring).
JPEG_ABOVE_PIXELS = 2048 * 2048
_LOSSY_SOURCES = {"JPEG", "WEBP", "AVIF"}
_JPEG_LIKE = {"JPEG", "MPO"}  # phones write multi-picture JPEGs (MPO): the first frame is the photo

# A 24-megapixel photo holds ~120 MB while it is cleaned. A dedicated pool (rather than a semaphore in
# whichever request thread runs) also keeps these allocations in a few malloc arenas: spread over ten
# request threads, glibc kept ~2 GB resident after ten 20 MB uploads (bench/uploads.py).
DECODE_SLOTS = max(1, min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1))
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _decode_pool() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:  # created on first use, never at import (fork safety)
        if _pool is None:
            _pool = ThreadPoolExecutor(DECODE_SLOTS, thread_name_prefix="palett-upload")
        return _pool


def allowed_formats() -> tuple[str, ...]:
    return ("JPEG", "PNG", "WEBP", "AVIF") if _avif() else ("JPEG", "PNG", "WEBP")


@cache
def _avif() -> bool:
    return bool(features.check("avif"))


def formats_label() -> str:
    return "JPEG, PNG, WebP or AVIF" if _avif() else "JPEG, PNG or WebP"


def limits() -> tuple[int, int]:
    """(max bytes, max pixels) from the settings."""
    settings = get_settings()
    return settings.max_upload_bytes, settings.max_upload_pixels


def too_big(limit: int) -> UserError:
    return UserError("upload_too_big", limit_mb=f"{limit / (1024 * 1024):g}")


# ---- reading a body with a hard cap ------------------------------------------------------------------


class CappedBuffer:
    """Collects chunks and raises `upload_too_big` as soon as the running total passes `limit`."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.size = 0
        self._chunks: list[bytes] = []

    def add(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.limit:
            self._chunks.clear()  # free what we held before raising
            raise too_big(self.limit)
        if chunk:
            self._chunks.append(bytes(chunk))

    def getvalue(self) -> bytes:
        data = b"".join(self._chunks)
        self._chunks = [data] if data else []
        return data


def read_capped(stream_chunks: Iterable[bytes], limit: int) -> bytes:
    """Join `stream_chunks`, refusing (UserError upload_too_big) the moment the total passes `limit`.

    Never holds more than `limit` bytes: the chunk that crosses the limit is not kept.
    """
    buf = CappedBuffer(limit)
    for chunk in stream_chunks:
        buf.add(chunk)
    return buf.getvalue()


# ---- sniffing and checking ----------------------------------------------------------------------------


def sniff(data: bytes) -> str | None:
    """The image type from the magic bytes: JPEG, PNG, WEBP, AVIF, GIF, or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if len(data) >= 16 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    if _is_avif(data):
        return "AVIF"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    return None


def _is_avif(data: bytes) -> bool:
    # ISO-BMFF: the first box is `ftyp` with a major brand and a list of compatible brands.
    if len(data) < 16 or data[4:8] != b"ftyp":
        return False
    size = int.from_bytes(data[:4], "big")
    if not 16 <= size <= min(len(data), 4096):
        return False
    brands = {data[8:12]} | {data[i:i + 4] for i in range(16, size - 3, 4)}
    return bool(brands & {b"avif", b"avis"})


def _parse(data: bytes, fmt: str) -> ImageFile.ImageFile:
    """The header, parsed by the plugin for `fmt` only; no pixels are decoded.

    This calls the registered plugin directly rather than Image.open(), whose global
    MAX_IMAGE_PIXELS check would fire before we can read (and report) the dimensions.
    """
    Image.init()
    entry = Image.OPEN.get(fmt)
    if entry is None:
        raise UserError("upload_unsupported", formats=formats_label())
    factory = entry[0]
    try:
        return factory(io.BytesIO(data), "")
    except MemoryError:
        raise
    except Exception as exc:
        log.info("upload: %s header does not parse: %r", fmt, exc)
        raise UserError("upload_damaged") from exc


def declared_size(data: bytes, fmt: str) -> tuple[int, int] | None:
    """(width, height) as the header states it, read with a few struct reads (PNG, JPEG, WebP)."""
    if fmt == "PNG":
        if len(data) >= 24 and data[12:16] == b"IHDR":
            return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
        return None
    if fmt == "JPEG":
        return _jpeg_size(data)
    if fmt == "WEBP":
        return _webp_size(data)
    return None


_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in (0x01, 0xD8) or 0xD0 <= marker <= 0xD7:  # no length field
            pos += 2
            continue
        if marker == 0xDA:  # start of scan before any frame header
            return None
        if marker in _SOF and pos + 9 <= len(data):
            height, width = int.from_bytes(data[pos + 5:pos + 7], "big"), int.from_bytes(data[pos + 7:pos + 9], "big")
            return width, height
        pos += 2 + int.from_bytes(data[pos + 2:pos + 4], "big")
    return None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8 " and len(data) >= 30 and data[23:26] == b"\x9d\x01\x2a":
        return int.from_bytes(data[26:28], "little") & 0x3FFF, int.from_bytes(data[28:30], "little") & 0x3FFF
    if chunk == b"VP8X" and len(data) >= 30:
        return int.from_bytes(data[24:27], "little") + 1, int.from_bytes(data[27:30], "little") + 1
    if chunk == b"VP8L" and len(data) >= 25 and data[20] == 0x2F:
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return None


def _check_pixels(width: int, height: int, max_pixels: int) -> None:
    if width <= 0 or height <= 0:
        raise UserError("upload_damaged")
    if width * height > max_pixels:
        raise UserError("upload_too_many_pixels", width=f"{width:,}", height=f"{height:,}",
                        megapixels=f"{max_pixels / 1_000_000:g}")


def _check_header(img: ImageFile.ImageFile, max_pixels: int) -> None:
    _check_pixels(*img.size, max_pixels)
    if img.format not in _JPEG_LIKE and _frames(img) > 1:
        raise UserError("upload_animated")


def _frames(img: ImageFile.ImageFile) -> int:
    try:
        return int(getattr(img, "n_frames", 1))
    except Exception as exc:  # counting frames walks the file's structure: a broken file fails here
        raise UserError("upload_damaged") from exc


def _refuse_other(data: bytes, fmt: str | None) -> UserError:
    """The error for a type we don't take; an animated GIF gets the more useful message."""
    if fmt == "GIF":
        try:
            if getattr(_parse(data, "GIF"), "is_animated", False):  # walks blocks, decodes nothing
                return UserError("upload_animated")
        except Exception:
            pass
    return UserError("upload_unsupported", formats=formats_label())


def decode(data: bytes, max_pixels: int) -> tuple[Image.Image, str]:
    """Fully decoded pixels and the sniffed type, or a UserError; see the module docstring."""
    fmt = sniff(data)
    if fmt not in allowed_formats():
        raise _refuse_other(data, fmt)
    assert fmt is not None
    declared = declared_size(data, fmt)
    if declared:  # before any plugin runs: libwebp allocates the whole canvas when it opens a file
        _check_pixels(*declared, max_pixels)
    header = _parse(data, fmt)
    _check_header(header, max_pixels)
    size = header.size
    try:
        header.verify()  # structure and checksums, without decoding pixels
        del header  # a WebP header object holds a canvas-sized decoder: free it before the next parse
        img = _parse(data, fmt)  # verify() leaves the object unusable: parse again
        if img.size != size:
            raise ValueError("size changed between parses")
        img.load()  # a truncated or corrupt file fails here
    except (MemoryError, UserError):
        raise
    except Exception as exc:
        log.info("upload: %s does not decode: %r", fmt, exc)
        raise UserError("upload_damaged") from exc
    return img, fmt


# ---- cleaning ---------------------------------------------------------------------------------------------


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


def _fresh(img: Image.Image) -> Image.Image:
    """The same pixels in a new image with empty `info`: nothing from the upload but pixels goes on."""
    clean = Image.new(img.mode, img.size)
    clean.paste(img, (0, 0))
    return clean


@dataclass(frozen=True)
class Cleaned:
    data: bytes
    content_type: str
    ext: str
    thumb: bytes
    width: int
    height: int
    source_format: str


def clean(data: bytes | IO[bytes], max_bytes: int | None = None, max_pixels: int | None = None) -> Cleaned:
    """Check and re-encode untrusted bytes (or a seekable file of them); raises UserError (upload_*).

    A file is read inside the decode pool, so uploads waiting their turn hold no memory (the HTTP
    route spools bodies to a temporary file).
    """
    return _submit(data, max_bytes, max_pixels).result()


async def clean_async(data: bytes | IO[bytes], max_bytes: int | None = None,
                      max_pixels: int | None = None) -> Cleaned:
    """clean() for the event loop: awaits the decode pool without holding a request thread."""
    return await asyncio.wrap_future(_submit(data, max_bytes, max_pixels))


def _submit(data: bytes | IO[bytes], max_bytes: int | None, max_pixels: int | None) -> Future[Cleaned]:
    default_bytes, default_pixels = limits()
    max_bytes = default_bytes if max_bytes is None else max_bytes
    max_pixels = default_pixels if max_pixels is None else max_pixels
    if isinstance(data, bytes | bytearray | memoryview):
        size = len(data)
    else:
        size = data.seek(0, io.SEEK_END)
        data.seek(0)
    if size == 0:
        raise UserError("upload_empty")
    if size > max_bytes:
        raise too_big(max_bytes)
    return _decode_pool().submit(_clean, data, max_bytes, max_pixels)


def _clean(source: bytes | IO[bytes], max_bytes: int, max_pixels: int) -> Cleaned:
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)  # no copy for bytes
    else:
        data = source.read(max_bytes + 1)
        if not data:
            raise UserError("upload_empty")
        if len(data) > max_bytes:
            raise too_big(max_bytes)
    del source
    img, fmt = decode(data, max_pixels)
    del data
    img = clean_pixels(img)
    width, height = img.size
    if fmt in _LOSSY_SOURCES and img.mode in ("RGB", "L") and width * height > JPEG_ABOVE_PIXELS:
        # No copy of 72 MB here: Pillow's JPEG writer takes EXIF/ICC/XMP only from save() arguments (none
        # given) and the comment from `info`, which we empty. tests/integration/test_uploads.py parses the
        # result's markers to keep this true.
        img.info = {}
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=JPEG_QUALITY, subsampling=2)  # 4:2:0, as cameras write it
        return Cleaned(buf.getvalue(), "image/jpeg", "jpg", thumbnail(img), width, height, fmt)
    return Cleaned(images.to_png(img, {}), "image/png", "png", thumbnail(img), width, height, fmt)


def thumbnail(img: Image.Image, size: int = images.THUMBNAIL_SIZE) -> bytes:
    """The WebP thumbnail, made from pixels we already hold (no second decode)."""
    return images.thumbnail_webp_image(img, size)[0]


def sanitize_filename(filename: str) -> str:
    """The base name only, without control/format characters (bidi overrides), ≤ 200 characters."""
    name = unicodedata.normalize("NFC", str(filename or ""))
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(" " if unicodedata.category(c)[0] in ("C", "Z") else c for c in name)
    return " ".join(name.split())[:MAX_NAME].strip()


# ---- storing --------------------------------------------------------------------------------------------


def accept_upload(db: DB, *, user_id: int, data: bytes | IO[bytes], filename: str) -> GeneratedImage:
    """Check, clean and store an upload as the user's image; raises UserError (upload_*) on refusal.

    `data` is the upload's bytes, or a seekable binary file holding them (read in the decode pool).

    The row is added and flushed (it has an id); the caller's unit of work commits it.
    """
    return store(db, user_id=user_id, cleaned=clean(data), filename=filename)


def store(db: DB, *, user_id: int, cleaned: Cleaned, filename: str) -> GeneratedImage:
    """Put a cleaned upload and its thumbnail under `u/<user_id>/` and add its GeneratedImage row."""
    name = sanitize_filename(filename)
    storage = get_storage()
    key = new_key(user_id, cleaned.ext)
    thumb_key = key.rsplit(".", 1)[0] + "-thumb.webp"
    try:
        storage.put(key, cleaned.data, cleaned.content_type)
        storage.put(thumb_key, cleaned.thumb, "image/webp")
        image = GeneratedImage(
            user_id=user_id, prompt=name, model="", operation="upload", image_url=key, thumbnail_url=thumb_key,
            width=cleaned.width, height=cleaned.height,
            recipe={"source": "upload", "original_name": name, "original_format": cleaned.source_format},
        )
        db.add(image)
        db.flush()
    except BaseException:
        forget(key, thumb_key)
        raise
    return image


def forget(*keys: str) -> None:
    """Delete stored objects after a failure (best effort)."""
    storage = get_storage()
    for key in keys:
        try:
            storage.delete(key)
        except Exception as exc:
            log.warning("upload: could not delete %s: %r", key, exc)
