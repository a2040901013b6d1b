"""Images people made or uploaded."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, Text
from sqlmodel import Field, SQLModel

from palett.models._base import utcnow
from palett.models.user import user_fk


class GeneratedImage(SQLModel, table=True):
    __tablename__ = "generated_image"
    __table_args__ = (
        Index("ix_generated_image_user_created", "user_id", "created_at"),
        Index("ix_generated_image_public_created", "is_public", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(sa_column=user_fk(index=False))
    prompt: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    negative_prompt: str | None = Field(default=None, sa_column=Column(Text))
    job_id: int | None = Field(default=None, foreign_key="job.id", ondelete="SET NULL", index=True)
    model: str = Field(default="", max_length=128)
    # Storage keys (not URLs): services.storage turns them into short-lived URLs.
    image_url: str
    thumbnail_url: str | None = None
    width: int = 0
    height: int = 0
    seed: int | None = None
    steps: int | None = None
    guidance: float | None = None
    style: str | None = None
    operation: str = Field(default="t2i", max_length=32)
    original_image_url: str | None = None
    # "metadata" is reserved on SQLModel classes, so the attribute is `recipe`.
    recipe: dict[str, Any] = Field(default_factory=dict, sa_column=Column("metadata", JSON, nullable=False))
    is_public: bool = False
    likes: int = 0
    created_at: datetime = Field(default_factory=utcnow)
