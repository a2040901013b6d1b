"""Getting images out: one image converted to PNG/JPEG/WebP, a zip of a selection, and "download my data".

Zips are written with zipfile into a SpooledTemporaryFile (memory up to SPOOL_IN_MEMORY, then a temporary
file), so a large export never sits in memory; the caller streams the file and closes it. Images are stored
uncompressed in the zip (PNG/WebP are compressed already); JSON is deflated. Owner only, always.
"""

from __future__ import annotations

import io
import json
import logging
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from tempfile import SpooledTemporaryFile
from typing import IO, Any, Literal

from PIL import Image
from sqlmodel import Session as DB
from sqlmodel import col, select

from palett.models import (
    Collection,
    CollectionImage,
    CreditTransaction,
    GeneratedImage,
    ImageLike,
    Job,
    Purchase,
    UsageLog,
    User,
    utcnow,
)
from palett.services.common.errors import UserError
from palett.services.library.ownership import owned_image, owned_images
from palett.services.media import images as image_tools
from palett.services.media.storage import MediaNotFound, Storage, get_storage
from palett.settings import get_settings

log = logging.getLogger(__name__)

Format = Literal["png", "jpeg", "webp"]
FORMATS: dict[str, tuple[str, str, str]] = {  # format -> (Pillow name, media type, extension)
    "png": ("PNG", "image/png", "png"),
    "jpeg": ("JPEG", "image/jpeg", "jpg"),
    "jpg": ("JPEG", "image/jpeg", "jpg"),
    "webp": ("WEBP", "image/webp", "webp"),
}
SPOOL_IN_MEMORY = 16 * 1024 * 1024
CHUNK = 64 * 1024
# Fields of a job's params that are storage keys: internal, not part of anyone's recipe.
_KEY_FIELDS = ("image_key", "mask_key", "canvas_key")


@dataclass
class Converted:
    data: bytes
    media_type: str
    filename: str


@dataclass
class Archive:
    """A finished zip, positioned at its start. Stream it with chunks(), which closes it at the end."""

    file: IO[bytes]
    filename: str
    count: int  # images in it
    size: int  # bytes

    def chunks(self) -> Iterator[bytes]:
        try:
            while block := self.file.read(CHUNK):
                yield block
        finally:
            self.file.close()

    def close(self) -> None:
        self.file.close()


def convert(db: DB, user_id: int, image_id: int, fmt: str) -> Converted:
    """One of the user's images as PNG, JPEG (transparency flattened on white) or WebP."""
    if fmt not in FORMATS:
        raise UserError("invalid_input", field="format", detail="use PNG, JPEG or WebP")
    img = owned_image(db, user_id=user_id, image_id=image_id)
    pil_name, media_type, ext = FORMATS[fmt]
    filename = f"palett-{img.id}.{ext}"
    try:
        data = get_storage().get(img.image_url)
    except MediaNotFound:
        raise UserError("image_not_found") from None
    if fmt == "png" and img.image_url.endswith(".png"):
        return Converted(data, media_type, filename)  # stored PNGs are already clean (pipeline/uploads)
    picture = image_tools.open_safely(data, get_settings().max_output_pixels)
    out = io.BytesIO()
    if pil_name == "JPEG":
        picture = _flatten(picture)
        picture.save(out, "JPEG", quality=92, optimize=True)
    elif pil_name == "WEBP":
        picture.save(out, "WEBP", quality=90, method=4)
    else:
        picture.save(out, "PNG", compress_level=6)
    return Converted(out.getvalue(), media_type, filename)


def _flatten(picture: Image.Image) -> Image.Image:
    if picture.mode in ("RGBA", "LA", "PA") or "transparency" in picture.info:
        rgba = picture.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return picture.convert("RGB")


def zip_images(db: DB, user_id: int, image_ids: Iterable[int]) -> Archive:
    """A zip of the user's images among `image_ids` (others' skipped); UserError if none is theirs."""
    images = owned_images(db, user_id=user_id, image_ids=image_ids)
    if not images:
        raise UserError("image_not_found")
    spool: IO[bytes] = SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY, mode="w+b")  # noqa: SIM115
    try:
        with zipfile.ZipFile(spool, "w") as archive:
            count = _add_images(archive, get_storage(), images, folder="")
        return _finished(spool, f"palett-{len(images)}-images.zip", count)
    except BaseException:
        spool.close()
        raise


def export_data(db: DB, user_id: int) -> Archive:
    """Everything of the user's: every image file, recipes.json, history.json (jobs, credits, usage,
    purchases, collections, likes) and profile.json. No secrets (no password hash, tokens or payment ids)."""
    user = db.get(User, user_id)
    if user is None:
        raise UserError("signed_out")
    images = list(db.exec(select(GeneratedImage).where(GeneratedImage.user_id == user_id)
                          .order_by(col(GeneratedImage.created_at), col(GeneratedImage.id))))
    spool: IO[bytes] = SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY, mode="w+b")  # noqa: SIM115
    try:
        with zipfile.ZipFile(spool, "w") as archive:
            names: dict[int, str] = {}
            count = _add_images(archive, get_storage(), images, folder="images/", names=names)
            _add_json(archive, "profile.json", _profile(user))
            _add_json(archive, "recipes.json", [_recipe(img, names.get(img.id or 0)) for img in images])
            _add_json(archive, "history.json", _history(db, user_id))
        stamp = utcnow().strftime("%Y%m%d")
        return _finished(spool, f"palett-data-{stamp}.zip", count)
    except BaseException:
        spool.close()
        raise


# ---- zip parts -------------------------------------------------------------------------------------------


def _add_images(archive: zipfile.ZipFile, storage: Storage, images: list[GeneratedImage], *, folder: str,
                names: dict[int, str] | None = None) -> int:
    used: set[str] = set()
    count = 0
    for img in images:
        ext = img.image_url.rsplit(".", 1)[-1] if "." in img.image_url else "png"
        name = _unique(f"{folder}palett-{img.id}{_slug(img.prompt)}.{ext}", used)
        try:
            data = storage.get(img.image_url)
        except MediaNotFound:
            log.warning("image %s: stored file %s is missing; left out of the zip", img.id, img.image_url)
            continue
        info = zipfile.ZipInfo(name, date_time=_zip_time(img.created_at))
        info.compress_type = zipfile.ZIP_STORED
        archive.writestr(info, data)
        if names is not None:
            names[img.id or 0] = name
        count += 1
    return count


def _add_json(archive: zipfile.ZipFile, name: str, payload: Any) -> None:
    info = zipfile.ZipInfo(name, date_time=_zip_time(utcnow()))
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, json.dumps(payload, indent=2, ensure_ascii=False, default=_json_default))


def _finished(spool: IO[bytes], filename: str, count: int) -> Archive:
    size = spool.tell()
    spool.seek(0)
    return Archive(file=spool, filename=filename, count=count, size=size)


def _slug(prompt: str) -> str:
    text = unicodedata.normalize("NFKD", prompt or "").encode("ascii", "ignore").decode()
    words = re.findall(r"[A-Za-z0-9]+", text.lower())[:6]
    return ("-" + "-".join(words))[:48] if words else ""


def _unique(name: str, used: set[str]) -> str:
    stem, dot, ext = name.rpartition(".")
    candidate, n = name, 2
    while candidate in used:
        candidate, n = f"{stem}-{n}{dot}{ext}", n + 1
    used.add(candidate)
    return candidate


def _zip_time(moment: datetime) -> tuple[int, int, int, int, int, int]:
    moment = max(moment.replace(tzinfo=None), datetime(1980, 1, 1))
    return moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _public_params(params: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in (params or {}).items() if k not in _KEY_FIELDS}


def _profile(user: User) -> dict[str, Any]:
    return {"email": user.email, "name": user.name, "plan": user.plan, "credits": user.credits,
            "email_verified": user.email_verified, "created_at": user.created_at}


def _recipe(img: GeneratedImage, file: str | None) -> dict[str, Any]:
    recipe = {k: v for k, v in img.recipe.items() if k != "params"}
    return {
        "id": img.id, "file": file, "created_at": img.created_at, "operation": img.operation, "model": img.model,
        "prompt": img.prompt, "negative_prompt": img.negative_prompt, "width": img.width, "height": img.height,
        "seed": img.seed, "steps": img.steps, "guidance": img.guidance, "style": img.style,
        "job_id": img.job_id, "favorite": img.favorite, "public": img.is_public, "likes": img.likes,
        "params": _public_params(img.recipe.get("params") or {}), "recipe": recipe,
    }


def _history(db: DB, user_id: int) -> dict[str, Any]:
    jobs = db.exec(select(Job).where(Job.user_id == user_id).order_by(col(Job.id))).all()
    ledger = db.exec(select(CreditTransaction).where(CreditTransaction.user_id == user_id)
                     .order_by(col(CreditTransaction.id))).all()
    usage = db.exec(select(UsageLog).where(UsageLog.user_id == user_id).order_by(col(UsageLog.id))).all()
    purchases = db.exec(select(Purchase).where(Purchase.user_id == user_id).order_by(col(Purchase.id))).all()
    collections = db.exec(select(Collection).where(Collection.user_id == user_id).order_by(col(Collection.id))).all()
    members: dict[int, list[int]] = {}
    for cid, iid in db.exec(select(CollectionImage.collection_id, CollectionImage.image_id)
                            .join(Collection, col(Collection.id) == CollectionImage.collection_id)
                            .where(Collection.user_id == user_id)):
        members.setdefault(cid, []).append(iid)
    liked = db.exec(select(ImageLike.image_id, ImageLike.created_at).where(ImageLike.user_id == user_id)).all()
    return {
        "jobs": [{"id": j.id, "operation": j.operation, "model": j.model, "provider": j.provider,
                  "status": j.status, "cost": j.cost, "charged": j.charged, "error": j.error,
                  "params": _public_params(j.params), "created_at": j.created_at, "started_at": j.started_at,
                  "finished_at": j.finished_at, "batch_id": j.batch_id} for j in jobs],
        "credit_ledger": [{"id": t.id, "delta": t.delta, "balance_after": t.balance_after, "kind": t.kind,
                           "reference": t.reference, "created_at": t.created_at} for t in ledger],
        "usage": [{"job_id": u.job_id, "operation": u.operation, "model": u.model, "credits": u.credits,
                   "status": u.status, "error": u.error, "duration_ms": u.duration_ms, "created_at": u.created_at}
                  for u in usage],
        "purchases": [{"kind": p.kind, "product": p.product, "amount_cents": p.amount_cents, "currency": p.currency,
                       "credits": p.credits, "status": p.status, "created_at": p.created_at} for p in purchases],
        "collections": [{"id": c.id, "name": c.name, "created_at": c.created_at,
                         "image_ids": members.get(c.id or 0, [])} for c in collections],
        "liked_image_ids": [{"image_id": i, "created_at": t} for i, t in liked],
    }
