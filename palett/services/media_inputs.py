"""How a provider reads our input images: never through a public folder.

Local engine: the storage key itself. Fal/OpenAI: a presigned S3 URL, or a signed,
expiring URL on our public address, or (no public address, e.g. on a laptop) a data URI.
"""

from __future__ import annotations

import base64
from urllib.parse import urlsplit

from palett.services.storage import S3Storage, get_storage
from palett.settings import get_settings

INPUT_URL_SECONDS = 3600


class KeyMedia:
    def url(self, key: str) -> str:
        return key


class ProviderMedia:
    def url(self, key: str) -> str:
        storage = get_storage()
        if isinstance(storage, S3Storage):
            return storage.url(key, INPUT_URL_SECONDS)
        public = get_settings().public_url.rstrip("/")
        if _reachable_from_outside(public):
            return public + storage.url(key, INPUT_URL_SECONDS)
        kind = "image/png" if key.endswith(".png") else "image/webp" if key.endswith(".webp") else "image/jpeg"
        return f"data:{kind};base64,{base64.b64encode(storage.get(key)).decode()}"


def _reachable_from_outside(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    return url.startswith("https://") and host not in ("localhost", "127.0.0.1") and not host.endswith(".local")


def media_for(provider: str) -> KeyMedia | ProviderMedia:
    return KeyMedia() if provider == "local" else ProviderMedia()
