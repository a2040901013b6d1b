"""Who may act as an admin, and the small checks every admin action shares.

Every admin function takes the acting admin first and calls require_admin, which re-reads that user from
the database and refuses with UserError("forbidden") unless they are an enabled admin, whatever the page
showed.
"""

from __future__ import annotations

import logging

from sqlmodel import Session as DB

from palett.models import Role, User
from palett.services.common.errors import UserError

log = logging.getLogger(__name__)
REASON_MAX = 200


def require_admin(db: DB, admin: User | None) -> User:
    """The acting user, fresh from the database, if they are an enabled admin."""
    fresh = db.get(User, admin.id) if admin is not None and admin.id is not None else None
    if fresh is None or fresh.role != Role.admin or fresh.disabled:
        log.warning("admin: refused a request from user %s", admin.id if admin else None)
        raise UserError("forbidden")
    return fresh


def clean_reason(reason: str) -> str:
    """The reason with its white space folded; 3 to REASON_MAX characters (it goes in the ledger and the audit log)."""
    reason = " ".join((reason or "").split())
    if not 3 <= len(reason) <= REASON_MAX:
        raise UserError("reason_required", limit=REASON_MAX)
    return reason


def target_user(db: DB, user_id: int) -> User:
    """The user an action is about, or UserError("user_not_found")."""
    user = db.get(User, user_id)
    if user is None:
        raise UserError("user_not_found")
    return user
