"""The public API: developers' keys and the responses kept for Idempotency-Key replays."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from palett.models._base import utcnow
from palett.models.user import user_fk


class ApiKey(SQLModel, table=True):
    """A key for /api/v1. Only the sha256 of the secret is stored; `prefix` is what the owner sees."""

    __tablename__ = "api_key"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(sa_column=user_fk())
    name: str = Field(max_length=80)
    prefix: str = Field(max_length=16)
    secret_hash: str = Field(unique=True, max_length=64)
    scopes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None


class IdempotentRequest(SQLModel, table=True):
    """The first answer to a POST with an Idempotency-Key, replayed for the same key and body."""

    __tablename__ = "idempotent_request"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(sa_column=user_fk(index=False))
    key: str = Field(max_length=255)
    body_hash: str = Field(max_length=64)
    status_code: int
    response: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, index=True)
