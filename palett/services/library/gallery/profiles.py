"""What visitors may take from public images: an author's public profile and an image's public recipe (Remix).

Both read only public images of enabled users (sharing._public) and only what the author chose to show:
a hidden prompt never leaves here, and nothing returned names a storage key, an email or a private image.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlmodel import Session as DB
from sqlmodel import col, select

from palett.models import GeneratedImage, User
from palett.services.library.gallery.sharing import (
    ExplorePage,
    ExploreSort,
    display_name,
    explore,
    profile_path,
    public_image,
    visible_prompts,
)

# The studio settings a recipe may carry over; everything else (source keys, masks, seeds) stays behind.
REMIX_FIELDS = ("size", "steps", "guidance", "style")
_HANDLE = re.compile(r"([1-9][0-9]{0,17})(?:-[a-z0-9-]{0,60})?")


@dataclass
class PublicProfile:
    user_id: int
    name: str  # "" while they have shared nothing (a bare id does not reveal who an account belongs to)
    initials: str
    avatar: str  # the app path of their uploaded picture, or ""
    path: str  # canonical /u/<id>-<slug>
    public_images: int
    total_likes: int
    page: ExplorePage


def user_id_of(handle: str) -> int | None:
    """The id in /u/<id> or /u/<id>-<slug> (the slug may be stale or missing; only the id counts)."""
    found = _HANDLE.fullmatch(handle or "")
    return int(found.group(1)) if found else None


def public_profile(db: DB, handle: str, *, viewer_id: int | None = None, cursor: str | None = None,
                   limit: int = 48, sort: ExploreSort = "newest") -> PublicProfile | None:
    """An enabled user's public page: their public images newest (or most liked) first; None if no such user."""
    user_id = user_id_of(handle)
    user = db.get(User, user_id) if user_id else None
    if user is None or user.disabled:
        return None
    count, likes = db.exec(select(func.count(), func.coalesce(func.sum(GeneratedImage.likes), 0))
                           .where(GeneratedImage.user_id == user.id,
                                  col(GeneratedImage.is_public) == True)).one()  # noqa: E712
    page = explore(db, cursor=cursor, limit=limit, sort=sort, viewer_id=viewer_id, author_id=user.id)
    shared = int(count) > 0
    name = display_name(user.name) if shared else ""
    avatar = user.image if shared and (user.image or "").startswith("/api/avatars/") else ""
    return PublicProfile(user_id=user.id or 0, name=name, initials=_initials(name), avatar=avatar or "",
                         path=profile_path(user.id or 0, user.name if shared else ""), public_images=int(count),
                         total_likes=int(likes), page=page)


def remix_recipe(db: DB, token: str) -> dict[str, Any] | None:
    """Studio input to make something like a shared image: its model and settings, a random seed, and its
    prompt only if the author shows it. None when the link is not (or no longer) public."""
    img = public_image(db, token)
    if img is None:
        return None
    params = dict(img.recipe.get("params") or {})
    recipe: dict[str, Any] = {k: params[k] for k in REMIX_FIELDS if params.get(k) not in (None, "")}
    prompt, negative = visible_prompts(img)
    recipe.update(model=img.model, prompt=prompt, num_images=1, seed=None, operation=img.operation)
    if negative:
        recipe["negative_prompt"] = negative
    return recipe


def _initials(name: str) -> str:
    return "".join(part[0] for part in name.split()[:2]).upper() or "?"
