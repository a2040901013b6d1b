"""Money and credits: the ledger, purchases, usage, Stripe events and the admin audit log."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, PrimaryKeyConstraint, String
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
    """One payment: a credit pack (kind "pack", one row per Checkout Session) or a subscription payment
    (kind "subscription": the Checkout Session that started it, then one row per paid invoice).
    status: pending → paid | expired | failed, then partially_refunded | refunded."""

    __tablename__ = "purchase"
    __table_args__ = (
        Index("ix_purchase_stripe_invoice_id", "stripe_invoice_id", unique=True),
        Index("ix_purchase_user_created", "user_id", "created_at"),
    )

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
    stripe_invoice_id: str | None = Field(default=None, max_length=255)
    stripe_subscription_id: str | None = Field(default=None, max_length=255)
    paid_at: datetime | None = None
    refunded_cents: int = 0
    credits_refunded: int = 0  # credits actually taken back (never more than the balance held)
    refunded_at: datetime | None = None


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


class StripeEvent(SQLModel, table=True):
    """Every Stripe event we accepted, stored once by its id in the transaction that applied it."""

    __tablename__ = "stripe_event"
    __table_args__ = (
        PrimaryKeyConstraint("id", name="pk_stripe_event"),
        Index("ix_stripe_event_type_applied", "type", "applied_at"),
        Index("ix_stripe_event_applied_at", "applied_at"),
        Index("ix_stripe_event_user_id", "user_id"),
    )

    id: str = Field(primary_key=True, max_length=255)  # evt_...
    type: str = Field(max_length=64)
    created: datetime  # Stripe's own timestamp of the event
    livemode: bool = False
    object_id: str | None = Field(default=None, max_length=255)
    user_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("user.id", ondelete="SET NULL", name="fk_stripe_event_user_id_user")),
    )
    outcome: str = Field(default="applied", max_length=32)  # applied | ignored
    summary: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    applied_at: datetime = Field(default_factory=utcnow)


class AuditLog(SQLModel, table=True):
    """One admin action (or a system change of roles): who, what, on what, with which details."""

    __tablename__ = "audit_log"
    __table_args__ = (
        PrimaryKeyConstraint("id", name="pk_audit_log"),
        Index("ix_audit_log_created_at", "created_at"),
        Index("ix_audit_log_target", "target_type", "target_id"),
        Index("ix_audit_log_admin_id", "admin_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # Kept when the admin's account is deleted: the e-mail below still names them.
    admin_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("user.id", ondelete="SET NULL", name="fk_audit_log_admin_id_user")),
    )
    admin_email: str = Field(default="", sa_column=Column(String(254), nullable=False, default=""))
    action: str = Field(max_length=64)
    target_type: str = Field(default="", max_length=32)
    target_id: str | None = Field(default=None, max_length=64)
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
