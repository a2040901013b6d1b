"""SQLModel tables. Importing this package registers every table on SQLModel.metadata."""

from palett.models._base import utcnow
from palett.models.api import ApiKey, IdempotentRequest
from palett.models.billing import AuditLog, CreditTransaction, Purchase, StripeEvent, UsageLog
from palett.models.job import ACTIVE, Job, JobStatus
from palett.models.library import Collection, CollectionImage, ImageLike
from palett.models.media import GeneratedImage
from palett.models.user import Account, Plan, Role, Session, TokenPurpose, User, VerificationToken
from palett.models.webhook import WebhookDelivery, WebhookEndpoint

__all__ = [
    "ACTIVE",
    "Account",
    "ApiKey",
    "AuditLog",
    "Collection",
    "CollectionImage",
    "CreditTransaction",
    "GeneratedImage",
    "IdempotentRequest",
    "ImageLike",
    "Job",
    "JobStatus",
    "Plan",
    "Purchase",
    "Role",
    "Session",
    "StripeEvent",
    "TokenPurpose",
    "UsageLog",
    "User",
    "VerificationToken",
    "WebhookDelivery",
    "WebhookEndpoint",
    "utcnow",
]
