"""Keyset pages shared by the gallery, Explore and the usage history: page size, opaque cursors, UTC days.

Pages are cut on (time, id), never with OFFSET; a cursor is an opaque token that names its sort, and one
made for another sort or tampered with is refused as "page_expired".
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeVar

from sqlmodel import col
from sqlmodel.sql.expression import SelectOfScalar

from palett.services.common.errors import UserError
from palett.services.library.ownership import is_id

MAX_PAGE = 200
Row = TypeVar("Row")


def iso(moment: datetime) -> str:
    return moment.isoformat()


def day_start(value: date | datetime) -> datetime:
    """A date means its first instant in UTC; a datetime is taken as is (naive = UTC)."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.combine(value, time.min, tzinfo=UTC)


def day_end(value: date | datetime) -> datetime:
    """The first instant after `value`: a date includes its whole day; a datetime is inclusive."""
    if isinstance(value, datetime):
        return day_start(value) + timedelta(microseconds=1)
    return day_start(value) + timedelta(days=1)


def encode_cursor(**fields: Any) -> str:
    """An opaque page token (URL-safe base64 of compact JSON)."""
    raw = json.dumps({"v": 1, **fields}, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str) -> dict[str, Any]:
    """The fields of a cursor made by encode_cursor for the same sort; UserError('page_expired') otherwise."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        fields = json.loads(raw)
        if not isinstance(fields, dict) or fields.get("v") != 1 or fields.get("s") != sort:
            raise ValueError("wrong cursor")
        if not is_id(fields.get("i")):
            raise ValueError("wrong id")
        return fields
    except (ValueError, binascii.Error, UnicodeDecodeError, TypeError):
        raise UserError("page_expired") from None


def cursor_time(fields: dict[str, Any]) -> datetime:
    try:
        moment = datetime.fromisoformat(str(fields["t"]))
    except (KeyError, ValueError):
        raise UserError("page_expired") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def check_limit(limit: int) -> int:
    return max(1, min(int(limit), MAX_PAGE))


def newest_first(stmt: SelectOfScalar[Row], id_column: Any, *, limit: int,
                 before_id: int | None = None) -> SelectOfScalar[Row]:
    """One page of `stmt` by falling id (at most MAX_PAGE rows), those before `before_id` when it is given."""
    stmt = stmt.order_by(col(id_column).desc()).limit(min(limit, MAX_PAGE))
    return stmt if before_id is None else stmt.where(col(id_column) < before_id)
