"""Pieces every gallery module shares: the tile, its labels and signed URLs.

Owner checks live in services/ownership.py, cursors in services/paging.py, after-commit work in services/db.py.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from palett.models import GeneratedImage
from palett.services.common.paging import iso
from palett.services.generation import catalog, operations
from palett.services.media import renditions
from palett.services.media.storage import get_storage
from palett.settings import get_settings

log = logging.getLogger(__name__)

PROMPT_PREVIEW = 140


@dataclass
class Tile:
    """One thumbnail in a grid: small, with short-lived signed URLs (thumb for the grid, display for the viewer,
    url for the original)."""

    id: int
    thumb: str
    url: str
    display: str
    width: int
    height: int
    prompt: str  # at most PROMPT_PREVIEW characters
    model: str
    model_label: str
    operation: str
    favorite: bool
    is_public: bool
    created: str  # ISO 8601, UTC


def operation_label(operation: str) -> str:
    return operations.label_of(operation)


def alt_text(prompt: str, operation: str) -> str:
    """What a picture's alt says: its prompt, or the operation for an edit made without one."""
    return prompt or operation_label(operation)


def model_label(model: str) -> str:
    """The catalog's label for a model key; the key itself for models no longer in the catalog."""
    return catalog.label_of(model) if model else ""


def short(text: str | None, limit: int = PROMPT_PREVIEW) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


Signer = Callable[..., str]


def signer() -> Signer:
    """key -> short-lived URL (valid for MEDIA_URL_SECONDS); `download_name` makes it an attachment."""
    storage, ttl = get_storage(), get_settings().media_url_seconds

    def sign(key: str, download_name: str | None = None) -> str:
        return storage.url(key, ttl, download_name=download_name)

    return sign


def tile(img: GeneratedImage, sign: Signer) -> Tile:
    return Tile(
        id=img.id or 0, thumb=sign(renditions.thumb_of(img)), url=sign(img.image_url),
        display=sign(renditions.display_of(img)), width=img.width, height=img.height, prompt=short(img.prompt),
        model=img.model, model_label=model_label(img.model), operation=img.operation, favorite=img.favorite,
        is_public=img.is_public, created=iso(img.created_at),
    )
