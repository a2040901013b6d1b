"""Admin views of money: purchases and the stored Stripe events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session as DB
from sqlmodel import col, select

from palett.models import Purchase, StripeEvent, User
from palett.services.admin.access import require_admin
from palett.services.admin.audit import audit
from palett.services.billing.account import describe
from palett.services.billing.catalog import money
from palett.services.common.paging import newest_first


@dataclass(frozen=True)
class PaymentRow:
    id: int
    user_id: int
    created_at: datetime
    kind: str  # pack | subscription
    description: str  # "Creator pack", "Pro plan (monthly)"
    amount: str  # "$19.99"
    credits: int
    credits_refunded: int
    status: str
    receipt_url: str | None
    stripe_session_id: str | None
    stripe_invoice_id: str | None


def payment_row(p: Purchase) -> PaymentRow:
    return PaymentRow(p.id or 0, p.user_id, p.created_at, p.kind, describe(p.product),
                      money(p.amount_cents, p.currency), p.credits, p.credits_refunded, p.status, p.receipt_url,
                      p.stripe_session_id, p.stripe_invoice_id)


def list_purchases(db: DB, admin: User, *, user_id: int | None = None, status: str | None = None,
                   limit: int = 50, before_id: int | None = None) -> list[PaymentRow]:
    acting = require_admin(db, admin)
    stmt = newest_first(select(Purchase), Purchase.id, limit=limit, before_id=before_id)
    if user_id is not None:
        stmt = stmt.where(Purchase.user_id == user_id)
    if status:
        stmt = stmt.where(Purchase.status == status)
    rows = [payment_row(p) for p in db.exec(stmt)]
    audit(db, acting, "purchases.list", "purchase", None, user_id=user_id, status=status, results=len(rows))
    return rows


@dataclass(frozen=True)
class EventRow:
    id: str
    type: str
    created: datetime
    applied_at: datetime
    outcome: str
    user_id: int | None
    object_id: str | None
    summary: dict[str, Any]


def list_stripe_events(db: DB, admin: User, *, type_prefix: str | None = None, user_id: int | None = None,
                       limit: int = 50, before: datetime | None = None) -> list[EventRow]:
    """Stored Stripe events, newest applied first (page with the last row's applied_at as `before`)."""
    acting = require_admin(db, admin)
    stmt = select(StripeEvent).order_by(col(StripeEvent.applied_at).desc()).limit(min(limit, 200))
    if type_prefix:
        stmt = stmt.where(col(StripeEvent.type).startswith(type_prefix, autoescape=True))
    if user_id is not None:
        stmt = stmt.where(StripeEvent.user_id == user_id)
    if before is not None:
        stmt = stmt.where(col(StripeEvent.applied_at) < before)
    rows = [EventRow(e.id, e.type, e.created, e.applied_at, e.outcome, e.user_id, e.object_id, dict(e.summary))
            for e in db.exec(stmt)]
    audit(db, acting, "stripe_events.list", "stripe_event", None, type_prefix=type_prefix, results=len(rows))
    return rows
