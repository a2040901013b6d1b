"""Money and credits: the ledger, purchases and usage."""

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from palett.models._base import utcnow
from palett.models.user import user_fk


class CreditTransaction(SQLModel, table=True):
    """The append-only credit ledger; user.credits is its cached sum."""

    __tablename__ = "credit_transaction"
    __table_args__ = (Index("ix_credit_transaction_user_created", "user_id", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(sa_column=user_fk(index=False))
    delta: int
    balance_after: int
    kind: str = Field(max_length=32)
    reference: str = Field(default="", max_length=255)
    idempotency_key: str = Field(unique=True, max_length=255)
    created_at: datetime = Field(default_factory=utcnow)


class Purchase(SQLModel, table=True):
    __tablename__ = "purchase"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(sa_column=user_fk())
    stripe_session_id: str | None = Field(default=None, unique=True, max_length=255)
    stripe_payment_intent: str | None = Field(default=None, index=True, max_length=255)
    kind: str = Field(default="pack", max_length=32)
    product: str = Field(default="", max_length=64)
    amount_cents: int = 0
    currency: str = Field(default="usd", max_length=8)
    credits: int = 0
    status: str = Field(default="pending", max_length=32)
    receipt_url: str | None = None
    created_at: datetime = Field(default_factory=utcnow)


class UsageLog(SQLModel, table=True):
    __tablename__ = "usage_log"
    __table_args__ = (Index("ix_usage_log_user_created", "user_id", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(sa_column=user_fk(index=False))
    operation: str = Field(max_length=32)
    model: str = Field(default="", max_length=128)
    credits: int = 0
    status: str = Field(default="", max_length=32)
    job_id: int | None = Field(default=None, index=True)
    error: str | None = None
    duration_ms: int | None = None
    created_at: datetime = Field(default_factory=utcnow)
