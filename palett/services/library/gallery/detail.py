"""One image's page for its owner: the full recipe, links to its source and mask, cost and timing."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func
from sqlmodel import Session as DB
from sqlmodel import col, select

from palett.models import ACTIVE, GeneratedImage, Job
from palett.services.common.errors import UserError
from palett.services.common.paging import iso
from palett.services.generation import catalog
from palett.services.library.gallery._common import model_label, operation_label, signer
from palett.services.library.gallery.collection import CollectionRef, collections_of
from palett.services.library.ownership import in_user_folder, owned_image
from palett.services.media import renditions
from palett.services.media.storage import validate_key

# Filled in by the pipeline from the gallery ids it checks; a re-run sends the ids, never these.
_PIPELINE_FIELDS = ("image_key", "canvas_key", "source_width", "source_height", "style_ref_keys", "subject_ref_key")


@dataclass
class ImageDetail:
    id: int
    url: str  # the original (zoom to 100%)
    display: str  # what the page shows fitted: the display rendition, or the original when there is none
    thumb: str
    download: str  # signed URL that downloads the stored PNG as palett-<id>.png
    width: int
    height: int
    size: str  # "<width> by <height>" with a multiplication sign
    prompt: str
    negative_prompt: str
    model: str
    model_label: str
    provider: str  # fal | openai | local | upload
    local: bool
    operation: str
    operation_label: str
    seed: int | None
    steps: int | None
    guidance: float | None
    style: str
    source_image_id: int | None  # the gallery image an edit started from, while it still exists
    source_url: str  # signed, "" when there is none
    mask_url: str  # signed, "" when there is none
    cost: int | None  # credits the job was charged (for all its images), None for uploads
    job_id: int | None
    job_images: int
    duration_ms: int | None
    created: str
    favorite: bool
    is_public: bool
    share_token: str | None
    prompt_public: bool  # visitors of the public image see its prompt
    likes: int
    collections: list[CollectionRef] = field(default_factory=list)
    rerun: dict[str, Any] = field(default_factory=dict)  # studio input to make it again (operation, model, ...)


def detail(db: DB, user_id: int, image_id: int) -> ImageDetail:
    """Everything the image page shows. UserError 'image_not_found' for a missing or foreign id."""
    img = owned_image(db, user_id=user_id, image_id=image_id)
    sign = signer()
    job = db.get(Job, img.job_id) if img.job_id else None
    if job is not None and job.user_id != user_id:
        job = None
    params: dict[str, Any] = dict(img.recipe.get("params") or (job.params if job else {}) or {})
    spec = _spec(img.model)
    provider = str(img.recipe.get("provider") or (job.provider if job else "") or
                   (spec.provider if spec else ("upload" if img.operation == "upload" else "")))
    source_id, source_url = _source(db, user_id, img, params, sign)
    mask_key = params.get("mask_key") or ""
    return ImageDetail(
        id=img.id or 0, url=sign(img.image_url), display=sign(renditions.display_of(img)),
        thumb=sign(renditions.thumb_of(img)),
        download=sign(img.image_url, download_name=f"palett-{img.id}.png"), width=img.width, height=img.height,
        size=f"{img.width} × {img.height}", prompt=img.prompt, negative_prompt=img.negative_prompt or "",
        model=img.model, model_label=str(img.recipe.get("model_label") or model_label(img.model)),
        provider=provider, local=provider == "local", operation=img.operation,
        operation_label=operation_label(img.operation), seed=img.seed, steps=img.steps, guidance=img.guidance,
        style=img.style or "", source_image_id=source_id, source_url=source_url,
        mask_url=_sign_own_key(mask_key, user_id, sign), cost=_cost(job), job_id=job.id if job else None,
        job_images=_job_images(db, user_id, job), duration_ms=_duration(job), created=iso(img.created_at),
        favorite=img.favorite, is_public=img.is_public, share_token=img.share_token,
        prompt_public=img.prompt_public, likes=img.likes,
        collections=collections_of(db, user_id, image_id), rerun=_rerun(img, params),
    )


def _spec(model: str) -> catalog.ModelSpec | None:
    try:
        return catalog.get(model) if model else None
    except UserError:
        return None


def _source(db: DB, user_id: int, img: GeneratedImage, params: dict[str, Any], sign: Any) -> tuple[int | None, str]:
    """The edit's starting image: by its gallery id if still there, else by its stored key (may be gone)."""
    source_id = params.get("image_id")
    if isinstance(source_id, int):
        row = db.get(GeneratedImage, source_id)
        if row is not None and row.user_id == user_id:
            return row.id, sign(row.image_url)
    key = img.original_image_url or params.get("image_key") or ""
    if key:
        row_id = db.exec(select(GeneratedImage.id).where(GeneratedImage.user_id == user_id,
                                                         GeneratedImage.image_url == key)).first()
        if row_id is not None:
            return row_id, _sign_own_key(key, user_id, sign)
    return None, ""


def _sign_own_key(key: str, user_id: int, sign: Any) -> str:
    """A signed URL for a key under the user's own prefix only (a recipe is data, not a capability)."""
    if not in_user_folder(key, user_id):
        return ""
    try:
        return str(sign(validate_key(key)))
    except ValueError:
        return ""


def _cost(job: Job | None) -> int | None:
    if job is None:
        return None
    return job.cost if job.status in ACTIVE else job.charged


def _duration(job: Job | None) -> int | None:
    if job is None or job.finished_at is None:
        return None
    started = job.started_at or job.created_at
    return max(0, int((job.finished_at - started).total_seconds() * 1000))


def _job_images(db: DB, user_id: int, job: Job | None) -> int:
    if job is None:
        return 1
    return int(db.exec(select(func.count()).where(col(GeneratedImage.job_id) == job.id,
                                                  GeneratedImage.user_id == user_id)).one())


def _rerun(img: GeneratedImage, params: dict[str, Any]) -> dict[str, Any]:
    if img.operation == "upload" or not params:
        return {}
    rerun = {k: v for k, v in params.items() if k not in _PIPELINE_FIELDS}
    rerun.setdefault("model", img.model)
    rerun["operation"] = img.operation
    return rerun
