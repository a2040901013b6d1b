"""Read side of jobs for the studio: a user's recent jobs with their images, always filtered by owner."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session as DB
from sqlmodel import col, select

from palett.models import ACTIVE, GeneratedImage, Job, JobStatus
from palett.services import catalog
from palett.services.errors import UserError
from palett.services.storage import get_storage
from palett.settings import get_settings


@dataclass
class ImageView:
    id: int
    url: str
    thumb: str
    download: str
    seed: int | None
    width: int
    height: int


@dataclass
class JobView:
    id: int
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
    images: list[ImageView] = field(default_factory=list)

    @property
    def active(self) -> bool:
        return self.status in ACTIVE


def recent(db: DB, user_id: int, limit: int = 8) -> list[JobView]:
    jobs = db.exec(select(Job).where(Job.user_id == user_id).order_by(col(Job.id).desc()).limit(limit)).all()
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


def _view(job: Job, imgs: list[GeneratedImage]) -> JobView:
    storage = get_storage()
    ttl = get_settings().media_url_seconds
    try:
        spec = catalog.get(job.model)
        label, local = spec.label, spec.is_local
    except UserError:
        label, local = job.model, False
    return JobView(
        id=job.id or 0, status=job.status, model=job.model, model_label=label, local=local,
        prompt=str(job.params.get("prompt", "")), num_images=int(job.params.get("num_images", 1)), cost=job.cost,
        charged=job.charged, progress=job.progress, queue_position=job.queue_position,
        last_log=(job.logs[-1] if job.logs else ""), error=job.error or "",
        created=job.created_at.strftime("%H:%M"), params=dict(job.params),
        images=[ImageView(id=i.id or 0, url=storage.url(i.image_url, ttl), thumb=storage.url(i.thumbnail_url or
                          i.image_url, ttl), download=storage.url(i.image_url, ttl, download_name=f"palett-{i.id}.png"),
                          seed=i.seed, width=i.width, height=i.height) for i in imgs],
    )


__all__ = ["ImageView", "JobStatus", "JobView", "has_active", "owned", "recent"]
