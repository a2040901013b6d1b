"""POST /api/uploads: the browser's drag-and-drop, paste and file picker send images here.

The body is read as a stream with a hard cap: a Content-Length above the cap is refused before a
byte is read, and a chunked or lying body is refused the moment it passes the cap. The multipart
form is parsed incrementally (python-multipart); only the `file` part is kept, spooled to a
temporary file (in memory up to 1 MB), so uploads waiting for a decode slot hold no memory.
Checking and re-encoding run on services.media.uploads' decode pool (awaited, so neither the event loop
nor a request thread is held); storing and the database row run in the thread pool.
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
from collections.abc import Callable
from typing import IO, Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse
from python_multipart import MultipartParser
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import parse_options_header
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from palett.api.web import check_origin, current
from palett.models import GeneratedImage
from palett.services.common.db import session_scope
from palett.services.common.errors import UserError
from palett.services.media import renditions, uploads
from palett.services.media.storage import get_storage
from palett.settings import get_settings

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/uploads")

FIELD = "file"
# Room for the multipart boundaries, part headers and small extra fields around the file.
FORM_OVERHEAD = 64 * 1024
SPOOL_IN_MEMORY = 1024 * 1024


async def receive_image(request: Request, save: Callable[[int, uploads.Cleaned, str], Any],
                        what: str = "upload") -> JSONResponse | tuple[Any, int]:
    """The shared front door for image posts: origin, session, size caps while reading, the upload checks.

    Returns an error response, or (what `save(user_id, cleaned, filename)` returned, user id).
    """
    try:
        check_origin(request)
    except HTTPException:
        return _error(UserError("forbidden"), 403)
    user_id = await run_in_threadpool(_user_id, request)
    if user_id is None:
        return _error(UserError("signed_out"), 401)
    form: FormReader | None = None
    try:
        cleaned, form = await read_upload(request)
        saved = await run_in_threadpool(save, user_id, cleaned, form.filename)
    except UserError as err:
        log.info("%s refused for user %s: %s", what, user_id, err.code)
        return _error(err, 413 if err.code == "upload_too_big" else 400)
    finally:
        if form is not None:
            form.close()
    return saved, user_id


async def read_upload(request: Request) -> tuple[uploads.Cleaned, FormReader]:
    """receive_form(), then the file checked and cleaned. Raises UserError (upload_*); the caller closes the
    returned reader (its spool file) when done."""
    form = await receive_form(request)
    try:
        cleaned = await uploads.clean_async(form.file)  # the decode pool: no request thread waits on it
    except BaseException:
        form.close()
        raise
    return cleaned, form


async def receive_form(request: Request) -> FormReader:
    """Read the multipart body's `file` part with both caps enforced while streaming (a chunked body without
    Content-Length included). Raises UserError (upload_*); the caller closes the reader."""
    max_bytes, _ = uploads.limits()
    content_type, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary", b"")
    if content_type != b"multipart/form-data" or not boundary:
        raise UserError("upload_missing")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes + FORM_OVERHEAD:
        raise uploads.too_big(max_bytes)
    form = FormReader(boundary, max_bytes)
    try:
        await _read_form(request, form, max_bytes)
    except ClientDisconnect:
        form.close()
        raise UserError("upload_missing") from None
    except BaseException:
        form.close()
        raise
    return form


@router.post("")
async def upload(request: Request) -> JSONResponse:
    received = await receive_image(request, store_upload)
    if isinstance(received, JSONResponse):
        return received
    return JSONResponse(upload_view(received[0]), status_code=201)


@router.get("/{image_id}")
def get_upload(image_id: int, request: Request) -> JSONResponse:
    """Fresh signed URLs for one of the signed-in user's uploads (another user's id: 404)."""
    with session_scope() as db:
        found = current(db, request)
        if not found:
            return _error(UserError("signed_out"), 401)
        image = db.get(GeneratedImage, image_id)
        if image is None or image.user_id != found[1].id or image.operation != "upload":
            return _error(UserError("image_not_found"), 404)
        return JSONResponse(upload_view(image))


def _user_id(request: Request) -> int | None:
    with session_scope() as db:
        found = current(db, request)
        return found[1].id if found else None


async def _read_form(request: Request, form: FormReader, max_bytes: int) -> None:
    """Feed the body to `form` as it arrives; both caps are enforced while streaming."""
    received = 0  # every byte of the body counts, even those outside the file part
    async for chunk in request.stream():
        received += len(chunk)
        if received > max_bytes + FORM_OVERHEAD:
            raise uploads.too_big(max_bytes)
        form.write(chunk)
    form.finish()


class FormReader:
    """python-multipart callbacks that keep only the first `file` part, in a capped spool file."""

    def __init__(self, boundary: bytes, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self.file: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115
        self.filename = ""
        self.digest = hashlib.sha256()  # of the file's bytes: an Idempotency-Key replay compares it
        self.found = False
        self.done = False
        self._capturing = False
        self._headers: dict[bytes, bytes] = {}
        self._field = b""
        self._value = b""
        self.parser = MultipartParser(boundary, callbacks={
            "on_part_begin": self._part_begin,
            "on_header_field": self._header_field,
            "on_header_value": self._header_value,
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
            "on_end": self._end,
        })

    def write(self, chunk: bytes) -> None:
        try:
            self.parser.write(chunk)
        except MultipartParseError as exc:
            raise UserError("upload_missing") from exc

    def finish(self) -> None:
        try:
            self.parser.finalize()
        except MultipartParseError as exc:
            raise UserError("upload_missing") from exc
        if not (self.found and self.done):
            raise UserError("upload_missing")
        self.file.seek(0)

    def close(self) -> None:
        self.file.close()  # a spool that rolled over to disk is deleted here

    def _part_begin(self) -> None:
        self._headers = {}

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def _header_end(self) -> None:
        self._headers[self._field.strip().lower()] = self._value.strip()
        self._field, self._value = b"", b""

    def _headers_finished(self) -> None:
        disposition, params = parse_options_header(self._headers.get(b"content-disposition", b""))
        name = params.get(b"name", b"").decode("utf-8", "replace")
        self._capturing = disposition == b"form-data" and name == FIELD and not self.found
        if self._capturing:
            self.found = True
            self.filename = params.get(b"filename", b"").decode("utf-8", "replace")

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._capturing:
            self.size += end - start
            if self.size > self.max_bytes:
                raise uploads.too_big(self.max_bytes)
            self.file.write(data[start:end])
            self.digest.update(data[start:end])

    def _part_end(self) -> None:
        self._capturing = False

    def _end(self) -> None:
        self.done = True


def store_upload(user_id: int, cleaned: uploads.Cleaned, filename: str) -> GeneratedImage:
    with session_scope() as db:
        image = uploads.store(db, user_id=user_id, cleaned=cleaned, filename=filename)
        keys = renditions.stored_keys(image)
        try:
            db.commit()
        except BaseException:
            uploads.forget(*keys)
            raise
        return image


def upload_view(image: GeneratedImage) -> dict[str, object]:
    storage = get_storage()
    ttl = get_settings().media_url_seconds
    return {"id": image.id, "url": storage.url(image.image_url, ttl),
            "thumb": storage.url(image.thumbnail_url or image.image_url, ttl),
            "width": image.width, "height": image.height}


def _error(err: UserError, status: int) -> JSONResponse:
    text = err.message
    # Most refusals come before the body was read to its end: don't keep that connection for another request.
    headers = {"Connection": "close"} if status in (400, 401, 403, 413) else None
    return JSONResponse({"error": err.code, "message": text}, status_code=status, headers=headers)
