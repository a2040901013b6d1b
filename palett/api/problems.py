"""Errors of the public API as `application/problem+json` (RFC 9457), one stable `type` per kind of error."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse

from palett.services.common.errors import UserError

MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "/api/v1/problems/"

# kind → (status, title)
KINDS: dict[str, tuple[int, str]] = {
    "bad-request": (400, "Bad request"),
    "unauthorized": (401, "Missing, unknown or revoked API key"),
    "insufficient-credits": (402, "Not enough credits"),
    "forbidden-scope": (403, "The API key lacks the scope this needs"),
    "forbidden-origin": (403, "Cross-origin request refused"),
    "not-found": (404, "Not found"),
    "method-not-allowed": (405, "Method not allowed"),
    "conflict": (409, "Conflict"),
    "idempotency-key-reused": (409, "Idempotency-Key reused with another request body"),
    "idempotency-key-in-progress": (409, "A request with this Idempotency-Key is still being handled"),
    "payload-too-large": (413, "Request body too large"),
    "invalid-input": (422, "Invalid input"),
    "rate-limited": (429, "Rate limit reached"),
}
_FOR_CODE = {
    "no_credits": "insufficient-credits", "rate_limited": "rate-limited", "image_not_found": "not-found",
    "job_not_found": "not-found", "signed_out": "unauthorized", "forbidden": "forbidden-scope",
    "upload_too_big": "payload-too-large",
    "webhook_not_found": "not-found",
}
_INPUT_CODES = {"invalid_input", "unsupported", "unknown_model", "model_unavailable", "too_large_output",
                "too_many_selected", "mask_invalid", "mask_empty", "page_expired",
                # An upload refused by its bytes: the same words as the editor shows.
                "upload_empty", "upload_unsupported", "upload_too_many_pixels", "upload_damaged", "upload_animated",
                "upload_missing"}
_FIELD_OF_CODE = {"unknown_model": "model", "model_unavailable": "model", "too_large_output": "size",
                  "too_many_selected": "num_images", "mask_invalid": "mask", "mask_empty": "mask",
                  "page_expired": "cursor"}


class Problem(Exception):
    def __init__(self, kind: str, detail: str = "", *, headers: dict[str, str] | None = None,
                 **extra: Any) -> None:
        super().__init__(kind)
        self.kind = kind
        self.detail = detail or KINDS[kind][1]
        self.headers = headers or {}
        self.extra = extra

    @property
    def status(self) -> int:
        return KINDS[self.kind][0]

    def body(self) -> dict[str, Any]:
        return {"type": TYPE_BASE + self.kind, "title": KINDS[self.kind][1], "status": self.status,
                "detail": self.detail, **self.extra}

    def response(self) -> JSONResponse:
        return JSONResponse(self.body(), status_code=self.status, headers=self.headers, media_type=MEDIA_TYPE)


def from_user_error(exc: UserError) -> Problem:
    if exc.code in _INPUT_CODES:
        default = "file" if exc.code.startswith("upload_") else _FIELD_OF_CODE.get(exc.code, "")
        field = str(exc.params.get("field") or default)
        extra: dict[str, Any] = {"field": field} if field else {}
        return Problem("invalid-input", exc.message, **extra)
    kind = _FOR_CODE.get(exc.code, "bad-request")
    headers = {}
    if kind == "rate-limited":
        headers["Retry-After"] = str(int(exc.params.get("minutes", 1)) * 60)
    return Problem(kind, exc.message, headers=headers)


def install(app: FastAPI) -> None:
    """Answer every error of `app` as problem+json."""

    async def on_problem(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, Problem)
        return exc.response()

    async def on_user_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, UserError)
        return from_user_error(exc).response()

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        first = exc.errors()[0] if exc.errors() else {}
        loc = [str(part) for part in first.get("loc", ()) if part not in ("body", "query", "path", "header")]
        field = ".".join(loc) or "body"
        return Problem("invalid-input", f"Check {field}: {first.get('msg', 'invalid')}.", field=field).response()

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        kind = next((k for k, (status, _) in KINDS.items() if status == exc.status_code), "bad-request")
        return Problem(kind, str(exc.detail), headers=dict(exc.headers or {})).response()

    app.add_exception_handler(Problem, on_problem)
    app.add_exception_handler(UserError, on_user_error)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
