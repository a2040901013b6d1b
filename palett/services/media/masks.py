"""Inpainting masks the browser's mask editor exports: decode, check and store them (media side).

The editor sends a black/white PNG as a data URL at the source image's exact pixel size; only a
binary version of it is stored, under the user's own storage prefix.
"""

from __future__ import annotations

import base64
import binascii

from PIL import Image

from palett.services.common.errors import UserError
from palett.services.media import images
from palett.services.media.storage import get_storage, new_key

PNG_PREFIX = "data:image/png;base64,"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
MAX_MASK_BYTES = 8 * 1024 * 1024


def mask_png_bytes(data_url: str, *, max_bytes: int = MAX_MASK_BYTES) -> bytes:
    """The PNG bytes inside an exported mask data URL; ValueError unless it is a PNG within `max_bytes`."""
    if not isinstance(data_url, str) or not data_url.startswith(PNG_PREFIX):
        raise ValueError("not a PNG data URL")
    payload = data_url[len(PNG_PREFIX):]
    if len(payload) > (max_bytes * 4) // 3 + 4:
        raise ValueError("mask too large")
    try:
        png = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("invalid base64") from exc
    if not png.startswith(PNG_MAGIC) or len(png) > max_bytes:
        raise ValueError("not a PNG")
    return png


def store_mask(user_id: int, data_url: str, size: tuple[int, int]) -> str:
    """Check a mask the browser exported (PNG data URL, exactly the image's size), store it, return its key."""
    try:
        mask = images.open_safely(mask_png_bytes(data_url), size[0] * size[1] + 1)
    except ValueError as exc:
        raise UserError("mask_invalid") from exc
    if mask.size != size:
        raise UserError("mask_invalid")
    return _store_binary(user_id, mask)


def store_mask_image(user_id: int, data: bytes, size: tuple[int, int]) -> str:
    """A mask sent as an image file (the API's `mask_id`): white where new pixels go, exactly the image's size."""
    try:
        mask = images.open_safely(data, size[0] * size[1] + 1)
    except ValueError as exc:
        raise UserError("mask_invalid") from exc
    if mask.size != size:
        raise UserError("mask_invalid")
    return _store_binary(user_id, mask)


def _store_binary(user_id: int, mask: Image.Image) -> str:
    # Painted strokes arrive either as alpha on a transparent canvas or as white on black.
    alpha = mask.getchannel("A") if mask.mode == "RGBA" else None
    grey = alpha if alpha is not None and alpha.getextrema() != (255, 255) else mask.convert("L")
    binary = grey.point(lambda v: 255 if v >= 128 else 0)
    if binary.getextrema() == (0, 0):
        raise UserError("mask_empty")
    key = new_key(user_id, "png")
    get_storage().put(key, images.to_png(binary, {}), "image/png")
    return key
