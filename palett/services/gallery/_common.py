"""Pieces every gallery module shares: the tile, signed URLs, cursors, after-commit work.

Owner checks live in services/ownership.py.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import event
from sqlmodel import Session as DB

from palett.models import GeneratedImage
from palett.services import catalog
from palett.services.errors import UserError
from palett.services.ownership import is_id
from palett.services.storage import get_storage
from palett.settings import get_settings

log = logging.getLogger(__name__)

MAX_PAGE = 200
PROMPT_PREVIEW = 140

OPERATION_LABELS: dict[str, str] = {
    "t2i": "Text to image", "i2i": "Image to image", "upscale": "Upscale", "bg_remove": "Remove background",
    "bg_replace": "Replace background", "inpaint": "Inpaint", "outpaint": "Outpaint", "style": "Style transfer",
    "restore": "Restore", "upload": "Upload",
}


@dataclass
class Tile:
    """One thumbnail in a grid: small, with short-lived signed URLs (thumb for the grid, url for the viewer)."""

    id: int
    thumb: str
    url: str
    width: int
    height: int
    prompt: str  # at most PROMPT_PREVIEW characters
    model: str
    model_label: str
    operation: str
    favorite: bool
    is_public: bool
    created: str  # ISO 8601, UTC


def operation_label(operation: str) -> str:
    return OPERATION_LABELS.get(operation, operation.replace("_", " ").capitalize())


def model_label(model: str) -> str:
    """The catalog's label for a model key; the key itself for models no longer in the catalog."""
    if not model:
        return ""
    try:
        return catalog.get(model).label
    except UserError:
        return model


def short(text: str | None, limit: int = PROMPT_PREVIEW) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


Signer = Callable[..., str]


def signer() -> Signer:
    """key -> short-lived URL (valid for MEDIA_URL_SECONDS); `download_name` makes it an attachment."""
    storage, ttl = get_storage(), get_settings().media_url_seconds

    def sign(key: str, download_name: str | None = None) -> str:
        return storage.url(key, ttl, download_name=download_name)

    return sign


def tile(img: GeneratedImage, sign: Signer) -> Tile:
    return Tile(
        id=img.id or 0, thumb=sign(img.thumbnail_url or img.image_url), url=sign(img.image_url),
        width=img.width, height=img.height, prompt=short(img.prompt), model=img.model,
        model_label=model_label(img.model), operation=img.operation, favorite=img.favorite,
        is_public=img.is_public, created=iso(img.created_at),
    )


def iso(moment: datetime) -> str:
    return moment.isoformat()


# ---- dates and cursors -----------------------------------------------------------------------------------


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


# ---- work that must wait for the commit ------------------------------------------------------------------


def after_commit(db: DB, work: Callable[[], None]) -> None:
    """Run `work` once this session's transaction commits; forget it if the transaction rolls back.

    Used for storage deletes: a file is removed only when the row that pointed at it is really gone.
    """
    pending: list[Callable[[], None]] = db.info.setdefault("palett_after_commit", [])
    if not db.info.get("palett_after_commit_hooked"):
        db.info["palett_after_commit_hooked"] = True
        event.listen(db, "after_commit", _run_pending)
        event.listen(db, "after_transaction_end", _drop_pending)
    pending.append(work)


def _run_pending(session: Any) -> None:
    pending = session.info.get("palett_after_commit", [])
    while pending:
        work = pending.pop(0)
        try:
            work()
        except Exception:  # the commit stands; a leftover file is only an orphan
            log.exception("after-commit work failed")


def _drop_pending(session: Any, transaction: Any) -> None:
    if transaction.parent is None:  # the outermost transaction ended (after_commit already ran if it committed)
        session.info.get("palett_after_commit", []).clear()
