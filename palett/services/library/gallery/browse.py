"""The gallery grid: one owner's images, filtered and searched, in keyset pages.

Pages are cut on (created_at, id), never with OFFSET: a page costs the same at image 10,000 as at image 1,
and images that arrive while someone scrolls never shift or repeat later pages (newer ones sort before the
cursor; with "oldest" they join the end).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, func, literal, tuple_
from sqlmodel import Session as DB
from sqlmodel import col, select

from palett.models import Collection, CollectionImage, GeneratedImage
from palett.services.common.errors import UserError
from palett.services.common.paging import (
    check_limit,
    cursor_time,
    day_end,
    day_start,
    decode_cursor,
    encode_cursor,
    iso,
)
from palett.services.library.gallery import search
from palett.services.library.gallery._common import Tile, model_label, operation_label, signer, tile
from palett.services.library.ownership import owned_image, owned_images

Visibility = Literal["all", "public", "private"]
Sort = Literal["newest", "oldest"]
DateLike = date | datetime


@dataclass(frozen=True)
class Filters:
    """What the gallery shows. Dates are UTC days; date_to includes its whole day."""

    q: str = ""
    operation: str | None = None
    model: str | None = None
    date_from: DateLike | None = None
    date_to: DateLike | None = None
    favorites: bool = False
    collection_id: int | None = None
    visibility: Visibility = "all"
    sort: Sort = "newest"


@dataclass
class Page:
    items: list[Tile]
    next_cursor: str | None  # pass back as `cursor` for the next page; None at the end
    total: int | None = None  # how many images match, counted on the first page only


@dataclass
class Neighbours:
    """The ids shown before and after an image in the same filtered order (arrow keys); None at an end."""

    prev: int | None
    next: int | None


@dataclass
class Option:
    value: str
    label: str
    count: int


@dataclass
class Facets:
    """The operations and models this user has images of, for the filter menus."""

    operations: list[Option] = field(default_factory=list)
    models: list[Option] = field(default_factory=list)
    total: int = 0


def page(db: DB, user_id: int, *, cursor: str | None = None, limit: int = 60, q: str = "",
         operation: str | None = None, model: str | None = None, date_from: DateLike | None = None,
         date_to: DateLike | None = None, favorites: bool = False, collection_id: int | None = None,
         visibility: Visibility = "all", sort: Sort = "newest") -> Page:
    """One page of the user's images, newest (or oldest) first.

    `cursor` is the previous page's next_cursor (None for the first page). Raises UserError
    'collection_not_found' for a collection that is not the user's, 'page_expired' for a damaged cursor.
    """
    filters = Filters(q=q, operation=operation, model=model, date_from=date_from, date_to=date_to,
                      favorites=favorites, collection_id=collection_id, visibility=visibility, sort=sort)
    return page_of(db, user_id, filters, cursor=cursor, limit=limit)


def page_of(db: DB, user_id: int, filters: Filters, *, cursor: str | None = None, limit: int = 60) -> Page:
    """page() for a Filters value (handy for state that keeps its filters together)."""
    limit = check_limit(limit)
    conditions = _conditions(db, user_id, filters)
    query = select(GeneratedImage).where(*conditions)
    if cursor:
        fields = decode_cursor(cursor, filters.sort)
        query = query.where(_after(cursor_time(fields), int(fields["i"]), filters.sort))
    rows = list(db.exec(query.order_by(*_order(filters.sort)).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = None
    if more:
        last = rows[-1]
        next_cursor = encode_cursor(s=filters.sort, t=iso(last.created_at), i=last.id)
    total = None
    if not cursor:
        total = len(rows) if not more else int(db.exec(select(func.count()).where(*conditions)).one())
    sign = signer()
    return Page(items=[tile(r, sign) for r in rows], next_cursor=next_cursor, total=total)


def tiles(db: DB, user_id: int, image_ids: list[int]) -> list[Tile]:
    """Fresh tiles for the user's images among `image_ids`, in the order given (others' and missing ids are
    skipped). For refreshing a grid the browser already shows: new signed URLs, stars, public/private."""
    sign = signer()
    return [tile(img, sign) for img in owned_images(db, user_id=user_id, image_ids=image_ids)]


def neighbours(db: DB, user_id: int, image_id: int, *, filters: Filters | None = None) -> Neighbours:
    """The images before and after `image_id` in the gallery's order under `filters` (UserError if not owned)."""
    filters = filters or Filters()
    anchor = owned_image(db, user_id=user_id, image_id=image_id)
    assert anchor.id is not None
    conditions = _conditions(db, user_id, filters)
    backwards: Sort = "oldest" if filters.sort == "newest" else "newest"

    def step(sort: Sort) -> int | None:
        query = (select(GeneratedImage.id).where(*conditions, _after(anchor.created_at, anchor.id or 0, sort))
                 .order_by(*_order(sort)).limit(1))
        return db.exec(query).first()

    return Neighbours(prev=step(backwards), next=step(filters.sort))


def facets(db: DB, user_id: int) -> Facets:
    """Counts per operation and per model over all the user's images (for filter menus)."""
    ops = db.exec(select(GeneratedImage.operation, func.count()).where(GeneratedImage.user_id == user_id)
                  .group_by(col(GeneratedImage.operation))).all()
    models = db.exec(select(GeneratedImage.model, func.count()).where(GeneratedImage.user_id == user_id,
                                                                     GeneratedImage.model != "")
                     .group_by(col(GeneratedImage.model))).all()
    return Facets(
        operations=sorted((Option(op, operation_label(op), n) for op, n in ops), key=lambda o: -o.count),
        models=sorted((Option(m, model_label(m), n) for m, n in models), key=lambda o: -o.count),
        total=sum(n for _, n in ops),
    )


# ---- query parts ----------------------------------------------------------------------------------------


def _conditions(db: DB, user_id: int, f: Filters) -> list[Any]:
    """WHERE clauses for `f`, always starting with the owner."""
    conditions: list[Any] = [GeneratedImage.user_id == user_id]
    match = search.prompt_matches(db, f.q)
    if match is not None:
        conditions.append(match)
    if f.operation:
        conditions.append(GeneratedImage.operation == f.operation)
    if f.model:
        conditions.append(GeneratedImage.model == f.model)
    if f.date_from is not None:
        conditions.append(col(GeneratedImage.created_at) >= day_start(f.date_from))
    if f.date_to is not None:
        conditions.append(col(GeneratedImage.created_at) < day_end(f.date_to))
    if f.favorites:
        conditions.append(GeneratedImage.favorite == True)  # noqa: E712  (= true: the index can serve it)
    if f.visibility in ("public", "private"):
        conditions.append(GeneratedImage.is_public == (f.visibility == "public"))
    if f.collection_id is not None:
        _check_collection(db, user_id, f.collection_id)
        conditions.append(col(GeneratedImage.id).in_(
            select(CollectionImage.image_id).where(CollectionImage.collection_id == f.collection_id)))
    return conditions


def _check_collection(db: DB, user_id: int, collection_id: int) -> None:
    found = db.get(Collection, collection_id) if isinstance(collection_id, int) else None
    if found is None or found.user_id != user_id:
        raise UserError("collection_not_found")


def _order(sort: Sort) -> tuple[Any, Any]:
    created, ident = col(GeneratedImage.created_at), col(GeneratedImage.id)
    return (created.desc(), ident.desc()) if sort == "newest" else (created.asc(), ident.asc())


def _after(created_at: datetime, image_id: int, sort: Sort) -> ColumnElement[bool]:
    """Rows strictly after (created_at, id) in `sort` order (a row-value comparison both databases index)."""
    created: Any = col(GeneratedImage.created_at)
    key = tuple_(created, col(GeneratedImage.id))
    bound = tuple_(literal(created_at, type_=created.type), literal(image_id))
    return key < bound if sort == "newest" else key > bound
