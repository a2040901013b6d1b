"""Single-use, expiring tokens sent by e-mail (verify address, reset password)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update
from sqlmodel import Session as DB
from sqlmodel import col, select

from palett.models import TokenPurpose, VerificationToken, utcnow
from palett.services.accounts.security import new_token, token_hash
from palett.services.common.errors import UserError


def issue(db: DB, *, user_id: int, purpose: TokenPurpose, ttl: timedelta) -> str:
    token = new_token()
    db.add(
        VerificationToken(
            user_id=user_id,
            purpose=purpose,
            token_hash=token_hash(token),
            expires_at=utcnow() + ttl,
        )
    )
    db.flush()
    return token


def consume(db: DB, *, token: str, purpose: TokenPurpose) -> int:
    """Mark the token used and return its user id; raises token_invalid or token_expired."""
    hashed = token_hash(token or "")
    row = db.exec(
        select(VerificationToken).where(
            VerificationToken.token_hash == hashed, VerificationToken.purpose == purpose
        )
    ).first()
    if row is None or row.used_at is not None:
        raise UserError("token_invalid")
    if row.expires_at <= utcnow():
        raise UserError("token_expired")
    # Conditional update: of two concurrent clicks, only one wins.
    claimed = db.execute(
        update(VerificationToken)
        .where(col(VerificationToken.id) == row.id, col(VerificationToken.used_at).is_(None))
        .values(used_at=utcnow())
    ).rowcount  # type: ignore[attr-defined]
    if not claimed:
        raise UserError("token_invalid")
    return row.user_id
