"""Check, clean and re-encode an upload on a small decode pool of its own.

Uploads that arrive together wait their turn (DECODE_SLOTS threads), so peak memory follows the pool size,
not the number of people uploading.

Stored format: PNG (lossless), except large photos: a JPEG/WebP/AVIF source without transparency above
2048x2048 pixels is re-encoded as JPEG at quality 95. A 24-megapixel photo as PNG is ~55 MB and takes ~3 s
to encode; as JPEG q95 it is ~15 MB in ~0.1 s, and the loss is not visible.
"""

from __future__ import annotations

import asyncio
import io
import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import IO

from PIL import Image

from palett.services.common.errors import UserError
from palett.services.media import images, renditions
from palett.services.media.uploads.checks import decode
from palett.services.media.uploads.cleaning import clean_pixels
from palett.services.media.uploads.limits import limits, too_big

JPEG_QUALITY = 95
# Lossy sources above this many pixels are stored as JPEG instead of PNG (see the module docstring).
JPEG_ABOVE_PIXELS = 2048 * 2048
_LOSSY_SOURCES = {"JPEG", "WEBP", "AVIF"}

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


@dataclass(frozen=True)
class Cleaned:
    data: bytes
    content_type: str
    ext: str
    thumb: bytes
    display: bytes | None  # the display rendition (renditions.make); None when `data` is smaller
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
        return _cleaned(buf.getvalue(), "image/jpeg", "jpg", img, fmt)
    return _cleaned(images.to_png(img, {}), "image/png", "png", img, fmt)


def _cleaned(data: bytes, content_type: str, ext: str, img: Image.Image, fmt: str) -> Cleaned:
    """The renditions come from the pixels we already hold (no second decode)."""
    made = renditions.make(img, len(data))
    return Cleaned(data, content_type, ext, made.thumb, made.display, img.width, img.height, fmt)
