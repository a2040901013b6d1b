"""/api/v1 uploads and images: the web upload's hardened path, the gallery's keyset pages and its detail view,
always filtered by owner (another user's id answers the same 404 as a missing one)."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse

from palett.api import problems
from palett.api.problems import Problem
from palett.api.upload_routes import FormReader, receive_form, store_upload, upload_view
from palett.api.v1_common import ERRORS, MAX_ID, POST_ERRORS, absolute, idempotent, needs, problem
from palett.api.v1_schemas import ImageDetail, ImagePage, LibraryImage, Upload
from palett.models import GeneratedImage
from palett.services.accounts.api_keys import Caller
from palett.services.common import idempotency
from palett.services.common.db import session_scope
from palett.services.common.errors import UserError
from palett.services.library.gallery import browse
from palett.services.library.gallery._common import Tile
from palett.services.library.gallery.detail import detail as image_detail
from palett.services.media import uploads
from palett.settings import get_settings

log = logging.getLogger(__name__)
router = APIRouter()
MULTIPART = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"],
    "properties": {"file": {"type": "string", "format": "binary", "description": "PNG, JPEG, WebP or AVIF"}}}}}}}
ImageId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.post("/uploads", status_code=201, response_model=Upload, openapi_extra=MULTIPART,
             responses={**POST_ERRORS, 413: problem("File over the upload cap (also for chunked bodies)")})
async def create_upload(
    request: Request,
    caller: Annotated[Caller, Depends(needs("generate"))],
    idempotency_key: Annotated[str | None, Header(max_length=idempotency.MAX_KEY_LENGTH)] = None,
) -> JSONResponse:
    """Upload an image (multipart field `file`) to edit: checked from its bytes, cleaned and stored like the
    editor's uploads. The answer's id is an image id for POST /generations."""
    form: FormReader | None = None
    try:
        form = await receive_form(request)
        reader = form

        async def run() -> tuple[int, dict[str, object]]:
            cleaned = await uploads.clean_async(reader.file)
            image = await run_in_threadpool(store_upload, caller.user_id, cleaned, reader.filename)
            return 201, _upload(request, image)

        digest = idempotency.body_hash({"file": form.digest.hexdigest(), "name": form.filename})
        return await idempotent(caller, idempotency_key, digest, run, lambda body: f"/api/v1/images/{body.get('id')}")
    except UserError as err:
        log.info("API upload refused for user %s: %s", caller.user_id, err.code)
        raise problems.from_user_error(err) from None
    finally:
        if form is not None:
            form.close()


def _upload(request: Request, image: GeneratedImage) -> dict[str, object]:
    view = upload_view(image)
    return Upload(id=image.id or 0, url=absolute(request, str(view["url"])),
                  thumb_url=absolute(request, str(view["thumb"])), width=image.width,
                  height=image.height).model_dump()


def _image(request: Request, tile: Tile) -> LibraryImage:
    return LibraryImage(id=tile.id, url=absolute(request, tile.url), thumb_url=absolute(request, tile.thumb),
                        url_expires_in=get_settings().media_url_seconds, width=tile.width, height=tile.height,
                        prompt=tile.prompt, model=tile.model, operation=tile.operation, favorite=tile.favorite,
                        is_public=tile.is_public, created_at=tile.created)


@router.get("/images", response_model=ImagePage, responses=ERRORS)
def list_images(request: Request, caller: Annotated[Caller, Depends(needs("read"))],
                limit: Annotated[int, Query(ge=1, le=100)] = 20,
                cursor: Annotated[str | None, Query(max_length=500)] = None,
                operation: Annotated[str | None, Query(max_length=32, description="e.g. t2i, upscale, upload")] = None,
                ) -> ImagePage:
    """Your images (made and uploaded), newest first, in keyset pages."""
    try:
        with session_scope() as db:
            page = browse.page(db, caller.user_id, cursor=cursor, limit=limit, operation=operation)
    except UserError as err:
        if err.code != "page_expired":
            raise
        raise Problem("invalid-input", "Check cursor: pass the next_cursor of the previous page.",
                      field="cursor") from None
    return ImagePage(data=[_image(request, t) for t in page.items], next_cursor=page.next_cursor)


@router.get("/images/{image_id}", response_model=ImageDetail,
            responses={**ERRORS, 404: problem("No such image of yours")})
def get_image(request: Request, image_id: ImageId, caller: Annotated[Caller, Depends(needs("read"))]) -> ImageDetail:
    """One of your images with fresh signed URLs."""
    with session_scope() as db:
        d = image_detail(db, caller.user_id, image_id)
    return ImageDetail(id=d.id, url=absolute(request, d.url), thumb_url=absolute(request, d.thumb),
                       url_expires_in=get_settings().media_url_seconds, width=d.width, height=d.height,
                       prompt=d.prompt, model=d.model, operation=d.operation, favorite=d.favorite,
                       is_public=d.is_public, created_at=d.created, download_url=absolute(request, d.download),
                       seed=d.seed, generation_id=d.job_id, source_image_id=d.source_image_id)
