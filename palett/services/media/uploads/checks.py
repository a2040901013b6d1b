"""What an upload is, told from its bytes alone, and the checks a hostile file must pass before it is decoded.

The order follows notes/image-engines.md ("Decoding untrusted images safely"): the type sniffed from magic
bytes (never the name or the declared Content-Type); the size the header declares, read with a few struct
reads; the header parsed by the plugin of the sniffed type only (pixel and frame count, images.check_header);
then verify(), a fresh parse and a full load(), where a truncated or corrupt file fails.
"""

from __future__ import annotations

import io
import logging
from functools import cache

from PIL import Image, ImageFile, features

from palett.services.common.errors import UserError
from palett.services.media import images

log = logging.getLogger(__name__)


def allowed_formats() -> tuple[str, ...]:
    return ("JPEG", "PNG", "WEBP", "AVIF") if _avif() else ("JPEG", "PNG", "WEBP")


@cache
def _avif() -> bool:
    return bool(features.check("avif"))


def formats_label() -> str:
    return "JPEG, PNG, WebP or AVIF" if _avif() else "JPEG, PNG or WebP"


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
        images.check_pixels(*declared, max_pixels)
    header = _parse(data, fmt)
    images.check_header(header, max_pixels)
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
