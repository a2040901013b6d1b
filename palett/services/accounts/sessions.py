"""Server-side sessions. The browser holds a random token; the database holds its sha256."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update
from sqlmodel import Session as DB
from sqlmodel import col, select

from palett.models import Session, User, utcnow
from palett.services.accounts.security import new_token, token_hash
from palett.settings import get_settings

# Refresh last_seen_at at most this often, so page loads don't all write.
_TOUCH_EVERY = timedelta(minutes=5)


def create(db: DB, user_id: int, *, user_agent: str = "", ip: str = "") -> str:
    """Start a session and return the raw token for the cookie (never stored)."""
    token = new_token()
    db.add(
        Session(
            user_id=user_id,
            token_hash=token_hash(token),
            user_agent=user_agent[:300],
            ip=ip[:64],
            expires_at=utcnow() + timedelta(days=get_settings().session_days),
        )
    )
    db.flush()
    return token


def lookup(db: DB, hashed: str) -> tuple[Session, User] | None:
    """The live session and its enabled user for a token hash, or None."""
    if not hashed:
        return None
    now = utcnow()
    row = db.exec(
        select(Session, User)
        .join(User, col(User.id) == Session.user_id)
        .where(
            Session.token_hash == hashed,
            col(Session.revoked_at).is_(None),
            Session.expires_at > now,
            col(User.disabled).is_(False),
        )
    ).first()
    if row is None:
        return None
    sess, user = row
    if now - sess.last_seen_at > _TOUCH_EVERY:
        sess.last_seen_at = now
        db.add(sess)
    return sess, user


def active(db: DB, user_id: int) -> list[Session]:
    return list(
        db.exec(
            select(Session)
            .where(
                Session.user_id == user_id,
                col(Session.revoked_at).is_(None),
                Session.expires_at > utcnow(),
            )
            .order_by(col(Session.last_seen_at).desc())
        )
    )


def revoke(db: DB, *, user_id: int, session_id: int) -> bool:
    """Revoke one of this user's sessions; another user's id changes nothing."""
    result = db.execute(
        update(Session)
        .where(col(Session.id) == session_id, col(Session.user_id) == user_id)
        .where(col(Session.revoked_at).is_(None))
        .values(revoked_at=utcnow())
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def revoke_all(db: DB, user_id: int, *, except_id: int | None = None) -> int:
    stmt = (
        update(Session)
        .where(col(Session.user_id) == user_id, col(Session.revoked_at).is_(None))
        .values(revoked_at=utcnow())
    )
    if except_id is not None:
        stmt = stmt.where(col(Session.id) != except_id)
    return int(db.execute(stmt).rowcount)  # type: ignore[attr-defined]
