"""How a provider reads our input images: never through a public folder, never as a data URI.

Local engine: the storage key itself. Fal/OpenAI: a presigned S3 URL, or a signed, expiring URL on our
public address; Fal without either (e.g. on a laptop): an upload to Fal's own storage through fal_client.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from palett.services.generation.providers import ProviderFailed
from palett.services.media.storage import S3Storage, Storage, get_storage
from palett.settings import get_settings

INPUT_URL_SECONDS = 3600


class KeyMedia:
    def url(self, key: str) -> str:
        return key


class ProviderMedia:
    """Blocking (may upload): adapters run in a worker thread."""

    def url(self, key: str) -> str:
        storage = get_storage()
        if isinstance(storage, S3Storage):
            return storage.url(key, INPUT_URL_SECONDS)
        public = get_settings().public_url.rstrip("/")
        if _reachable_from_outside(public):
            return public + storage.url(key, INPUT_URL_SECONDS)
        return self.elsewhere(key, storage)

    def elsewhere(self, key: str, storage: Storage) -> str:
        raise ProviderFailed("This server has no public address the provider could read your image from.")


class FalMedia(ProviderMedia):
    def elsewhere(self, key: str, storage: Storage) -> str:
        from palett.services.generation.providers.fal import upload_input

        return upload_input(storage.get(key), _content_type(key), key.rsplit("/", 1)[-1])


def _content_type(key: str) -> str:
    return "image/png" if key.endswith(".png") else "image/webp" if key.endswith(".webp") else "image/jpeg"


def _reachable_from_outside(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    return url.startswith("https://") and host not in ("localhost", "127.0.0.1") and not host.endswith(".local")


def media_for(provider: str) -> KeyMedia | ProviderMedia:
    if provider == "local":
        return KeyMedia()
    return FalMedia() if provider == "fal" else ProviderMedia()
