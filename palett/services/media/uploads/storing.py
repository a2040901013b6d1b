"""Storing a cleaned upload as the user's own image: the file, its renditions and a GeneratedImage row."""

from __future__ import annotations

import logging
import unicodedata
from typing import IO

from sqlmodel import Session as DB

from palett.models import GeneratedImage
from palett.services.media import renditions
from palett.services.media.storage import get_storage, new_key
from palett.services.media.uploads.reencode import Cleaned, clean

log = logging.getLogger(__name__)

MAX_NAME = 200


def sanitize_filename(filename: str) -> str:
    """The base name only, without control/format characters (bidi overrides), ≤ 200 characters."""
    name = unicodedata.normalize("NFC", str(filename or ""))
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(" " if unicodedata.category(c)[0] in ("C", "Z") else c for c in name)
    return " ".join(name.split())[:MAX_NAME].strip()


def accept_upload(db: DB, *, user_id: int, data: bytes | IO[bytes], filename: str) -> GeneratedImage:
    """Check, clean and store an upload as the user's image; raises UserError (upload_*) on refusal.

    `data` is the upload's bytes, or a seekable binary file holding them (read in the decode pool).

    The row is added and flushed (it has an id); the caller's unit of work commits it.
    """
    return store(db, user_id=user_id, cleaned=clean(data), filename=filename)


def store(db: DB, *, user_id: int, cleaned: Cleaned, filename: str) -> GeneratedImage:
    """Put a cleaned upload and its renditions under `u/<user_id>/` and add its GeneratedImage row."""
    name = sanitize_filename(filename)
    storage = get_storage()
    key = new_key(user_id, cleaned.ext)
    try:
        storage.put(key, cleaned.data, cleaned.content_type)
        thumb_key, display_key = renditions.store(storage, key, renditions.Renditions(cleaned.thumb, cleaned.display))
        image = GeneratedImage(
            user_id=user_id, prompt=name, model="", operation="upload", image_url=key, thumbnail_url=thumb_key,
            display_url=display_key, width=cleaned.width, height=cleaned.height,
            recipe={"source": "upload", "original_name": name, "original_format": cleaned.source_format},
        )
        db.add(image)
        db.flush()
    except BaseException:
        forget(key, renditions.thumb_key(key), renditions.display_key(key))
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
