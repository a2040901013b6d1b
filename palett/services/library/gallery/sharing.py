"""Public images: share links, the Explore feed and likes. Nothing here needs the owner; private means invisible.

A share token is 22 URL-safe characters (secrets.token_urlsafe(16)). A private image, a made-private-again
image (its token is cleared), a disabled owner's image and a token that never existed all look the same: None.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import delete, literal, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session as DB
from sqlmodel import col, select

from palett.models import GeneratedImage, ImageLike, User
from palett.services.common.errors import UserError
from palett.services.common.paging import check_limit, cursor_time, decode_cursor, encode_cursor, iso
from palett.services.library.gallery._common import Signer, model_label, operation_label, short, signer
from palett.services.media import renditions

ExploreSort = Literal["newest", "most_liked"]
_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")


@dataclass
class PublicTile:
    id: int
    share_token: str
    thumb: str
    url: str
    display: str  # the display rendition, or the original when there is none
    width: int
    height: int
    prompt: str
    model_label: str
    operation: str
    likes: int
    liked: bool  # by the viewer (False when signed out)
    created: str
    author_id: int
    author_name: str
    profile: str  # the author's public profile path, /u/<id>-<slug>


@dataclass
class ExplorePage:
    items: list[PublicTile]
    next_cursor: str | None


@dataclass
class PublicImage:
    """What a share page shows (signed out too): the picture and its recipe, never the source or the owner's
    private data. prompt and negative_prompt are empty when the author chose to keep them to themselves."""

    id: int
    share_token: str
    url: str
    display: str
    thumb: str
    width: int
    height: int
    prompt: str
    negative_prompt: str
    model: str
    model_label: str
    operation: str
    operation_label: str
    style: str
    seed: int | None
    steps: int | None
    guidance: float | None
    likes: int
    liked: bool
    created: str
    og_title: str
    og_description: str
    prompt_public: bool
    author_name: str
    profile: str


@dataclass
class LikeState:
    likes: int
    liked: bool


def _public(*conditions: Any) -> Any:
    """Public images of enabled users (the join is on the primary key: one lookup per row)."""
    return (select(GeneratedImage).join(User, col(User.id) == GeneratedImage.user_id)
            .where(GeneratedImage.is_public == True, col(User.disabled) == False, *conditions))  # noqa: E712


def by_share_token(db: DB, token: str, viewer_id: int | None = None) -> PublicImage | None:
    """The public image behind a share link, or None (unknown token, private image, disabled owner)."""
    img = public_image(db, token)
    if img is None:
        return None
    sign = signer()
    liked = _liked(db, viewer_id, [img.id or 0])
    prompt, negative = visible_prompts(img)
    title = short(prompt, 70) or "An image made with Palett AI"
    label = model_label(img.model)
    author = authors(db, [img.user_id])[img.user_id]
    return PublicImage(
        id=img.id or 0, share_token=token, url=sign(img.image_url), display=sign(renditions.display_of(img)),
        thumb=sign(renditions.thumb_of(img)), width=img.width, height=img.height, prompt=prompt,
        negative_prompt=negative, model=img.model, model_label=label, operation=img.operation,
        operation_label=operation_label(img.operation),
        style=img.style or "", seed=img.seed, steps=img.steps, guidance=img.guidance, likes=img.likes,
        liked=bool(liked), created=iso(img.created_at), og_title=title,
        og_description=f"{operation_label(img.operation)}{' with ' + label if label else ''} · Palett AI",
        prompt_public=img.prompt_public, author_name=author[0], profile=author[1],
    )


def visible_prompts(img: GeneratedImage) -> tuple[str, str]:
    """(prompt, negative prompt) as a visitor may see them: both empty when the author hid them."""
    if not img.prompt_public:
        return "", ""
    return img.prompt, img.negative_prompt or ""


def authors(db: DB, user_ids: list[int]) -> dict[int, tuple[str, str]]:
    """user id -> (display name, profile path) for the authors of public images (never an email)."""
    rows = db.exec(select(User.id, User.name).where(col(User.id).in_(set(user_ids)))).all() if user_ids else []
    return {uid or 0: (display_name(name), profile_path(uid or 0, name)) for uid, name in rows}


def display_name(name: str | None) -> str:
    return " ".join((name or "").split())[:80] or "A Palett artist"


def profile_path(user_id: int, name: str | None) -> str:
    """/u/<id>-<slug>: the id finds the user (no handle column), the slug is only there to read well."""
    slug = re.sub(r"[^a-z0-9]+", "-", (name or "").lower()).strip("-")[:40].strip("-")
    return f"/u/{user_id}-{slug}" if slug else f"/u/{user_id}"


def public_image(db: DB, token: str) -> GeneratedImage | None:
    """The row behind a share token while it is public (for the share image route)."""
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        return None
    return db.exec(_public(GeneratedImage.share_token == token)).first()


def explore(db: DB, *, cursor: str | None = None, limit: int = 60, sort: ExploreSort = "newest",
            viewer_id: int | None = None, author_id: int | None = None) -> ExplorePage:
    """Everyone's public images (or one author's), newest or most liked first, in keyset pages like the gallery's."""
    limit = check_limit(limit)
    first: Any = col(GeneratedImage.likes) if sort == "most_liked" else col(GeneratedImage.created_at)
    if sort != "most_liked":
        sort = "newest"
    order = (first.desc(), col(GeneratedImage.id).desc())
    key = tuple_(first, col(GeneratedImage.id))
    query = _public() if author_id is None else _public(GeneratedImage.user_id == author_id)
    if cursor:
        fields = decode_cursor(cursor, sort)
        if sort == "most_liked":
            if not isinstance(fields.get("n"), int):
                raise UserError("page_expired")
            bound = tuple_(literal(fields["n"]), literal(fields["i"]))
        else:
            bound = tuple_(literal(cursor_time(fields), type_=first.type),
                           literal(fields["i"]))
        query = query.where(key < bound)
    rows = list(db.exec(query.order_by(*order).limit(limit + 1)))
    more, rows = len(rows) > limit, rows[:limit]
    next_cursor = None
    if more:
        last = rows[-1]
        next_cursor = (encode_cursor(s=sort, n=last.likes, i=last.id) if sort == "most_liked"
                       else encode_cursor(s=sort, t=iso(last.created_at), i=last.id))
    liked = _liked(db, viewer_id, [r.id or 0 for r in rows])
    names = authors(db, [r.user_id for r in rows])
    sign = signer()
    return ExplorePage(items=[_public_tile(r, sign, r.id in liked, names[r.user_id]) for r in rows],
                       next_cursor=next_cursor)


def like(db: DB, image_id: int, user_id: int) -> LikeState:
    """Like a public image once; a second like changes nothing. UserError 'image_not_found' if not public."""
    img = _likeable(db, image_id)
    nested = db.begin_nested()
    try:
        db.add(ImageLike(image_id=image_id, user_id=user_id))
        db.flush()
    except IntegrityError:  # liked before (perhaps a moment ago, in another tab)
        nested.rollback()
        db.refresh(img)
        return LikeState(likes=img.likes, liked=True)
    likes = db.execute(update(GeneratedImage).where(col(GeneratedImage.id) == image_id,
                                                    col(GeneratedImage.is_public) == True)  # noqa: E712
                       .values(likes=col(GeneratedImage.likes) + 1).returning(col(GeneratedImage.likes))
                       ).scalar_one_or_none()
    if likes is None:  # made private in between
        nested.rollback()
        raise UserError("image_not_found")
    nested.commit()
    return LikeState(likes=int(likes), liked=True)


def unlike(db: DB, image_id: int, user_id: int) -> LikeState:
    """Take a like back (only on an image that is still public)."""
    img = _likeable(db, image_id)
    gone = db.execute(delete(ImageLike).where(col(ImageLike.image_id) == image_id,
                                              col(ImageLike.user_id) == user_id)).rowcount  # type: ignore[attr-defined]
    if not gone:
        return LikeState(likes=img.likes, liked=False)
    likes = db.execute(update(GeneratedImage).where(col(GeneratedImage.id) == image_id,
                                                    col(GeneratedImage.likes) > 0)
                       .values(likes=col(GeneratedImage.likes) - 1).returning(col(GeneratedImage.likes))
                       ).scalar_one_or_none()
    return LikeState(likes=int(likes if likes is not None else 0), liked=False)


def _likeable(db: DB, image_id: int) -> GeneratedImage:
    ok = isinstance(image_id, int) and not isinstance(image_id, bool) and 0 < image_id < 2**63
    img = db.exec(_public(col(GeneratedImage.id) == image_id)).first() if ok else None
    if img is None:
        raise UserError("image_not_found")
    return img


def _liked(db: DB, viewer_id: int | None, ids: list[int]) -> set[int]:
    if not viewer_id or not ids:
        return set()
    return set(db.exec(select(ImageLike.image_id).where(ImageLike.user_id == viewer_id,
                                                        col(ImageLike.image_id).in_(ids))).all())


def _public_tile(img: GeneratedImage, sign: Signer, liked: bool, author: tuple[str, str]) -> PublicTile:
    return PublicTile(
        id=img.id or 0, share_token=img.share_token or "", thumb=sign(renditions.thumb_of(img)),
        url=sign(img.image_url), display=sign(renditions.display_of(img)), width=img.width, height=img.height,
        prompt=short(visible_prompts(img)[0]),
        model_label=model_label(img.model), operation=img.operation, likes=img.likes, liked=liked,
        created=iso(img.created_at), author_id=img.user_id, author_name=author[0], profile=author[1],
    )
