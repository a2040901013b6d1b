"""Collections: named sets of one user's images (an image can be in several). Owner re-checked each time."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session as DB
from sqlmodel import col, select

from palett.models import Collection, CollectionImage, GeneratedImage, utcnow
from palett.services.common.errors import UserError
from palett.services.common.paging import iso
from palett.services.library.gallery._common import signer
from palett.services.library.ownership import clean_ids, owned_image, owned_images

MAX_NAME = 80


@dataclass
class CollectionView:
    id: int
    name: str
    count: int
    cover: str  # signed thumbnail URL of the image added last, "" when empty
    created: str


@dataclass
class CollectionRef:
    id: int
    name: str


def list_collections(db: DB, user_id: int) -> list[CollectionView]:
    """The user's collections by name, each with its image count and a cover thumbnail."""
    rows = db.exec(select(Collection).where(Collection.user_id == user_id).order_by(
        func.lower(col(Collection.name)), col(Collection.id))).all()
    return _views(db, list(rows))


def create_collection(db: DB, user_id: int, name: str) -> CollectionView:
    """A new, empty collection. UserError 'collection_name_invalid' or 'collection_exists'."""
    name = clean_name(name)
    _refuse_duplicate(db, user_id, name)
    row = Collection(user_id=user_id, name=name)
    _save(db, row)
    return _views(db, [row])[0]


def rename_collection(db: DB, user_id: int, collection_id: int, name: str) -> CollectionView:
    row = owned_collection(db, user_id, collection_id)
    name = clean_name(name)
    if name != row.name:
        _refuse_duplicate(db, user_id, name)
        row.name = name
        _save(db, row)
    return _views(db, [row])[0]


def delete_collection(db: DB, user_id: int, collection_id: int) -> None:
    """Remove the collection; its images stay in the gallery."""
    row = owned_collection(db, user_id, collection_id)
    db.execute(delete(CollectionImage).where(col(CollectionImage.collection_id) == row.id))
    db.delete(row)
    db.flush()


def add_images(db: DB, user_id: int, collection_id: int, image_ids: Iterable[int]) -> int:
    """Add the user's images among `image_ids` (others' are skipped); returns how many were newly added."""
    row = owned_collection(db, user_id, collection_id)
    wanted = [img.id for img in owned_images(db, user_id=user_id, image_ids=image_ids)]
    if not wanted:
        return 0
    present = set(db.exec(select(CollectionImage.image_id).where(
        CollectionImage.collection_id == row.id, col(CollectionImage.image_id).in_(wanted))).all())
    now, added = utcnow(), 0
    for image_id in wanted:
        if image_id in present or image_id is None:
            continue
        nested = db.begin_nested()  # a concurrent add of the same image is not an error
        try:
            db.add(CollectionImage(collection_id=row.id or 0, image_id=image_id, added_at=now))
            db.flush()
        except IntegrityError:
            nested.rollback()
            continue
        nested.commit()
        added += 1
    return added


def remove_images(db: DB, user_id: int, collection_id: int, image_ids: Iterable[int]) -> int:
    """Take images out of the collection (they stay in the gallery); returns how many were removed."""
    row = owned_collection(db, user_id, collection_id)
    ids = clean_ids(image_ids)
    if not ids:
        return 0
    result = db.execute(delete(CollectionImage).where(col(CollectionImage.collection_id) == row.id,
                                                      col(CollectionImage.image_id).in_(ids)))
    return int(result.rowcount)  # type: ignore[attr-defined]


def collections_of(db: DB, user_id: int, image_id: int) -> list[CollectionRef]:
    """The user's collections that hold this image (UserError 'image_not_found' if it is not theirs)."""
    owned_image(db, user_id=user_id, image_id=image_id)
    rows = db.exec(select(Collection.id, Collection.name)
                   .join(CollectionImage, col(CollectionImage.collection_id) == Collection.id)
                   .where(Collection.user_id == user_id, CollectionImage.image_id == image_id)
                   .order_by(func.lower(col(Collection.name)))).all()
    return [CollectionRef(id=i or 0, name=n) for i, n in rows]


def owned_collection(db: DB, user_id: int, collection_id: int) -> Collection:
    ok = isinstance(collection_id, int) and not isinstance(collection_id, bool) and 0 < collection_id < 2**63
    row = db.get(Collection, collection_id) if ok else None
    if row is None or row.user_id != user_id:
        raise UserError("collection_not_found")
    return row


def clean_name(name: str) -> str:
    name = " ".join(str(name or "").split())
    if not 1 <= len(name) <= MAX_NAME or not any(c.isalnum() for c in name):
        raise UserError("collection_name_invalid", limit=MAX_NAME)
    return name


def _refuse_duplicate(db: DB, user_id: int, name: str) -> None:
    taken = db.exec(select(Collection.id).where(Collection.user_id == user_id,
                                                func.lower(col(Collection.name)) == name.lower())).first()
    if taken is not None:
        raise UserError("collection_exists", name=name)


def _save(db: DB, row: Collection) -> None:
    nested = db.begin_nested()
    try:
        db.add(row)
        db.flush()
    except IntegrityError:  # the same name created concurrently
        nested.rollback()
        raise UserError("collection_exists", name=row.name) from None
    nested.commit()


def _views(db: DB, rows: list[Collection]) -> list[CollectionView]:
    ids = [r.id for r in rows if r.id is not None]
    if not ids:
        return []
    counts = dict(db.exec(select(CollectionImage.collection_id, func.count())
                          .where(col(CollectionImage.collection_id).in_(ids))
                          .group_by(col(CollectionImage.collection_id))).all())
    # The cover is the image added last: a window function per collection (SQLite ≥ 3.25 and PostgreSQL).
    ranked = (select(CollectionImage.collection_id, CollectionImage.image_id,
                     func.row_number().over(partition_by=col(CollectionImage.collection_id),
                                            order_by=(col(CollectionImage.added_at).desc(),
                                                      col(CollectionImage.image_id).desc())).label("n"))
              .where(col(CollectionImage.collection_id).in_(ids)).subquery())
    covers = db.exec(select(ranked.c.collection_id, GeneratedImage.thumbnail_url, GeneratedImage.image_url)
                     .join(GeneratedImage, col(GeneratedImage.id) == ranked.c.image_id)
                     .where(ranked.c.n == 1)).all()
    sign = signer()
    cover_of = {cid: sign(thumb or key) for cid, thumb, key in covers}
    return [CollectionView(id=r.id or 0, name=r.name, count=int(counts.get(r.id or 0, 0)),
                           cover=cover_of.get(r.id or 0, ""), created=iso(r.created_at)) for r in rows]
