"""Public API v1 (/api/v1): a FastAPI sub-application with its own OpenAPI schema at /api/v1/openapi.json.

Callers send `Authorization: Bearer <key>` (services/accounts/api_keys). Everything goes through the same
services as the web app: the catalog, submit (validation, credits, rate limits, plan priority), the
pipeline's cancel and the owner-filtered job reads. Errors are problem+json (api/problems.py).
"""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, FastAPI, Header, Path, Query, Request
from fastapi.openapi.utils import get_openapi
from starlette.responses import JSONResponse

from palett.api import problems, v1_inputs, v1_media, v1_webhooks
from palett.api.problems import Problem
from palett.api.v1_body_cap import BodyCap
from palett.api.v1_common import (
    ERRORS,
    MAX_ID,
    POST_ERRORS,
    RateLimitHeaders,
    absolute,
    idempotent,
    needs,
    problem,
)
from palett.api.v1_schemas import Accepted, Generation, GenerationPage, Image, Me, ModelInfo, ProblemDoc
from palett.models import User
from palett.services.accounts.api_keys import Caller
from palett.services.common import idempotency
from palett.services.common.db import session_scope
from palett.services.generation import catalog, jobs, pipeline, submit
from palett.settings import get_settings

router = APIRouter()
# Set at submit, never by a caller.
SERVER_FILLED = {"image_key", "source_width", "source_height", "canvas_key", "style_ref_keys", "subject_ref_key"}


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


@cache  # the catalog is fixed for the life of the process: build each schema once
def _input_schema(key: str) -> dict[str, Any]:
    spec = catalog.get(key)
    schema = spec.input_model.model_json_schema()
    for name in SERVER_FILLED | v1_inputs.CALLER_KEYS:
        schema.get("properties", {}).pop(name, None)
        if name in schema.get("required", []):
            schema["required"].remove(name)
    schema.setdefault("properties", {}).update(v1_inputs.schema_properties(spec))
    if v1_inputs.takes_mask(spec):
        schema.setdefault("required", []).append("mask_id")
    return schema


@router.get("/models", response_model=list[ModelInfo], responses=ERRORS)
def list_models(caller: Annotated[Caller, Depends(needs("read"))]) -> list[ModelInfo]:
    config = get_settings()
    operations = sorted({spec.operation for spec in catalog.all_models()})
    return [
        ModelInfo(key=spec.key, operation=spec.operation, label=spec.label, provider=spec.provider,
                  available=not catalog.unavailable_reason(spec, config), credits_per_image=spec.credits_per_image,
                  settings=_settings_of(spec), input_schema=_input_schema(spec.key))
        for operation in operations for spec in catalog.models(operation)
    ]


@cache
def _known_fields(key: str) -> frozenset[str]:
    spec = catalog.get(key)
    return frozenset((set(spec.input_model.model_fields) - SERVER_FILLED - v1_inputs.CALLER_KEYS)
                     | v1_inputs.api_fields(spec))


def _check_fields(params: dict[str, Any]) -> catalog.ModelSpec:
    """Unknown settings are refused by name (the studio never sends them; a typo should not be ignored)."""
    spec = catalog.get(str(params.get("model", "")))
    known = _known_fields(spec.key)
    for name in params:
        if name not in known:
            raise Problem("invalid-input", f"{spec.label} has no setting `{name}`.", field=name)
        value = params[name]
        if name.endswith("_id") and isinstance(value, int) and not 1 <= value <= MAX_ID:
            raise Problem("invalid-input", f"Check {name}: no image has that id.", field=name)
    return spec


def _generation(request: Request, view: jobs.JobView) -> Generation:
    return Generation(id=view.id, status=view.status, operation=view.operation, model=view.model,
                      progress=view.progress, queue_position=view.queue_position, cost=view.cost,
                      charged=view.charged, error=view.error or None, params=view.params,
                      images=[Image(id=i.id, url=absolute(request, i.url), width=i.width, height=i.height,
                                    seed=i.seed) for i in view.images])


async def _submit(user_id: int, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    if not isinstance(params.get("model"), str):
        raise Problem("invalid-input", "Check model: name a model from GET /models.", field="model")
    _check_fields(params)
    params = await v1_inputs.resolve(user_id, params)
    made = await submit.submit(user_id=user_id, requests=[params])
    return 202, Accepted(id=made.job_ids[0], status="queued", reserved=made.reserved,
                         balance=made.balance).model_dump()


@router.post("/generations", status_code=202, response_model=Accepted,
             responses={**POST_ERRORS, 402: problem("Not enough credits"),
                        404: problem("An input image id that isn't yours")})
async def create_generation(
    caller: Annotated[Caller, Depends(needs("generate"))],
    params: Annotated[dict[str, Any], Body(description="The settings the studio submits: model, prompt, size, "
                                                       "num_images, seed… (see GET /models). Editing tools take "
                                                       "image_id (an upload's id or one of your images) or "
                                                       "image_url; inpainting a mask_id.",
                                           examples=[{"model": "local-preview", "prompt": "a quiet harbour",
                                                      "size": "square", "num_images": 1}])],
    idempotency_key: Annotated[str | None, Header(max_length=idempotency.MAX_KEY_LENGTH)] = None,
) -> JSONResponse:
    return await idempotent(caller, idempotency_key, idempotency.body_hash(params),
                            lambda: _submit(caller.user_id, params),
                            lambda body: f"/api/v1/generations/{body.get('id')}")


JobId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.get("/generations", response_model=GenerationPage, responses=ERRORS)
def list_generations(request: Request, caller: Annotated[Caller, Depends(needs("read"))],
                     limit: Annotated[int, Query(ge=1, le=100)] = 20,
                     before: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None) -> GenerationPage:
    """Your generations, newest first, in keyset pages."""
    with session_scope() as db:
        views = jobs.page(db, caller.user_id, limit=limit + 1, before=before)
    more = len(views) > limit
    views = views[:limit]
    return GenerationPage(data=[_generation(request, v) for v in views], next_cursor=views[-1].id if more else None)


@router.get("/generations/{generation_id}", response_model=Generation,
            responses={**ERRORS, 404: problem("No such generation of yours")})
def get_generation(request: Request, generation_id: JobId,
                   caller: Annotated[Caller, Depends(needs("read"))]) -> Generation:
    with session_scope() as db:
        return _generation(request, jobs.one(db, caller.user_id, generation_id))


@router.delete("/generations/{generation_id}", response_model=Generation,
               responses={**ERRORS, 404: problem("No such generation of yours"),
                          409: problem("The generation already finished")})
def cancel_generation(request: Request, generation_id: JobId,
                      caller: Annotated[Caller, Depends(needs("delete"))]) -> Generation:
    """Cancel a queued or running generation; its reserved credits are refunded."""
    with session_scope() as db:
        jobs.owned(db, caller.user_id, generation_id)
        if not pipeline.cancel(db, user_id=caller.user_id, job_id=generation_id):
            raise Problem("conflict", "That generation already finished, so it can't be cancelled.")
    with session_scope() as db:
        return _generation(request, jobs.one(db, caller.user_id, generation_id))


def _openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema is None:
        schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = ProblemDoc.model_json_schema()
        schema["servers"] = [{"url": "/api/v1"}]  # paths are relative to the mount point
        app.openapi_schema = schema
    return app.openapi_schema


def build_app() -> FastAPI:
    """The v1 sub-application; mount it at /api/v1."""
    app = FastAPI(title="Palett AI API", version="1.0.0", openapi_url="/openapi.json", docs_url=None,
                  redoc_url=None, description="Generate and edit images with the models of Palett's studio. "
                  "Credits, rate limits and plan rules are the web app's.")
    app.include_router(router)
    app.include_router(v1_media.router)
    app.include_router(v1_webhooks.router)
    problems.install(app)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    app.add_middleware(BodyCap)

    app.add_middleware(RateLimitHeaders)
    return app


__all__ = ["build_app", "router"]
