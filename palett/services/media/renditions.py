"""The smaller files stored beside each image: a grid thumbnail and a display-size WebP for big views.

Both are named after the original's key (`<key stem>-thumb.webp`, `<key stem>-display.webp`) and recorded
on the GeneratedImage row (thumbnail_url, display_url), so views and deletion never guess.
"""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image

from palett.models import GeneratedImage
from palett.services.media import images
from palett.services.media.storage import Storage


@dataclass(frozen=True)
class Renditions:
    thumb: bytes
    display: bytes | None  # None when it would not be smaller than the original file


def make(img: Image.Image, original_bytes: int) -> Renditions:
    """Both renditions from pixels already decoded (no second decode); `original_bytes` is the stored
    original's size."""
    return Renditions(images.thumbnail_webp_image(img)[0], images.display_webp_image(img, original_bytes))


def thumb_key(key: str) -> str:
    return key.rsplit(".", 1)[0] + "-thumb.webp"


def display_key(key: str) -> str:
    return key.rsplit(".", 1)[0] + "-display.webp"


def store(storage: Storage, key: str, made: Renditions) -> tuple[str, str | None]:
    """Put the renditions of the original stored at `key`; returns (thumb key, display key or None)."""
    storage.put(thumb_key(key), made.thumb, "image/webp")
    if made.display is None:
        return thumb_key(key), None
    storage.put(display_key(key), made.display, "image/webp")
    return thumb_key(key), display_key(key)


def display_of(img: GeneratedImage) -> str:
    """The key a big view shows: the display rendition, or the original when there is none."""
    return img.display_url or img.image_url


def thumb_of(img: GeneratedImage) -> str:
    """The key a grid shows: the thumbnail, or the original when there is none."""
    return img.thumbnail_url or img.image_url


def key_for_size(img: GeneratedImage, size: str) -> str:
    """The key behind a `size` query value: "thumb", "display", anything else the original."""
    return thumb_of(img) if size == "thumb" else display_of(img) if size == "display" else img.image_url


def stored_keys(img: GeneratedImage) -> list[str]:
    """Every stored object of the row (original and renditions): what deleting it must remove."""
    return [k for k in (img.image_url, img.thumbnail_url, img.display_url) if k]
