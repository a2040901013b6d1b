"""The library around images: collections, likes, and the SQLite full-text index of prompts."""

from datetime import datetime

from sqlalchemy import DDL, Column, ForeignKey, Index, Integer, PrimaryKeyConstraint, UniqueConstraint, event
from sqlmodel import Field, SQLModel

from palett.models._base import utcnow
from palett.models.media import GeneratedImage


def _fk(target: str, name: str) -> Column:  # type: ignore[type-arg]
    """A named foreign key that goes away with its target row."""
    return Column(Integer, ForeignKey(target, ondelete="CASCADE", name=name), nullable=False)


class Collection(SQLModel, table=True):
    """A named set of one user's images; an image can be in several."""

    __tablename__ = "collection"
    __table_args__ = (
        PrimaryKeyConstraint("id", name="pk_collection"),
        UniqueConstraint("user_id", "name", name="uq_collection_user_name"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(sa_column=_fk("user.id", "fk_collection_user_id_user"))
    name: str = Field(max_length=80)
    created_at: datetime = Field(default_factory=utcnow)


class CollectionImage(SQLModel, table=True):
    __tablename__ = "collection_image"
    __table_args__ = (
        PrimaryKeyConstraint("collection_id", "image_id", name="pk_collection_image"),
        Index("ix_collection_image_image_id", "image_id"),
        Index("ix_collection_image_collection_added", "collection_id", "added_at"),
    )

    collection_id: int = Field(sa_column=_fk("collection.id", "fk_collection_image_collection_id_collection"))
    image_id: int = Field(sa_column=_fk("generated_image.id", "fk_collection_image_image_id_generated_image"))
    added_at: datetime = Field(default_factory=utcnow)


class ImageLike(SQLModel, table=True):
    """One user's like of one public image (at most one: the primary key)."""

    __tablename__ = "image_like"
    __table_args__ = (
        PrimaryKeyConstraint("image_id", "user_id", name="pk_image_like"),
        Index("ix_image_like_user_id", "user_id"),
    )

    image_id: int = Field(sa_column=_fk("generated_image.id", "fk_image_like_image_id_generated_image"))
    user_id: int = Field(sa_column=_fk("user.id", "fk_image_like_user_id_user"))
    created_at: datetime = Field(default_factory=utcnow)


# ---- SQLite prompt search ------------------------------------------------------------------------------
# An FTS5 index over generated_image.prompt (external content: it stores only the index, not the text),
# kept in sync by triggers. Migration 0003 creates it on SQLite (the same statements, copied there so the
# migration never changes with this file); the hooks below create it when tests call create_all().
# PostgreSQL uses a GIN expression index instead (palett.models.media). Autogenerate must not see these
# objects: alembic/env.py hides every table whose name starts with SQLITE_SEARCH_TABLE.

SQLITE_SEARCH_TABLE = "generated_image_fts"

SQLITE_SEARCH_DDL = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS generated_image_fts USING fts5("
    "prompt, content='generated_image', content_rowid='id')",
    "CREATE TRIGGER IF NOT EXISTS generated_image_fts_ai AFTER INSERT ON generated_image BEGIN "
    "INSERT INTO generated_image_fts(rowid, prompt) VALUES (new.id, new.prompt); END",
    "CREATE TRIGGER IF NOT EXISTS generated_image_fts_ad AFTER DELETE ON generated_image BEGIN "
    "INSERT INTO generated_image_fts(generated_image_fts, rowid, prompt) VALUES ('delete', old.id, old.prompt); END",
    "CREATE TRIGGER IF NOT EXISTS generated_image_fts_au AFTER UPDATE OF prompt ON generated_image BEGIN "
    "INSERT INTO generated_image_fts(generated_image_fts, rowid, prompt) VALUES ('delete', old.id, old.prompt); "
    "INSERT INTO generated_image_fts(rowid, prompt) VALUES (new.id, new.prompt); END",
    # Index the rows that existed before the triggers did.
    "INSERT INTO generated_image_fts(generated_image_fts) VALUES ('rebuild')",
)
SQLITE_SEARCH_DROP = (
    "DROP TRIGGER IF EXISTS generated_image_fts_au",
    "DROP TRIGGER IF EXISTS generated_image_fts_ad",
    "DROP TRIGGER IF EXISTS generated_image_fts_ai",
    "DROP TABLE IF EXISTS generated_image_fts",
)


def is_search_table(name: str | None) -> bool:
    """The FTS5 table and its shadow tables (generated_image_fts_data, _idx, _docsize, _config)."""
    return bool(name) and (name == SQLITE_SEARCH_TABLE or str(name).startswith(SQLITE_SEARCH_TABLE + "_"))


_images = GeneratedImage.__table__  # type: ignore[attr-defined]
for _statement in SQLITE_SEARCH_DDL:
    event.listen(_images, "after_create", DDL(_statement).execute_if(dialect="sqlite"))
for _statement in SQLITE_SEARCH_DROP:
    event.listen(_images, "before_drop", DDL(_statement).execute_if(dialect="sqlite"))
