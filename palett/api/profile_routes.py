"""Avatars over HTTP: upload a new one (same streaming caps and checks as /api/uploads) and serve it.

    POST /api/profile/avatar                       multipart `file`; 201 {"image": "/api/avatars/<id>/<name>"}
    GET  /api/avatars/{user_id}/{name}             the current avatar only (an old or guessed name is 404)
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from palett.api.upload_routes import receive_image
from palett.services.common.db import session_scope
from palett.services.media import avatars, uploads
from palett.services.media.storage import MediaNotFound, get_storage

log = logging.getLogger(__name__)
router = APIRouter()


@router.post("/api/profile/avatar")
async def upload_avatar(request: Request) -> JSONResponse:
    received = await receive_image(request, lambda user_id, cleaned, _name: _save(user_id, cleaned), "avatar")
    if isinstance(received, JSONResponse):
        return received
    return JSONResponse({"image": received[0]}, status_code=201)


def _save(user_id: int, cleaned: uploads.Cleaned) -> str:
    with session_scope() as db:
        path, key = avatars.set_avatar(db, user_id, cleaned)
        try:
            db.commit()
        except BaseException:
            avatars.forget(key)
            raise
        return path


@router.get(avatars.ROUTE + "/{user_id}/{name}")
def avatar(user_id: int, name: str) -> Response:
    with session_scope() as db:
        key = avatars.current_key(db, user_id, name)
    if key is None:
        return Response("Not found", status_code=404, media_type="text/plain")
    try:
        data = get_storage().get(key)
    except MediaNotFound:
        return Response("Not found", status_code=404, media_type="text/plain")
    return Response(data, media_type="image/webp", headers={
        "Cache-Control": "private, max-age=86400", "X-Content-Type-Options": "nosniff"})
