"""A job: one run of one operation on one model. The row is the source of truth for its state."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from palett.models._base import utcnow
from palett.models.user import user_fk


class JobStatus(StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"
    cancelled = "cancelled"


ACTIVE = (JobStatus.queued, JobStatus.running)


class Job(SQLModel, table=True):
    __tablename__ = "job"
    __table_args__ = (
        Index("ix_job_user_created", "user_id", "created_at"),
        Index("ix_job_status_deadline", "status", "deadline_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(sa_column=user_fk(index=False))
    batch_id: str | None = Field(default=None, index=True, max_length=64)
    operation: str = Field(max_length=32)
    model: str = Field(max_length=64)
    provider: str = Field(max_length=16)
    params: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default=JobStatus.queued, max_length=16)
    progress: float = 0.0
    queue_position: int | None = None
    logs: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    provider_request_id: str | None = Field(default=None, index=True, max_length=128)
    cost: int = 0
    charged: int = 0
    error: str | None = None
    priority: int = 0
    attempts: int = 0
    # Who runs the job now, and until when: a process claims a job before running it and renews the lease
    # while it runs, so a job runs once however many processes resume it; a dead owner's lease runs out.
    claimed_by: str | None = Field(default=None, max_length=96)
    lease_until: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    deadline_at: datetime | None = None
