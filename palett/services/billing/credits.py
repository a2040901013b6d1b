"""The credit ledger: every change to a balance is one `credit_transaction` row.

`user.credits` is a cached sum, changed only here, by a conditional UPDATE in the
same transaction as the ledger row. A repeated idempotency key changes nothing.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from palett.models import CreditTransaction, User, utcnow


class Kind(StrEnum):
    grant = "grant"
    purchase = "purchase"
    subscription_refill = "subscription_refill"
    reserve = "reserve"
    capture = "capture"
    refund = "refund"
    admin_adjust = "admin_adjust"


class InsufficientCredits(Exception):
    pass


def apply(
    session: Session,
    *,
    user_id: int,
    delta: int,
    kind: Kind,
    idempotency_key: str,
    reference: str = "",
    new_key: bool = False,
) -> CreditTransaction | None:
    """Add `delta` (negative to spend) to a balance and record it.

    Returns the ledger row, or None when this idempotency key was already applied.
    Raises InsufficientCredits when a spend would take the balance below zero.

    new_key: the caller vouches that no transaction can hold this key yet, because it names a row
    written in this very transaction (a job's reservation). The look-up and the savepoint that guard
    against a repeated key are then skipped (3 of 5 round trips); the unique index still stands.
    """
    if new_key:
        return _change(session, user_id, delta, kind, idempotency_key, reference)
    if session.exec(
        select(CreditTransaction.id).where(CreditTransaction.idempotency_key == idempotency_key)
    ).first():
        return None
    nested = session.begin_nested()
    try:
        row = _change(session, user_id, delta, kind, idempotency_key, reference)
    except InsufficientCredits:
        nested.rollback()
        raise
    except IntegrityError:
        nested.rollback()  # a concurrent writer applied the same key first
        return None
    nested.commit()
    return row


def _change(session: Session, user_id: int, delta: int, kind: Kind, idempotency_key: str,
            reference: str) -> CreditTransaction:
    """The conditional balance UPDATE and its ledger row (the caller handles a repeated key)."""
    stmt = update(User).where(col(User.id) == user_id)
    if delta < 0:
        stmt = stmt.where(col(User.credits) >= -delta)
    balance = session.execute(
        stmt.values(credits=col(User.credits) + delta).returning(col(User.credits))
    ).scalar_one_or_none()
    if balance is None:
        raise InsufficientCredits
    row = CreditTransaction(
        user_id=user_id,
        delta=delta,
        balance_after=balance,
        kind=kind,
        reference=reference,
        idempotency_key=idempotency_key,
        created_at=utcnow(),  # given: pydantic would inspect the default factory's signature on every row
    )
    session.add(row)
    session.flush()
    return row


def ledger_sum(session: Session, user_id: int) -> int:
    total = session.exec(
        select(func.coalesce(func.sum(CreditTransaction.delta), 0)).where(
            CreditTransaction.user_id == user_id
        )
    ).one()
    return int(total)


def history(session: Session, user_id: int, limit: int = 20) -> list[CreditTransaction]:
    return list(
        session.exec(
            select(CreditTransaction)
            .where(CreditTransaction.user_id == user_id)
            .order_by(col(CreditTransaction.id).desc())
            .limit(limit)
        )
    )
