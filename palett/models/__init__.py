"""SQLModel tables. Importing this package registers every table on SQLModel.metadata."""

from palett.models._base import utcnow
from palett.models.billing import CreditTransaction, Purchase, UsageLog
from palett.models.job import ACTIVE, Job, JobStatus
from palett.models.media import GeneratedImage
from palett.models.user import Account, Plan, Role, Session, TokenPurpose, User, VerificationToken

__all__ = [
    "ACTIVE",
    "Account",
    "CreditTransaction",
    "GeneratedImage",
    "Job",
    "JobStatus",
    "Plan",
    "Purchase",
    "Role",
    "Session",
    "TokenPurpose",
    "UsageLog",
    "User",
    "VerificationToken",
    "utcnow",
]
