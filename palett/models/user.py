"""People and how they sign in: users, OAuth links, sessions, e-mailed tokens."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, ForeignKey, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel

from palett.models._base import utcnow


class Plan(StrEnum):
    free = "free"
    pro = "pro"
    premium = "premium"


class Role(StrEnum):
    user = "user"
    admin = "admin"


def user_fk(index: bool = True) -> Column:  # type: ignore[type-arg]
    """A user_id column that goes away with its user."""
    return Column(Integer, ForeignKey("user.id", ondelete="CASCADE"), nullable=False, index=index)


class User(SQLModel, table=True):
    __tablename__ = "user"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(default="", max_length=80)
    email: str = Field(unique=True, index=True, max_length=254)
    email_verified: bool = False
    image: str | None = None
    password_hash: str | None = None
    credits: int = 10
    stripe_customer_id: str | None = Field(default=None, index=True)
    subscription_id: str | None = None
    subscription_status: str | None = None
    # The plan whose rules apply now: a paid plan only while its subscription is active or trialing,
    # otherwise free (past_due, canceled ... fall back to Free rules). Kept in sync by services.billing.
    plan: str = Field(default=Plan.free, max_length=16)
    # What the Stripe subscription is for, whatever its status (the UI's "your Pro plan is past due").
    subscription_plan: str | None = Field(default=None, max_length=16)
    billing_interval: str | None = Field(default=None, max_length=8)  # month | year
    current_period_start: datetime | None = None
    current_period_end: datetime | None = None
    cancel_at_period_end: bool = False
    # When the sweeper next tops up this user's credits (Free anniversary, yearly Pro month); None = compute.
    credits_refill_at: datetime | None = Field(default=None, index=True)
    role: str = Field(default=Role.user, max_length=16)
    disabled: bool = False
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Account(SQLModel, table=True):
    """A linked OAuth identity (Google, GitHub)."""

    __tablename__ = "account"
    __table_args__ = (UniqueConstraint("provider", "provider_account_id"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(sa_column=user_fk())
    provider: str = Field(max_length=32)
    provider_account_id: str = Field(max_length=255)
    email: str | None = None
    created_at: datetime = Field(default_factory=utcnow)


class Session(SQLModel, table=True):
    """A signed-in browser. Only the sha256 of the cookie token is stored."""

    __tablename__ = "session"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(sa_column=user_fk())
    token_hash: str = Field(unique=True, max_length=64)
    user_agent: str = Field(default="", max_length=300)
    ip: str = Field(default="", max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    last_seen_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    revoked_at: datetime | None = None


class TokenPurpose(StrEnum):
    verify_email = "verify_email"
    reset_password = "reset_password"


class VerificationToken(SQLModel, table=True):
    """A single-use, expiring link token (hash only)."""

    __tablename__ = "verification_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(sa_column=user_fk())
    purpose: str = Field(max_length=32)
    token_hash: str = Field(unique=True, max_length=64)
    expires_at: datetime
    used_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
