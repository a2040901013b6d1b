"""Admin credit adjustments: add or remove credits with a reason, recorded in the ledger and the audit log."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session as DB
from sqlmodel import select

from palett.models import CreditTransaction, User
from palett.services.admin.access import clean_reason, require_admin, target_user
from palett.services.admin.audit import audit
from palett.services.billing import credits
from palett.services.common.errors import UserError


@dataclass(frozen=True)
class LedgerRow:
    id: int
    created_at: datetime
    delta: int
    balance_after: int
    kind: str
    reference: str


def ledger_row(t: CreditTransaction) -> LedgerRow:
    return LedgerRow(t.id or 0, t.created_at, t.delta, t.balance_after, t.kind, t.reference)


def adjust_credits(db: DB, admin: User, user_id: int, delta: int, reason: str, *,
                   request_id: str | None = None) -> LedgerRow:
    """Add (or, negative, remove) credits with a required reason; the ledger row names the admin.

    Pass the form's `request_id` so a double submit applies once. Raises UserError: forbidden,
    user_not_found, reason_required, adjust_invalid, adjust_below_zero.
    """
    acting = require_admin(db, admin)
    reason = clean_reason(reason)
    if not isinstance(delta, int) or delta == 0 or abs(delta) > 1_000_000:
        raise UserError("adjust_invalid")
    user = target_user(db, user_id)
    key = f"admin:{acting.id}:{request_id or uuid.uuid4().hex}"
    try:
        row = credits.apply(db, user_id=user_id, delta=delta, kind=credits.Kind.admin_adjust, idempotency_key=key,
                            reference=f"Adjusted by {acting.email}: {reason}"[:255])
    except credits.InsufficientCredits:
        raise UserError("adjust_below_zero", balance=user.credits) from None
    if row is None:  # this request was applied before
        row = db.exec(select(CreditTransaction).where(CreditTransaction.idempotency_key == key)).one()
    else:
        audit(db, acting, "credits.adjust", "user", user_id, delta=delta, reason=reason, ledger_id=row.id,
              balance_after=row.balance_after)
    return ledger_row(row)
