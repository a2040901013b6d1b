"""Changes to the user's own images: favourite, public/private (share links), delete. Owner re-checked each time."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete, or_
from sqlmodel import Session as DB
from sqlmodel import col, select

from palett.models import CollectionImage, GeneratedImage, ImageLike
from palett.services.common.db import after_commit
from palett.services.library.ownership import owned_image, owned_images
from palett.services.media import renditions
from palett.services.media.storage import get_storage

log = logging.getLogger(__name__)


@dataclass
class Visibility:
    """An image's sharing state after a change; share_token is None while it is private."""

    id: int
    is_public: bool
    share_token: str | None


def set_favorite(db: DB, user_id: int, image_id: int, favorite: bool) -> bool:
    """Star or unstar one of the user's images; returns the new state (UserError 'image_not_found')."""
    img = owned_image(db, user_id=user_id, image_id=image_id)
    img.favorite = bool(favorite)
    db.add(img)
    db.flush()
    return img.favorite


def set_public(db: DB, user_id: int, image_ids: Iterable[int], public: bool, *,
               show_prompt: bool | None = None) -> list[Visibility]:
    """Make the user's images public (each gets an unguessable share token) or private (tokens cleared).

    Ids that are not the user's are skipped silently; the result lists the images that are now in the
    asked state. An image that stays public keeps its token; one made public again gets a new one, so a
    link that was shared before it went private never comes back to life. `show_prompt`, when given, is
    the author's choice whether visitors see the prompt (None keeps each image's current choice).
    """
    changed = []
    for img in owned_images(db, user_id=user_id, image_ids=image_ids):
        if show_prompt is not None:
            img.prompt_public = bool(show_prompt)
        if public and not (img.is_public and img.share_token):
            img.is_public, img.share_token = True, new_share_token()
        elif not public:
            img.is_public, img.share_token = False, None
        db.add(img)
        changed.append(Visibility(id=img.id or 0, is_public=img.is_public, share_token=img.share_token))
    db.flush()
    return changed


def set_prompt_public(db: DB, user_id: int, image_id: int, shown: bool) -> bool:
    """Whether visitors of this (public) image see its prompt; returns the new choice."""
    img = owned_image(db, user_id=user_id, image_id=image_id)
    img.prompt_public = bool(shown)
    db.add(img)
    db.flush()
    return img.prompt_public


def new_share_token() -> str:
    return secrets.token_urlsafe(16)  # 128 random bits, 22 URL-safe characters


def delete_images(db: DB, user_id: int, image_ids: Iterable[int]) -> int:
    """Delete the user's images among `image_ids`, their collection links and likes, and (after the commit)
    their stored files. Files still used by another of the user's images are kept. Returns how many went."""
    images = owned_images(db, user_id=user_id, image_ids=image_ids)
    if not images:
        return 0
    ids = [img.id for img in images]
    keys = {k for img in images for k in renditions.stored_keys(img)}
    db.execute(delete(CollectionImage).where(col(CollectionImage.image_id).in_(ids)))
    db.execute(delete(ImageLike).where(col(ImageLike.image_id).in_(ids)))
    db.execute(delete(GeneratedImage).where(col(GeneratedImage.id).in_(ids), col(GeneratedImage.user_id) == user_id))
    # Keys are per user (u/<id>/...), so only the user's own remaining rows can share a file.
    still_used = set()
    if keys:
        rows = db.exec(select(GeneratedImage).where(
            GeneratedImage.user_id == user_id,
            or_(col(GeneratedImage.image_url).in_(keys), col(GeneratedImage.thumbnail_url).in_(keys),
                col(GeneratedImage.display_url).in_(keys)))).all()
        still_used = {k for row in rows for k in renditions.stored_keys(row)}
    doomed = sorted(keys - still_used)
    after_commit(db, lambda: _delete_files(doomed))
    return len(ids)


def _delete_files(keys: list[str]) -> None:
    storage = get_storage()
    for key in keys:
        try:
            storage.delete(key)
        except Exception as exc:  # one stuck object must not keep the others
            log.warning("could not delete stored object %s: %r", key, exc)
