"""How much an upload may be, and reading a body without ever holding more than that."""

from __future__ import annotations

from collections.abc import Iterable

from palett.services.common.errors import UserError
from palett.settings import get_settings


def limits() -> tuple[int, int]:
    """(max bytes, max pixels) from the settings."""
    settings = get_settings()
    return settings.max_upload_bytes, settings.max_upload_pixels


def too_big(limit: int) -> UserError:
    return UserError("upload_too_big", limit_mb=f"{limit / (1024 * 1024):g}")


class CappedBuffer:
    """Collects chunks and raises `upload_too_big` as soon as the running total passes `limit`."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.size = 0
        self._chunks: list[bytes] = []

    def add(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.limit:
            self._chunks.clear()  # free what we held before raising
            raise too_big(self.limit)
        if chunk:
            self._chunks.append(bytes(chunk))

    def getvalue(self) -> bytes:
        data = b"".join(self._chunks)
        self._chunks = [data] if data else []
        return data


def read_capped(stream_chunks: Iterable[bytes], limit: int) -> bytes:
    """Join `stream_chunks`, refusing (UserError upload_too_big) the moment the total passes `limit`.

    Never holds more than `limit` bytes: the chunk that crosses the limit is not kept.
    """
    buf = CappedBuffer(limit)
    for chunk in stream_chunks:
        buf.add(chunk)
    return buf.getvalue()
