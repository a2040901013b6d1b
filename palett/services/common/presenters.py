"""How numbers, counts and moments read on our pages: one place for dates, credits and plurals.

Every moment we store is UTC; services hand states ISO strings or datetimes, and these turn them into
the few formats the pages use.
"""

from __future__ import annotations

from datetime import datetime


def plural(count: int, word: str) -> str:
    """'1 credit', '2 credits', '1,200 jobs'."""
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def credits(count: int) -> str:
    return plural(count, "credit")


def _moment(value: datetime | str | None) -> datetime | None:
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return value


def short_date(value: datetime | str | None) -> str:
    """'4 Dec 2026' (the gallery, usage and image pages)."""
    moment = _moment(value)
    return f"{moment.day} {moment:%b %Y}" if moment else ""


def date_and_time(value: datetime | str | None) -> str:
    """'4 Dec 2026, 20:45' (a row in a history table)."""
    moment = _moment(value)
    return f"{short_date(moment)}, {moment:%H:%M}" if moment else ""


def stamp_utc(value: datetime | str | None) -> str:
    """'04 Dec 2026, 20:45 UTC' (sessions and the ledger in settings)."""
    moment = _moment(value)
    return f"{moment:%d %b %Y, %H:%M} UTC" if moment else ""


def sortable(value: datetime | str | None) -> str:
    """'2026-12-04 20:45' (admin tables: sorts and scans well)."""
    moment = _moment(value)
    return f"{moment:%Y-%m-%d %H:%M}" if moment else ""


def month_day_year(value: datetime | str | None) -> str:
    """'Dec 4, 2026' (billing history)."""
    moment = _moment(value)
    return f"{moment:%b} {moment.day}, {moment.year}" if moment else ""


def duration(ms: int | None) -> str:
    """'3.2 s', '2 min 5 s'."""
    if ms is None:
        return ""
    return f"{ms / 1000:.1f} s" if ms < 60_000 else f"{ms // 60_000} min {ms % 60_000 // 1000} s"
