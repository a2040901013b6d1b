"""Editing inputs the public API takes beyond the studio's form: an image by URL (fetched through the SSRF guard,
then checked and stored exactly like an upload) and an inpainting mask sent as an uploaded image.

Images by upload id need nothing here: an upload is one of the user's images, so its id is an `image_id`.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from palett.api.problems import Problem
from palett.api.upload_routes import store_upload
from palett.services.common.db import session_scope
from palett.services.common.errors import UserError
from palett.services.generation import catalog
from palett.services.library import ownership
from palett.services.media import masks, uploads
from palett.services.media.fetch import FetchRefused, fetch_bytes
from palett.services.media.storage import get_storage

URL_FIELDS = {"image_url": "image_id", "background_url": "background_id", "reference_url": "reference_id",
              "mask_url": "mask_id"}
MAX_URL = 2048
# Storage keys the studio sends; API callers send ids (mask_id) instead, since they never see storage keys.
CALLER_KEYS = {"mask_key"}


def takes_mask(spec: catalog.ModelSpec) -> bool:
    """Inpainting: the caller supplies the mask (outpainting's mask is made by the server)."""
    field = spec.input_model.model_fields.get("mask_key")
    return field is not None and field.is_required()


def api_fields(spec: catalog.ModelSpec) -> set[str]:
    """The fields a caller may send for `spec` on top of its input model's own."""
    extra = {"mask_id"} if takes_mask(spec) else set()
    names = set(spec.input_model.model_fields) | extra
    return extra | {url for url, id_field in URL_FIELDS.items() if id_field in names}


def schema_properties(spec: catalog.ModelSpec) -> dict[str, Any]:
    """JSON Schema of the fields api_fields() adds, for GET /models."""
    props: dict[str, Any] = {}
    for name in sorted(api_fields(spec)):
        if name == "mask_id":
            props[name] = {"type": "integer", "description": "An upload (POST /uploads) of the mask: white where "
                           "new pixels go, the image's exact size"}
        else:
            props[name] = {"type": "string", "format": "uri", "maxLength": MAX_URL,
                           "description": f"Instead of {URL_FIELDS[name]}: an https URL of the image"}
    return props


async def resolve(user_id: int, params: dict[str, Any]) -> dict[str, Any]:
    """The params with every `*_url` replaced by the id of the image fetched from it, and `mask_id` by a mask."""
    params = dict(params)
    for url_field, id_field in URL_FIELDS.items():
        if url_field not in params:
            continue
        if id_field in params:
            raise Problem("invalid-input", f"Send {id_field} or {url_field}, not both.", field=url_field)
        params[id_field] = await _fetch_as_upload(user_id, params.pop(url_field), url_field)
    if "mask_id" in params:
        params["mask_key"] = await asyncio.to_thread(_mask_from_upload, user_id, params.pop("mask_id"),
                                                     params.get("image_id"))
    return params


async def _fetch_as_upload(user_id: int, url: object, field: str) -> int:
    if not isinstance(url, str) or not url or len(url) > MAX_URL:
        raise Problem("invalid-input", f"Check {field}: send an https URL of at most {MAX_URL} characters.",
                      field=field)
    max_bytes, _ = uploads.limits()
    try:
        data = await fetch_bytes(url, max_bytes=max_bytes)
        cleaned = await uploads.clean_async(data)
    except FetchRefused as exc:
        raise Problem("invalid-input", f"Check {field}: that URL can't be fetched ({exc}).", field=field) from None
    except (httpx.HTTPError, OSError):
        raise Problem("invalid-input", f"Check {field}: downloading that URL failed.", field=field) from None
    except UserError as exc:  # the same refusals as an upload
        raise Problem("invalid-input", f"Check {field}: {exc.message}", field=field) from None
    image = await asyncio.to_thread(store_upload, user_id, cleaned, url.rsplit("/", 1)[-1].split("?")[0])
    return image.id or 0


def _mask_from_upload(user_id: int, mask_id: object, image_id: object) -> str:
    if not ownership.is_id(image_id):
        raise Problem("invalid-input", "Check image_id: a mask needs the image it belongs to.", field="image_id")
    with session_scope() as db:
        try:
            mask = ownership.owned_image(db, user_id=user_id, image_id=mask_id)
        except UserError:
            raise Problem("invalid-input", "Check mask_id: send the id of a mask you uploaded.",
                          field="mask_id") from None
        source = ownership.owned_image(db, user_id=user_id, image_id=image_id)  # not yours: 404 as for image_id
        key, size = mask.image_url, (source.width, source.height)
    try:
        return masks.store_mask_image(user_id, get_storage().get(key), size)
    except UserError as exc:
        raise Problem("invalid-input", f"Check mask_id: {exc.message}", field="mask_id") from None
