"""Shared column helpers. Timestamps are timezone-aware UTC (SQLModel stores them as UTC)."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)
