"""Profile pictures: a 256 px square WebP cut from an upload that passed the same checks as any image upload.

The file lives in the user's own storage prefix (u/<id>/avatar-<hex>.webp, so account deletion removes it)
and `user.image` holds the app path that serves it, /api/avatars/<id>/avatar-<hex>.webp. That route serves a
file only while it is the user's current avatar: an old or guessed name is 404. A new picture gets a new
random name, so browsers may cache each one for long.

    cleaned = uploads.clean(data)                  # size, type, pixel limits, metadata stripped
    with session_scope() as db:
        path = avatars.set_avatar(db, user_id, cleaned)
"""

from __future__ import annotations

import contextlib
import io
import re
import uuid

from PIL import Image, ImageOps
from sqlmodel import Session as DB

from palett.models import User, utcnow
from palett.services.common.db import after_commit
from palett.services.common.errors import UserError
from palett.services.media import images, uploads
from palett.services.media.storage import get_storage

SIZE = 256
ROUTE = "/api/avatars"
_NAME = re.compile(r"avatar-[0-9a-f]{32}\.webp")


def path_for(user_id: int, name: str) -> str:
    return f"{ROUTE}/{user_id}/{name}"


def render(cleaned: uploads.Cleaned) -> bytes:
    """The centre square of the picture at SIZE x SIZE, as WebP without metadata."""
    _, max_pixels = uploads.limits()
    try:
        img = images.open_safely(cleaned.data, max_pixels)
    except ValueError as exc:
        raise UserError("upload_damaged") from exc
    mode = "RGBA" if img.mode in ("RGBA", "LA") else "RGB"
    square = ImageOps.fit(img.convert(mode), (SIZE, SIZE), Image.Resampling.LANCZOS)
    square.info = {}
    out = io.BytesIO()
    square.save(out, "WEBP", quality=88, method=4)
    return out.getvalue()


def set_avatar(db: DB, user_id: int, cleaned: uploads.Cleaned) -> tuple[str, str]:
    """Store a new avatar and point the user at it. Returns (path for user.image, storage key).

    The previous avatar file is deleted once this transaction commits; if the caller's commit fails it
    should delete the returned key (forget()).
    """
    user = db.get(User, user_id)
    if user is None:
        raise UserError("signed_out")
    data = render(cleaned)
    name = f"avatar-{uuid.uuid4().hex}.webp"
    key = f"u/{user_id}/{name}"
    get_storage().put(key, data, "image/webp")
    old = _own_key(user_id, user.image)
    user.image = path_for(user_id, name)
    user.updated_at = utcnow()
    db.add(user)
    db.flush()
    if old:
        after_commit(db, lambda: get_storage().delete(old))
    return user.image, key


def remove_avatar(db: DB, user_id: int) -> None:
    """Back to initials (also drops a picture that came from Google or GitHub)."""
    user = db.get(User, user_id)
    if user is None:
        raise UserError("signed_out")
    old = _own_key(user_id, user.image)
    user.image = None
    user.updated_at = utcnow()
    db.add(user)
    db.flush()
    if old:
        after_commit(db, lambda: get_storage().delete(old))


def current_key(db: DB, user_id: int, name: str) -> str | None:
    """The storage key behind /api/avatars/<user_id>/<name> while it is that user's avatar, else None."""
    if not _NAME.fullmatch(name or "") or not 0 < user_id < 2**63:
        return None
    user = db.get(User, user_id)
    if user is None or user.disabled or user.image != path_for(user_id, name):
        return None
    return f"u/{user_id}/{name}"


def forget(key: str) -> None:
    with contextlib.suppress(Exception):  # an orphan file is harmless
        get_storage().delete(key)


def _own_key(user_id: int, image: str | None) -> str | None:
    prefix = f"{ROUTE}/{user_id}/"
    if not image or not image.startswith(prefix):
        return None
    name = image[len(prefix):]
    return f"u/{user_id}/{name}" if _NAME.fullmatch(name) else None
