"""The audit log: every admin call (reads included) writes a row in the caller's transaction, so a change
and its record commit together. Refusals are logged instead (they roll back with the caller's transaction).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session as DB
from sqlmodel import select

from palett.models import AuditLog, User
from palett.services.admin.access import require_admin
from palett.services.common.paging import newest_first


def audit(db: DB, admin: User | None, action: str, target_type: str = "", target_id: object = None,
          **details: Any) -> AuditLog:
    row = AuditLog(admin_id=admin.id if admin else None, admin_email=admin.email if admin else "system",
                   action=action, target_type=target_type,
                   target_id=None if target_id is None else str(target_id)[:64], details=details)
    db.add(row)
    db.flush()
    return row


@dataclass(frozen=True)
class AuditRow:
    id: int
    created_at: datetime
    admin_email: str
    action: str
    target_type: str
    target_id: str | None
    details: dict[str, Any]


def list_audit(db: DB, admin: User, *, target_type: str | None = None, target_id: object = None, limit: int = 50,
               before_id: int | None = None) -> list[AuditRow]:
    acting = require_admin(db, admin)
    stmt = newest_first(select(AuditLog), AuditLog.id, limit=limit, before_id=before_id)
    if target_type:
        stmt = stmt.where(AuditLog.target_type == target_type)
    if target_id is not None:
        stmt = stmt.where(AuditLog.target_id == str(target_id))
    rows = [AuditRow(a.id or 0, a.created_at, a.admin_email, a.action, a.target_type, a.target_id, dict(a.details))
            for a in db.exec(stmt)]
    audit(db, acting, "audit.view", "audit_log", None, filter_type=target_type, results=len(rows))
    return rows
