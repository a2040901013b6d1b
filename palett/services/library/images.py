"""The user's images as the editor needs them: recent ones to pick from, one by id. Always by owner."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session as DB
from sqlmodel import col, select

from palett.models import GeneratedImage
from palett.services.generation import operations
from palett.services.library import ownership
from palett.services.media import renditions
from palett.services.media.storage import get_storage
from palett.settings import get_settings


@dataclass
class ImageRef:
    id: int
    url: str
    thumb: str
    width: int
    height: int
    label: str


def _ref(img: GeneratedImage) -> ImageRef:
    storage, ttl = get_storage(), get_settings().media_url_seconds
    label = img.prompt[:60] if img.prompt else operations.label_of(img.operation)
    return ImageRef(id=img.id or 0, url=storage.url(img.image_url, ttl),
                    thumb=storage.url(renditions.thumb_of(img), ttl), width=img.width, height=img.height,
                    label=label)


def recent_images(db: DB, user_id: int, limit: int = 24) -> list[ImageRef]:
    rows = db.exec(select(GeneratedImage).where(GeneratedImage.user_id == user_id)
                   .order_by(col(GeneratedImage.id).desc()).limit(limit))
    return [_ref(r) for r in rows]


def owned_image(db: DB, user_id: int, image_id: int) -> ImageRef:
    """The user's image as the editor shows it; UserError("image_not_found") otherwise (ownership.py)."""
    return _ref(ownership.owned_image(db, user_id=user_id, image_id=image_id))
