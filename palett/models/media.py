"""Images people made or uploaded."""

from datetime import datetime
from typing import Any

import sqlalchemy.dialects.postgresql  # noqa: F401  (registers to_tsvector with its PostgreSQL types)
from sqlalchemy import JSON, BigInteger, Column, Index, Integer, Text, UniqueConstraint, func, text
from sqlalchemy import true as sa_true
from sqlmodel import Field, SQLModel

from palett.models._base import utcnow
from palett.models.user import user_fk


class GeneratedImage(SQLModel, table=True):
    __tablename__ = "generated_image"
    # Every gallery filter is an equality on the owner (+ one column) followed by the keyset order
    # (created_at, id), so each index below serves a filter and the sort in one ordered scan.
    __table_args__ = (
        Index("ix_generated_image_user_created", "user_id", "created_at", "id"),
        Index("ix_generated_image_user_favorite", "user_id", "favorite", "created_at", "id"),
        Index("ix_generated_image_user_operation", "user_id", "operation", "created_at", "id"),
        Index("ix_generated_image_user_model", "user_id", "model", "created_at", "id"),
        Index("ix_generated_image_user_public", "user_id", "is_public", "created_at", "id"),
        Index("ix_generated_image_public_created", "is_public", "created_at", "id"),
        Index("ix_generated_image_public_likes", "is_public", "likes", "id"),
        UniqueConstraint("share_token", name="uq_generated_image_share_token"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(sa_column=user_fk(index=False))
    prompt: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    negative_prompt: str | None = Field(default=None, sa_column=Column(Text))
    job_id: int | None = Field(default=None, foreign_key="job.id", ondelete="SET NULL", index=True)
    model: str = Field(default="", max_length=128)
    # Storage keys (not URLs): services.media.storage turns them into short-lived URLs.
    image_url: str
    thumbnail_url: str | None = None
    # A WebP of at most 1600 px for big views (image page, lightbox); None when the original is no bigger
    # (or the row predates it): views then show the original.
    display_url: str | None = None
    width: int = 0
    height: int = 0
    # Fal seeds are 64-bit; SQLite's INTEGER already is (migration 0005).
    seed: int | None = Field(default=None, sa_type=BigInteger().with_variant(Integer(), "sqlite"))
    steps: int | None = None
    guidance: float | None = None
    style: str | None = None
    operation: str = Field(default="t2i", max_length=32)
    original_image_url: str | None = None
    # "metadata" is reserved on SQLModel classes, so the attribute is `recipe`.
    recipe: dict[str, Any] = Field(default_factory=dict, sa_column=Column("metadata", JSON, nullable=False))
    is_public: bool = False
    # Set (secrets.token_urlsafe) when the image is made public, cleared when it is made private again.
    share_token: str | None = Field(default=None, max_length=64)
    # Whether visitors of a public image see its prompt (and negative prompt); the author chooses when publishing.
    prompt_public: bool = Field(default=True, sa_column_kwargs={"server_default": sa_true()})
    favorite: bool = False
    likes: int = 0
    created_at: datetime = Field(default_factory=utcnow)


# Prompt search on PostgreSQL: a GIN index over this exact expression, which services.library.gallery queries
# (the planner uses the index only when the query repeats the expression). SQLite uses FTS5 instead
# (palett.models.library), so this index exists on PostgreSQL only.
PROMPT_TSVECTOR = func.to_tsvector(text("'simple'"), GeneratedImage.__table__.c.prompt)  # type: ignore[attr-defined]
Index("ix_generated_image_prompt_search", PROMPT_TSVECTOR, postgresql_using="gin").ddl_if(dialect="postgresql")
