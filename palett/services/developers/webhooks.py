"""Webhook endpoints a user registers for the public API: register, list, disable, rotate the secret, delete.

Every change writes an audit-log row in the same transaction. Secrets follow Standard Webhooks (`whsec_` +
base64 of 32 random bytes); the owner sees a new secret once, when it is made.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session as DB
from sqlmodel import col, select

from palett.models import User, WebhookEndpoint, utcnow
from palett.services.common.errors import UserError
from palett.services.developers import url_guard

MAX_ENDPOINTS = 10  # per user
MAX_DESCRIPTION = 200
# After a rotation the old secret signs too for this long, so receivers can switch without missing a delivery.
ROTATION_OVERLAP = timedelta(hours=24)


@dataclass(frozen=True)
class WithSecret:
    endpoint: WebhookEndpoint
    secret: str  # shown once


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def register(db: DB, *, user_id: int, url: str, description: str = "") -> WithSecret:
    """A new endpoint; UserError naming `url` when it is not a public https address (see url_guard)."""
    target = url_guard.check(url)
    description = description.strip()
    if len(description) > MAX_DESCRIPTION:
        raise UserError("invalid_input", field="description", detail=f"use at most {MAX_DESCRIPTION} characters")
    # Serialise registrations for one user (row lock on PostgreSQL) so parallel ones can't pass the limit.
    user = db.exec(select(User).where(User.id == user_id).with_for_update()).one()
    count = db.exec(select(func.count()).select_from(WebhookEndpoint).where(WebhookEndpoint.user_id == user_id)).one()
    if count >= MAX_ENDPOINTS:
        raise UserError("invalid_input", field="url",
                        detail=f"you already have {MAX_ENDPOINTS} endpoints; delete one first")
    endpoint = WebhookEndpoint(user_id=user_id, url=target.url, description=description, secret=new_secret())
    db.add(endpoint)
    db.flush()
    audit(db, user, "webhook.create", "webhook_endpoint", endpoint.id, url=target.url)
    return WithSecret(endpoint, endpoint.secret)


def owned(db: DB, *, user_id: int, endpoint_id: int) -> WebhookEndpoint:
    """One of the user's endpoints; another user's id answers like a missing one."""
    endpoint = db.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.user_id != user_id:
        raise UserError("webhook_not_found")
    return endpoint


def list_endpoints(db: DB, *, user_id: int) -> list[WebhookEndpoint]:
    """The user's endpoints, newest first."""
    return list(db.exec(select(WebhookEndpoint).where(WebhookEndpoint.user_id == user_id)
                        .order_by(col(WebhookEndpoint.id).desc())))


def delete(db: DB, *, user_id: int, endpoint_id: int) -> None:
    """Delete an endpoint and its delivery log; pending deliveries to it are dropped."""
    endpoint = owned(db, user_id=user_id, endpoint_id=endpoint_id)
    db.delete(endpoint)
    db.flush()
    audit(db, db.get(User, user_id), "webhook.delete", "webhook_endpoint", endpoint_id, url=endpoint.url)


def rotate_secret(db: DB, *, user_id: int, endpoint_id: int) -> WithSecret:
    """A new secret; the old one keeps signing beside it for ROTATION_OVERLAP."""
    endpoint = owned(db, user_id=user_id, endpoint_id=endpoint_id)
    endpoint.previous_secret, endpoint.previous_secret_until = endpoint.secret, utcnow() + ROTATION_OVERLAP
    endpoint.secret = new_secret()
    db.add(endpoint)
    db.flush()
    audit(db, db.get(User, user_id), "webhook.rotate_secret", "webhook_endpoint", endpoint_id)
    return WithSecret(endpoint, endpoint.secret)


def set_disabled(db: DB, *, user_id: int, endpoint_id: int, disabled: bool) -> WebhookEndpoint:
    """A disabled endpoint gets no new events (those already pending are dropped at their next attempt)."""
    endpoint = owned(db, user_id=user_id, endpoint_id=endpoint_id)
    endpoint.disabled = disabled
    db.add(endpoint)
    db.flush()
    audit(db, db.get(User, user_id), "webhook.disable" if disabled else "webhook.enable", "webhook_endpoint",
          endpoint_id)
    return endpoint


def signing_secrets(endpoint: WebhookEndpoint, now: datetime) -> list[str]:
    """The secrets a delivery is signed with now: the current one, and the previous one while it overlaps."""
    until = endpoint.previous_secret_until
    if endpoint.previous_secret and until is not None and _aware(until) > now:
        return [endpoint.secret, endpoint.previous_secret]
    return [endpoint.secret]


def audit(db: DB, user: User | None, action: str, target_type: str, target_id: object, **details: object) -> None:
    """The audit log's row for a user's own action (the pipeline imports this module, and admin's package the
    pipeline: hence the import here)."""
    from palett.services.admin.audit import audit as write

    write(db, user, action, target_type, target_id, **details)


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo else when.replace(tzinfo=UTC)
