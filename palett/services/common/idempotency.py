"""Idempotency-Key for POSTs of the public API: the first answer is kept and replayed.

claim() writes a pending row (status 0) before the work runs, so of two parallel requests with one key
exactly one does the work (the unique (user_id, key) index decides); the other sees the row.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from palett.models import IdempotentRequest, utcnow
from palett.services.common.db import session_scope

MAX_KEY_LENGTH = 255
PENDING = 0
# A claim still pending after this long belongs to a request whose process died: the next request takes it over
# (a submit answers in well under a second; that request may or may not have made its job).
STALE_AFTER = timedelta(minutes=2)


def body_hash(body: Any) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


@dataclass(frozen=True)
class Earlier:
    """A request already made with this key."""

    same_body: bool
    status_code: int  # PENDING while the first request is still running
    response: dict[str, Any]


def claim(*, user_id: int, key: str, digest: str) -> Earlier | None:
    """None when this request is the first with the key (and now owns it); else what the first one was."""
    try:
        with session_scope() as db:
            db.add(IdempotentRequest(user_id=user_id, key=key, body_hash=digest, status_code=PENDING))
        return None
    except IntegrityError:
        pass
    with session_scope() as db:
        row = db.exec(select(IdempotentRequest).where(IdempotentRequest.user_id == user_id,
                                                      IdempotentRequest.key == key)).first()
    if row is None:  # the first request failed and let the key go meanwhile: try once more
        return claim(user_id=user_id, key=key, digest=digest)
    if row.status_code == PENDING and _aware(row.created_at) < utcnow() - STALE_AFTER and _take_over(row, digest):
        return None
    return Earlier(row.body_hash == digest, row.status_code, dict(row.response))


def _take_over(row: IdempotentRequest, digest: str) -> bool:
    """Claim a pending row whose request died (its process stopped before answering); one taker wins."""
    with session_scope() as db:
        moved = db.execute(update(IdempotentRequest).where(
            col(IdempotentRequest.id) == row.id, col(IdempotentRequest.status_code) == PENDING,
            col(IdempotentRequest.created_at) == row.created_at).values(created_at=utcnow(), body_hash=digest))
    return bool(moved.rowcount)  # type: ignore[attr-defined]


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def record(*, user_id: int, key: str, status_code: int, response: dict[str, Any]) -> None:
    with session_scope() as db:
        db.execute(update(IdempotentRequest).where(col(IdempotentRequest.user_id) == user_id,
                                                   col(IdempotentRequest.key) == key)
                   .values(status_code=status_code, response=response))


def release(*, user_id: int, key: str) -> None:
    """Forget a claim whose request failed before doing anything, so the key can be used again."""
    with session_scope() as db:
        db.execute(delete(IdempotentRequest).where(col(IdempotentRequest.user_id) == user_id,
                                                   col(IdempotentRequest.key) == key,
                                                   col(IdempotentRequest.status_code) == PENDING))
