"""Serving media from the local folder, only through signed, expiring URLs made for the owner."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

from palett.services.media.storage import LocalStorage, get_storage

router = APIRouter(prefix="/api/media")
TYPES = {"png": "image/png", "webp": "image/webp", "jpg": "image/jpeg", "jpeg": "image/jpeg"}


@router.get("/{key:path}")
def media(key: str, exp: int = 0, sig: str = "", dl: str | None = None) -> FileResponse:
    storage = get_storage()
    if not isinstance(storage, LocalStorage) or not storage.verify(key, exp, sig, dl):
        raise HTTPException(404, "Not found")
    path = storage.path(key)
    if not path.is_file():
        raise HTTPException(404, "Not found")
    headers = {"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"}
    return FileResponse(path, media_type=TYPES.get(key.rsplit(".", 1)[-1], "application/octet-stream"),
                        headers=headers, filename=dl, content_disposition_type="attachment" if dl else "inline")
