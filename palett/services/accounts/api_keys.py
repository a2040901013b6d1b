"""API keys for the public API (/api/v1): created once, stored as a sha256, revoked at once.

A key reads `plt_<prefix>_<secret>`; the owner sees `plt_<prefix>` in lists. A key is as strong as a
session token (256 random bits), so one sha256 lookup is enough (no slow hash: the secret is not a password).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, update
from sqlmodel import Session as DB
from sqlmodel import col, select

from palett.models import ApiKey, User, utcnow
from palett.services.accounts.security import new_token, token_hash
from palett.services.admin.audit import audit
from palett.services.common.errors import UserError

SCOPES = ("generate", "read", "delete")
MAX_KEYS = 10  # active keys per user
KEY_PREFIX = "plt_"
LAST_USED_EVERY = timedelta(minutes=1)  # last_used_at is written at most this often per key


@dataclass(frozen=True)
class Created:
    key: ApiKey
    secret: str  # the whole key, shown once


@dataclass(frozen=True)
class Caller:
    """Who an API request comes from."""

    user_id: int
    key_id: int
    scopes: frozenset[str]


def create(db: DB, *, user_id: int, name: str, scopes: list[str] | tuple[str, ...], via: str = "developers page",
           ) -> Created:
    """A new key for the user; its secret is in the result and nowhere else. Audited (`via` says from where)."""
    name = name.strip()
    if not 1 <= len(name) <= 80:
        raise UserError("invalid_input", field="name", detail="use 1 to 80 characters")
    wanted = sorted(set(scopes))
    if not wanted or any(scope not in SCOPES for scope in wanted):
        raise UserError("invalid_input", field="scopes", detail=f"choose from {', '.join(SCOPES)}")
    # Serialise creates for one user (row lock on PostgreSQL) so parallel creates can't pass the limit.
    owner = db.exec(select(User).where(User.id == user_id).with_for_update()).first()
    if owner is None:
        raise UserError("signed_out")
    active = db.exec(select(func.count()).select_from(ApiKey).where(
        ApiKey.user_id == user_id, col(ApiKey.revoked_at).is_(None))).one()
    if active >= MAX_KEYS:
        raise UserError("invalid_input", field="name",
                        detail=f"you already have {MAX_KEYS} active keys, the most allowed; revoke one first")
    prefix = secrets.token_hex(4)
    secret = f"{KEY_PREFIX}{prefix}_{new_token()}"
    key = ApiKey(user_id=user_id, name=name, prefix=f"{KEY_PREFIX}{prefix}", secret_hash=token_hash(secret),
                 scopes=wanted)
    db.add(key)
    db.flush()
    audit(db, owner, "api_key.create", "api_key", key.id, name=name, prefix=key.prefix, scopes=wanted, via=via)
    return Created(key, secret)


def authenticate(db: DB, secret: str) -> Caller | None:
    """The caller behind a key, or None for an unknown or revoked key or a disabled user."""
    if not secret.startswith(KEY_PREFIX) or len(secret) > 200:
        return None
    # One round trip for the key and its owner: this runs before every API request.
    found = db.exec(select(ApiKey, User.disabled).join(User, col(User.id) == col(ApiKey.user_id))
                    .where(ApiKey.secret_hash == token_hash(secret))).first()
    if found is None:
        return None
    key, disabled = found
    if key.revoked_at is not None or key.id is None or disabled:
        return None
    now = utcnow()
    if key.last_used_at is None or _aware(key.last_used_at) < now - LAST_USED_EVERY:
        db.execute(update(ApiKey).where(col(ApiKey.id) == key.id).values(last_used_at=now))
    return Caller(user_id=key.user_id, key_id=key.id, scopes=frozenset(key.scopes))


def revoke(db: DB, *, user_id: int, key_id: int, via: str = "developers page") -> bool:
    """Revoke one of the user's keys (audited); another user's id or an already revoked key changes nothing."""
    moved = db.execute(update(ApiKey).where(col(ApiKey.id) == key_id, col(ApiKey.user_id) == user_id,
                                            col(ApiKey.revoked_at).is_(None)).values(revoked_at=utcnow()))
    if not moved.rowcount:  # type: ignore[attr-defined]
        return False
    key = db.get(ApiKey, key_id)
    audit(db, db.get(User, user_id), "api_key.revoke", "api_key", key_id, prefix=key.prefix if key else "", via=via)
    return True


def list_keys(db: DB, *, user_id: int) -> list[ApiKey]:
    """The user's keys, newest first (revoked ones included, marked by revoked_at)."""
    return list(db.exec(select(ApiKey).where(ApiKey.user_id == user_id)
                        .order_by(col(ApiKey.created_at).desc(), col(ApiKey.id).desc())))


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo else when.replace(tzinfo=UTC)
