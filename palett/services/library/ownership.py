"""One ownership check for the user's images and files, used by the gallery, the editor's library and bulk actions.

An id that is missing, someone else's or no id at all fails the same way (UserError "image_not_found"), so
nobody learns what exists. Ids come from the browser: anything but a positive int (a bool, a float, a
string) is not an id.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeGuard

from sqlmodel import Session as DB
from sqlmodel import col, select

from palett.models import GeneratedImage
from palett.services.common.errors import UserError

MAX_SELECTION = 500  # ids one bulk action (delete, zip, add to collection...) may name


def is_id(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63


def owned_image(db: DB, *, user_id: int, image_id: object) -> GeneratedImage:
    """The user's image, or UserError("image_not_found") whether it is missing or someone else's."""
    img = db.get(GeneratedImage, image_id) if is_id(image_id) else None
    if img is None or img.user_id != user_id:
        raise UserError("image_not_found")
    return img


def in_user_folder(key: object, user_id: int) -> bool:
    """Whether a storage key lies under the user's own folder (`u/<user_id>/`, where their uploads and masks go).

    A key read from a recipe or a request is data, not a capability: check it before signing or using it.
    """
    return isinstance(key, str) and key.startswith(f"u/{user_id}/")


def clean_ids(ids: Iterable[object]) -> list[int]:
    """Distinct ids in the order given, non-ids dropped; more than MAX_SELECTION is refused."""
    seen: dict[int, None] = {}
    for value in ids:
        if is_id(value):
            seen[int(value)] = None
    if len(seen) > MAX_SELECTION:
        raise UserError("too_many_selected", limit=MAX_SELECTION)
    return list(seen)


def owned_images(db: DB, *, user_id: int, image_ids: Iterable[object]) -> list[GeneratedImage]:
    """The user's images among `image_ids`, in that order (others' and missing ids are skipped, without telling)."""
    wanted = clean_ids(image_ids)
    if not wanted:
        return []
    rows = db.exec(select(GeneratedImage).where(GeneratedImage.user_id == user_id,
                                                col(GeneratedImage.id).in_(wanted)))
    by_id = {img.id: img for img in rows}
    return [by_id[i] for i in wanted if i in by_id]
