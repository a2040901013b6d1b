"""Public API v1 (/api/v1): a FastAPI sub-application with its own OpenAPI schema at /api/v1/openapi.json.

Callers send `Authorization: Bearer <key>` (services/accounts/api_keys). Everything goes through the same
services as the web app: the catalog, submit (validation, credits, rate limits, plan priority), the
pipeline's cancel and the owner-filtered job reads. Errors are problem+json (api/problems.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, FastAPI, Header, Path, Query, Request
from fastapi.openapi.utils import get_openapi
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.responses import JSONResponse, Response

from palett.api import problems
from palett.api.problems import Problem
from palett.api.v1_schemas import Accepted, Generation, GenerationPage, Image, Me, ModelInfo, ProblemDoc
from palett.models import User
from palett.services.accounts import api_keys
from palett.services.accounts.api_keys import Caller
from palett.services.common import idempotency, ratelimit
from palett.services.common.db import session_scope
from palett.services.generation import catalog, jobs, pipeline, submit
from palett.settings import get_settings

router = APIRouter()
MAX_BODY_BYTES = 64 * 1024  # a generation request is a small JSON object
SERVER_FILLED = {"image_key", "source_width", "source_height", "canvas_key"}  # set at submit, never by a caller
bearer = HTTPBearer(auto_error=False, description="An API key of yours: `plt_…`")
PROBLEM_CONTENT = {problems.MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}


def problem(description: str) -> dict[str, Any]:
    """An OpenAPI response entry: a problem+json body."""
    return {"description": description, "content": PROBLEM_CONTENT}


ERRORS: dict[int | str, dict[str, Any]] = {
    401: problem("Missing, unknown or revoked key"), 403: problem("The key lacks the scope"),
    413: problem("Body over 64 KB"), 422: problem("Invalid input (the field is named)"),
    429: problem("Rate limited (see Retry-After)"),
}


def _authenticate(credentials: HTTPAuthorizationCredentials | None) -> Caller:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Problem("unauthorized", "Send your API key as `Authorization: Bearer <key>`.",
                      headers={"WWW-Authenticate": "Bearer"})
    with session_scope() as db:
        caller = api_keys.authenticate(db, credentials.credentials)
    if caller is None:
        raise Problem("unauthorized", "That API key is unknown or was revoked.", headers={"WWW-Authenticate": "Bearer"})
    return caller


def _authenticate_and_count(credentials: HTTPAuthorizationCredentials | None) -> tuple[Caller, ratelimit.Window]:
    caller = _authenticate(credentials)
    return caller, ratelimit.hit_window(get_settings().api_key_rate_limit, f"apikey:{caller.key_id}")


def needs(scope: str | None) -> Callable[..., Awaitable[Caller]]:
    """A dependency: the caller of a valid key, which must have `scope` (None: any key); counts against the key's
    rate limit (RateLimit-* headers on the answer)."""

    async def dependency(request: Request,
                         credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Caller:
        caller, window = await asyncio.to_thread(_authenticate_and_count, credentials)  # DB and Redis: off the loop
        request.state.rate_limit = window
        if not window.allowed:
            raise Problem("rate-limited", f"This key made more than {window.limit} requests in the window. "
                          f"Try again in {window.reset_seconds} seconds.",
                          headers={"Retry-After": str(window.reset_seconds)})
        if scope and scope not in caller.scopes:
            raise Problem("forbidden-scope", f"This needs an API key with the `{scope}` scope.")
        return caller

    return dependency


@router.get("/me", response_model=Me, responses=ERRORS)
def me(caller: Annotated[Caller, Depends(needs(None))]) -> Me:
    with session_scope() as db:
        user = db.get(User, caller.user_id)
        if user is None:
            raise Problem("unauthorized")
        return Me(id=caller.user_id, email=user.email, credits=user.credits, plan=user.plan,
                  rate_limit=submit.rate_limit_for(user),
                  key_rate_limit=get_settings().api_key_rate_limit, scopes=sorted(caller.scopes))


def _settings_of(spec: catalog.ModelSpec) -> dict[str, Any]:
    settings: dict[str, Any] = {"max_images": spec.max_images}
    if "size" in spec.input_model.model_fields:
        settings["sizes"] = list(spec.sizes)
        settings["seed"] = spec.seed
        settings["negative_prompt"] = spec.negative_prompt
        settings["styles"] = list(spec.styles)
        if spec.steps:
            settings["steps"] = dict(zip(("min", "max", "default"), spec.steps, strict=True))
        if spec.guidance:
            settings["guidance"] = dict(zip(("min", "max", "default"), spec.guidance, strict=True))
    return settings


def _input_schema(spec: catalog.ModelSpec) -> dict[str, Any]:
    schema = spec.input_model.model_json_schema()
    for name in SERVER_FILLED:
        schema.get("properties", {}).pop(name, None)
    return schema


@router.get("/models", response_model=list[ModelInfo], responses=ERRORS)
def list_models(caller: Annotated[Caller, Depends(needs("read"))]) -> list[ModelInfo]:
    config = get_settings()
    operations = sorted({spec.operation for spec in catalog.all_models()})
    return [
        ModelInfo(key=spec.key, operation=spec.operation, label=spec.label, provider=spec.provider,
                  available=not catalog.unavailable_reason(spec, config), credits_per_image=spec.credits_per_image,
                  settings=_settings_of(spec), input_schema=_input_schema(spec))
        for operation in operations for spec in catalog.models(operation)
    ]


def _check_fields(params: dict[str, Any]) -> None:
    """Unknown settings are refused by name (the studio never sends them; a typo should not be ignored)."""
    spec = catalog.get(str(params.get("model", "")))
    known = set(spec.input_model.model_fields) - SERVER_FILLED
    for name in params:
        if name not in known:
            raise Problem("invalid-input", f"{spec.label} has no setting `{name}`.", field=name)


def _generation(view: jobs.JobView) -> Generation:
    return Generation(id=view.id, status=view.status, operation=view.operation, model=view.model,
                      progress=view.progress, queue_position=view.queue_position, cost=view.cost,
                      charged=view.charged, error=view.error or None, params=view.params,
                      images=[Image(id=i.id, url=i.url, width=i.width, height=i.height, seed=i.seed)
                              for i in view.images])


async def _submit(user_id: int, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    if not isinstance(params.get("model"), str):
        raise Problem("invalid-input", "Check model: name a model from GET /models.", field="model")
    _check_fields(params)
    made = await submit.submit(user_id=user_id, requests=[params])
    return 202, Accepted(id=made.job_ids[0], status="queued", reserved=made.reserved,
                         balance=made.balance).model_dump()


@router.post("/generations", status_code=202, response_model=Accepted,
             responses={**ERRORS, 402: problem("Not enough credits"),
                        409: problem("Idempotency-Key reused with another body, or still in progress")})
async def create_generation(
    request: Request,
    caller: Annotated[Caller, Depends(needs("generate"))],
    params: Annotated[dict[str, Any], Body(description="The settings the studio submits: model, prompt, size, "
                                                       "num_images, seed… (see GET /models)",
                                           examples=[{"model": "local-preview", "prompt": "a quiet harbour",
                                                      "size": "square", "num_images": 1}])],
    idempotency_key: Annotated[str | None, Header(max_length=idempotency.MAX_KEY_LENGTH)] = None,
) -> JSONResponse:
    if idempotency_key is None:
        status, body = await _submit(caller.user_id, params)
        return JSONResponse(body, status_code=status, headers={"Location": f"/api/v1/generations/{body['id']}"})
    digest = idempotency.body_hash(params)
    earlier = await asyncio.to_thread(idempotency.claim, user_id=caller.user_id, key=idempotency_key, digest=digest)
    if earlier is not None:
        if not earlier.same_body:
            raise Problem("idempotency-key-reused", "This Idempotency-Key was used with another request body.")
        if earlier.status_code == idempotency.PENDING:
            raise Problem("idempotency-key-in-progress", "The first request with this key is still running.",
                          headers={"Retry-After": "1"})
        return JSONResponse(earlier.response, status_code=earlier.status_code,
                            headers={"Idempotent-Replayed": "true",
                                     "Location": f"/api/v1/generations/{earlier.response.get('id')}"})
    try:
        status, body = await _submit(caller.user_id, params)
    except BaseException:
        await asyncio.to_thread(idempotency.release, user_id=caller.user_id, key=idempotency_key)
        raise
    await asyncio.to_thread(idempotency.record, user_id=caller.user_id, key=idempotency_key, status_code=status,
                            response=body)
    return JSONResponse(body, status_code=status, headers={"Location": f"/api/v1/generations/{body['id']}"})


JobId = Annotated[int, Path(ge=1, le=2**63 - 1)]


@router.get("/generations", response_model=GenerationPage, responses=ERRORS)
def list_generations(caller: Annotated[Caller, Depends(needs("read"))],
                     limit: Annotated[int, Query(ge=1, le=100)] = 20,
                     before: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None) -> GenerationPage:
    """Your generations, newest first, in keyset pages."""
    with session_scope() as db:
        views = jobs.page(db, caller.user_id, limit=limit + 1, before=before)
    more = len(views) > limit
    views = views[:limit]
    return GenerationPage(data=[_generation(v) for v in views], next_cursor=views[-1].id if more else None)


@router.get("/generations/{generation_id}", response_model=Generation,
            responses={**ERRORS, 404: problem("No such generation of yours")})
def get_generation(generation_id: JobId, caller: Annotated[Caller, Depends(needs("read"))]) -> Generation:
    with session_scope() as db:
        return _generation(jobs.one(db, caller.user_id, generation_id))


@router.delete("/generations/{generation_id}", response_model=Generation,
               responses={**ERRORS, 404: problem("No such generation of yours"),
                          409: problem("The generation already finished")})
def cancel_generation(generation_id: JobId, caller: Annotated[Caller, Depends(needs("delete"))]) -> Generation:
    """Cancel a queued or running generation; its reserved credits are refunded."""
    with session_scope() as db:
        jobs.owned(db, caller.user_id, generation_id)
        if not pipeline.cancel(db, user_id=caller.user_id, job_id=generation_id):
            raise Problem("conflict", "That generation already finished, so it can't be cancelled.")
    with session_scope() as db:
        return _generation(jobs.one(db, caller.user_id, generation_id))


def _openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema is None:
        schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = ProblemDoc.model_json_schema()
        app.openapi_schema = schema
    return app.openapi_schema


def build_app() -> FastAPI:
    """The v1 sub-application; mount it at /api/v1."""
    app = FastAPI(title="Palett AI API", version="1.0.0", openapi_url="/openapi.json", docs_url=None,
                  redoc_url=None, description="Generate and edit images with the models of Palett's studio. "
                  "Credits, rate limits and plan rules are the web app's.")
    app.include_router(router)
    from palett.api import v1_webhooks  # it builds on this module's `needs`

    app.include_router(v1_webhooks.router)
    problems.install(app)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]

    @app.middleware("http")
    async def rate_limit_headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        if request.headers.get("content-length", "0").isdigit() and \
                int(request.headers.get("content-length", "0")) > MAX_BODY_BYTES:
            return Problem("payload-too-large", f"Send at most {MAX_BODY_BYTES // 1024} KB of JSON.").response()
        response = await call_next(request)
        window = getattr(request.state, "rate_limit", None)
        if isinstance(window, ratelimit.Window):
            response.headers["RateLimit-Limit"] = str(window.limit)
            response.headers["RateLimit-Remaining"] = str(window.remaining)
            response.headers["RateLimit-Reset"] = str(window.reset_seconds)
        return response

    return app


__all__ = ["build_app", "router"]
