"""Outgoing webhooks of the public API: the endpoints a user registered and every delivery to them."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer
from sqlmodel import Field, SQLModel

from palett.models._base import utcnow
from palett.models.user import user_fk


class WebhookEndpoint(SQLModel, table=True):
    """A URL that receives the user's events, signed with `secret` (Standard Webhooks, `whsec_…`).

    The secret is kept as is: signing needs it. After a rotation the previous secret also signs until
    `previous_secret_until`, so a receiver can switch without missing a delivery.
    """

    __tablename__ = "webhook_endpoint"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(sa_column=user_fk())
    url: str = Field(max_length=2000)
    description: str = Field(default="", max_length=200)
    secret: str = Field(max_length=100)
    previous_secret: str | None = Field(default=None, max_length=100)
    previous_secret_until: datetime | None = None
    disabled: bool = False
    created_at: datetime = Field(default_factory=utcnow)


class WebhookDelivery(SQLModel, table=True):
    """One message to one endpoint and how sending it went. A redelivery is a new row with the same message id."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        Index("ix_webhook_delivery_endpoint_created", "endpoint_id", "created_at"),
        Index("ix_webhook_delivery_status_next", "status", "next_attempt_at"),
        Index("ix_webhook_delivery_finished_at", "finished_at"),  # pruning the log
    )

    id: int | None = Field(default=None, primary_key=True)
    endpoint_id: int = Field(sa_column=Column(Integer, ForeignKey("webhook_endpoint.id", ondelete="CASCADE"),
                                              nullable=False))
    message_id: str = Field(max_length=64)  # the webhook-id header: receivers deduplicate on it
    event_type: str = Field(max_length=64)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default="pending", max_length=16)  # pending | succeeded | failed
    attempts: int = 0
    # When a pending delivery is due. A sender claims it by moving this past its own timeout, so a sender
    # that dies mid-attempt leaves it due again soon after.
    next_attempt_at: datetime | None = Field(default_factory=utcnow)
    last_status_code: int | None = None
    last_error: str | None = Field(default=None, max_length=300)
    last_response: str | None = Field(default=None, max_length=500)  # a short excerpt of the body
    created_at: datetime = Field(default_factory=utcnow)
    last_attempt_at: datetime | None = None
    finished_at: datetime | None = None
