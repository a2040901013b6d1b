"""Read side of jobs for the studio: a user's recent jobs with their images, always filtered by owner."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session as DB
from sqlmodel import col, select

from palett.models import ACTIVE, GeneratedImage, Job, JobStatus
from palett.services.common.errors import UserError
from palett.services.generation import catalog
from palett.services.media import renditions
from palett.services.media.storage import get_storage
from palett.settings import get_settings


@dataclass
class ImageView:
    id: int
    url: str
    display: str  # the display rendition, or the original when there is none
    thumb: str
    download: str
    seed: int | None
    width: int
    height: int


@dataclass
class JobView:
    id: int
    operation: str
    status: str
    model: str
    model_label: str
    local: bool
    prompt: str
    num_images: int
    cost: int
    charged: int
    progress: float
    queue_position: int | None
    last_log: str
    error: str
    created: str
    params: dict[str, Any]
    before: str = ""  # the source image of an edit
    batch_id: str = ""
    images: list[ImageView] = field(default_factory=list)

    @property
    def active(self) -> bool:
        return self.status in ACTIVE


def recent(db: DB, user_id: int, limit: int = 8, *, operations: tuple[str, ...] | None = None,
           exclude: bool = False) -> list[JobView]:
    """The user's newest jobs, optionally only (or all but) some operations."""
    query = select(Job).where(Job.user_id == user_id)
    if operations:
        query = query.where(col(Job.operation).not_in(operations) if exclude else col(Job.operation).in_(operations))
    return _with_images(db, user_id, list(db.exec(query.order_by(col(Job.id).desc()).limit(limit)).all()))


def page(db: DB, user_id: int, *, limit: int, before: int | None = None) -> list[JobView]:
    """One keyset page of the user's jobs, newest first: those with an id below `before` (None: the newest)."""
    query = select(Job).where(Job.user_id == user_id)
    if before is not None:
        query = query.where(col(Job.id) < before)
    return _with_images(db, user_id, list(db.exec(query.order_by(col(Job.id).desc()).limit(limit)).all()))


def _with_images(db: DB, user_id: int, jobs: list[Job]) -> list[JobView]:
    ids = [j.id for j in jobs]
    by_job: dict[int, list[GeneratedImage]] = {}
    if ids:
        for img in db.exec(select(GeneratedImage).where(col(GeneratedImage.job_id).in_(ids),
                                                        GeneratedImage.user_id == user_id)
                           .order_by(col(GeneratedImage.id))):
            by_job.setdefault(img.job_id or 0, []).append(img)
    return [_view(j, by_job.get(j.id or 0, [])) for j in jobs]


def has_active(db: DB, user_id: int) -> bool:
    return db.exec(select(Job.id).where(Job.user_id == user_id, col(Job.status).in_(ACTIVE))).first() is not None


def owned(db: DB, user_id: int, job_id: int) -> Job:
    job = db.get(Job, job_id)
    if job is None or job.user_id != user_id:
        raise UserError("job_not_found")
    return job


def one(db: DB, user_id: int, job_id: int) -> JobView:
    """One of the user's jobs with its images; UserError("job_not_found") when missing or someone else's."""
    job = owned(db, user_id, job_id)
    imgs = db.exec(select(GeneratedImage).where(GeneratedImage.job_id == job.id, GeneratedImage.user_id == user_id)
                   .order_by(col(GeneratedImage.id))).all()
    return _view(job, list(imgs))


def _image_view(img: GeneratedImage, storage: Any, ttl: int) -> ImageView:
    extension = img.image_url.rsplit(".", 1)[-1]  # uploads of big photos are kept as JPEG
    return ImageView(id=img.id or 0, url=storage.url(img.image_url, ttl),
                     display=storage.url(renditions.display_of(img), ttl),
                     thumb=storage.url(renditions.thumb_of(img), ttl),
                     download=storage.url(img.image_url, ttl, download_name=f"palett-{img.id}.{extension}"),
                     seed=img.seed, width=img.width, height=img.height)


def _view(job: Job, imgs: list[GeneratedImage]) -> JobView:
    storage = get_storage()
    ttl = get_settings().media_url_seconds
    try:
        spec = catalog.get(job.model)
        label, local = spec.label, spec.is_local
    except UserError:
        label, local = catalog.label_of(job.model), False
    source = job.params.get("image_key")
    return JobView(
        id=job.id or 0, operation=job.operation, status=job.status, model=job.model, model_label=label, local=local,
        prompt=str(job.params.get("prompt", "")), num_images=int(job.params.get("num_images", 1)), cost=job.cost,
        charged=job.charged, progress=job.progress, queue_position=job.queue_position,
        last_log=(job.logs[-1] if job.logs else ""), error=job.error or "",
        created=job.created_at.strftime("%H:%M"), params=dict(job.params),
        before=storage.url(source, ttl) if source else "", batch_id=job.batch_id or "",
        images=[_image_view(i, storage, ttl) for i in imgs],
    )


__all__ = ["ImageView", "JobStatus", "JobView", "has_active", "one", "owned", "page", "recent"]
