"""Library downloads and share links over HTTP.

Signed-in routes (/api/library/...) read the session cookie on every request: signed out is 401, and an id
that is missing or someone else's is 404 with the same body, so nobody learns what exists. Share routes
(/api/share/{token}...) need no session and serve an image only while it is public.

    GET /api/library/images/{id}/download?format=png|jpeg|webp   one image, converted
    GET /api/library/download.zip?ids=1,2,3                      a zip of selected images (at most 500)
    GET /api/library/export                                      "download my data": images + JSON
    GET /api/library/usage.csv?operation=&status=&date_from=&date_to=
    GET /api/share/{token}                                       a small page with Open Graph tags
    GET /api/share/{token}/image[?size=thumb]                    the public image itself
"""

from __future__ import annotations

import html
import logging
from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse

from palett.api.web import current
from palett.services import gallery, usage
from palett.services.db import session_scope
from palett.services.errors import UserError, message_for
from palett.services.storage import MediaNotFound, content_disposition, get_storage
from palett.settings import get_settings

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/library")
share_router = APIRouter(prefix="/api/share")

_NO_STORE = {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"}


def _error(code: str, status: int) -> JSONResponse:
    return JSONResponse({"error": code, "message": message_for(code)}, status_code=status, headers=_NO_STORE)


def _not_found() -> Response:
    return _error("image_not_found", 404)


def _user_id(request: Request) -> int | None:
    with session_scope() as db:
        found = current(db, request)
        return found[1].id if found else None


def _attachment(filename: str) -> dict[str, str]:
    return {**_NO_STORE, "Content-Disposition": content_disposition(filename)}


@router.get("/images/{image_id}/download")
def download_image(image_id: int, request: Request, format: str = "png") -> Response:
    user_id = _user_id(request)
    if user_id is None:
        return _error("signed_out", 401)
    try:
        with session_scope() as db:
            converted = gallery.convert(db, user_id, image_id, format.lower())
    except UserError as err:
        return _error(err.code, 404 if err.code == "image_not_found" else 400)
    return Response(converted.data, media_type=converted.media_type,
                    headers=_attachment(converted.filename))


@router.get("/download.zip")
def download_zip(request: Request, ids: str = "") -> Response:
    user_id = _user_id(request)
    if user_id is None:
        return _error("signed_out", 401)
    try:
        wanted = [int(part) for part in ids.split(",") if part.strip()]
    except ValueError:
        return _error("image_not_found", 404)
    try:
        with session_scope() as db:
            archive = gallery.zip_images(db, user_id, wanted)
    except UserError as err:
        return _error(err.code, 404 if err.code == "image_not_found" else 400)
    headers = {**_attachment(archive.filename), "Content-Length": str(archive.size)}
    return StreamingResponse(archive.chunks(), media_type="application/zip", headers=headers)


@router.get("/export")
def export(request: Request) -> Response:
    user_id = _user_id(request)
    if user_id is None:
        return _error("signed_out", 401)
    with session_scope() as db:
        archive = gallery.export_data(db, user_id)
    log.info("data export for user %s: %s images, %s bytes", user_id, archive.count, archive.size)
    headers = {**_attachment(archive.filename), "Content-Length": str(archive.size)}
    return StreamingResponse(archive.chunks(), media_type="application/zip", headers=headers)


@router.get("/usage.csv")
def usage_csv(request: Request, operation: str = "", status: str = "", date_from: date | None = None,
              date_to: date | None = None) -> Response:
    user_id = _user_id(request)
    if user_id is None:
        return _error("signed_out", 401)
    with session_scope() as db:
        text = usage.export_csv(db, user_id, operation=operation or None, status=status or None,
                                date_from=date_from, date_to=date_to)
    return Response(text, media_type="text/csv; charset=utf-8", headers=_attachment("palett-usage.csv"))


# ---- public share links -----------------------------------------------------------------------------------


@share_router.get("/{token}/image")
def share_image(token: str, size: str = "full") -> Response:
    """The image behind a share link while it is public (also what link previews fetch)."""
    with session_scope() as db:
        img = gallery.public_image(db, token)
        key = (img.thumbnail_url or img.image_url) if img and size == "thumb" else (img.image_url if img else None)
    if key is None:
        return Response("Not found", status_code=404, media_type="text/plain", headers=_NO_STORE)
    try:
        data = get_storage().get(key)
    except MediaNotFound:
        return Response("Not found", status_code=404, media_type="text/plain", headers=_NO_STORE)
    media_type = {"png": "image/png", "webp": "image/webp", "jpg": "image/jpeg", "jpeg": "image/jpeg"}.get(
        key.rsplit(".", 1)[-1], "application/octet-stream")
    # Short public caching: making the image private again takes effect within minutes everywhere.
    return Response(data, media_type=media_type,
                     headers={"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"})


@share_router.get("/{token}")
def share_page(token: str) -> Response:
    """A minimal public page with Open Graph/Twitter tags, for link previews and signed-out visitors."""
    with session_scope() as db:
        public = gallery.by_share_token(db, token)
    if public is None:
        return HTMLResponse("<!doctype html><title>Not found</title><p>This image isn't shared.</p>",
                            status_code=404, headers=_NO_STORE)
    base = get_settings().public_url.rstrip("/")
    image = f"{base}/api/share/{token}/image"
    page = f"{base}/api/share/{token}"
    e = html.escape
    body = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(public.og_title)} · Palett AI</title>
<meta property="og:type" content="website"><meta property="og:site_name" content="Palett AI">
<meta property="og:title" content="{e(public.og_title)}">
<meta property="og:description" content="{e(public.og_description)}">
<meta property="og:url" content="{e(page)}"><meta property="og:image" content="{e(image)}">
<meta property="og:image:width" content="{public.width}"><meta property="og:image:height" content="{public.height}">
<meta name="twitter:card" content="summary_large_image"><meta name="robots" content="noindex">
<style>body{{margin:0;font:16px system-ui,sans-serif;background:#0f172a;color:#e2e8f0;display:grid;
place-items:center;min-height:100vh}}
main{{max-width:960px;padding:24px}}img{{max-width:100%;height:auto;border-radius:12px}}a{{color:#a5b4fc}}</style>
</head><body><main><img src="{e(image)}" alt="{e(public.og_title)}" width="{public.width}" height="{public.height}">
<p>{e(public.prompt)}</p><p>{e(public.og_description)} · <a href="{e(base)}/">Make your own with Palett AI</a></p>
</main></body></html>"""
    return HTMLResponse(body, headers={"Cache-Control": "public, max-age=300",
                                       "Content-Security-Policy": "default-src 'none'; img-src 'self'; "
                                                                  "style-src 'unsafe-inline'"})
