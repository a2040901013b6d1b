"""Avatars over HTTP: upload a new one (same streaming caps and checks as /api/uploads) and serve it.

    POST /api/profile/avatar                       multipart `file`; 201 {"image": "/api/avatars/<id>/<name>"}
    GET  /api/avatars/{user_id}/{name}             the current avatar only (an old or guessed name is 404)
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from python_multipart.multipart import parse_options_header
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from palett.api.upload_routes import FORM_OVERHEAD, _error, _FormReader, _read_form, _user_id
from palett.api.web import check_origin
from palett.services import avatars, uploads
from palett.services.db import session_scope
from palett.services.errors import UserError
from palett.services.storage import MediaNotFound, get_storage

log = logging.getLogger(__name__)
router = APIRouter()


@router.post("/api/profile/avatar")
async def upload_avatar(request: Request) -> JSONResponse:
    try:
        check_origin(request)
    except HTTPException:
        return _error(UserError("forbidden"), 403)
    user_id = await run_in_threadpool(_user_id, request)
    if user_id is None:
        return _error(UserError("signed_out"), 401)
    max_bytes, _ = uploads.limits()
    content_type, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary", b"")
    if content_type != b"multipart/form-data" or not boundary:
        return _error(UserError("upload_missing"), 400)
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes + FORM_OVERHEAD:
        return _error(uploads.too_big(max_bytes), 413)
    form = _FormReader(boundary, max_bytes)
    try:
        await _read_form(request, form, max_bytes)
        cleaned = await uploads.clean_async(form.file)
        path = await run_in_threadpool(_save, user_id, cleaned)
    except UserError as err:
        log.info("avatar refused for user %s: %s", user_id, err.code)
        return _error(err, 413 if err.code == "upload_too_big" else 400)
    except ClientDisconnect:
        return _error(UserError("upload_missing"), 400)
    finally:
        form.close()
    return JSONResponse({"image": path}, status_code=201)


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
