"""Admin tools: users, credits, jobs, payments, Stripe events, a dashboard, the audit log.

Every function takes the acting admin first and refuses with UserError("forbidden") unless the database says
they are an enabled admin (access.py); every call, reads included, writes an audit row in the caller's
transaction (audit.py). One module a section of the admin pages:

- users.py: search, one user's detail, disable/enable, promoting ADMIN_EMAILS at start-up;
- ledger.py: credit adjustments;
- jobs.py: job lists, retry, refund;
- payments.py: purchases and Stripe events;
- dashboard.py: per-day figures;
- audit.py: writing and reading the audit log.
"""

from palett.services.admin.access import REASON_MAX, require_admin
from palett.services.admin.audit import AuditRow, audit, list_audit
from palett.services.admin.dashboard import DayStats, dashboard
from palett.services.admin.jobs import (
    STUCK_QUEUED,
    JobFilter,
    JobRow,
    RefundResult,
    RetryResult,
    list_jobs,
    refund_job,
    retry_job,
)
from palett.services.admin.ledger import LedgerRow, adjust_credits
from palett.services.admin.payments import EventRow, PaymentRow, list_purchases, list_stripe_events
from palett.services.admin.users import UserDetail, UserRow, search_users, set_disabled, sync_admins, view_user

__all__ = [
    "REASON_MAX", "STUCK_QUEUED", "AuditRow", "DayStats", "EventRow", "JobFilter", "JobRow", "LedgerRow",
    "PaymentRow", "RefundResult", "RetryResult", "UserDetail", "UserRow", "adjust_credits", "audit", "dashboard",
    "list_audit", "list_jobs", "list_purchases", "list_stripe_events", "refund_job", "require_admin", "retry_job",
    "search_users", "set_disabled", "sync_admins", "view_user",
]
