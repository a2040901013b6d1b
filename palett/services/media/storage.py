"""Where media bytes live: a local folder (embedded default) or an S3 bucket.

Both backends take the same storage keys (`u/<user_id>/<uuid>.png`) and hand out
short-lived URLs, so callers never know which one is in use. Keys are validated
strictly in one place, so a key can never name a file outside the media root.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import shutil
import threading
import time
import unicodedata
import uuid
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from palett.settings import Settings, get_settings

MEDIA_ROUTE = "/api/media"
MAX_KEY_LENGTH = 256
# Segments start with a letter or digit (no hidden files, no "." or ".."), may hold
# dots only between other characters, and use a fixed charset: nothing to escape.
_SEGMENT = r"[A-Za-z0-9][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+)*"
_KEY_RE = re.compile(rf"{_SEGMENT}(?:/{_SEGMENT}){{0,7}}")
_EXT_RE = re.compile(r"[a-z0-9]{1,8}")
_SIG_RE = re.compile(r"[0-9a-f]{64}")
_MAX_DOWNLOAD_NAME = 120
URL_REUSE_SECONDS = 300
MAX_REUSED_URLS = 10_000


class InvalidKey(ValueError):
    """A storage key that does not match the allowed shape."""


class MediaNotFound(LookupError):
    """No object is stored under this key."""


def validate_key(key: str) -> str:
    if not isinstance(key, str) or len(key) > MAX_KEY_LENGTH or not _KEY_RE.fullmatch(key):
        raise InvalidKey(f"invalid storage key: {key!r}")
    return key


def new_key(user_id: int, ext: str) -> str:
    """A fresh, unguessable key under the user's prefix, e.g. `u/42/<uuid hex>.png`."""
    ext = ext.lower().lstrip(".")
    if isinstance(user_id, bool) or not isinstance(user_id, int) or user_id < 0 or not _EXT_RE.fullmatch(ext):
        raise ValueError(f"bad user id or extension: {user_id!r}, {ext!r}")
    return validate_key(f"u/{user_id}/{uuid.uuid4().hex}.{ext}")


def safe_download_name(name: str) -> str:
    """A file name that is harmless in a Content-Disposition header (no paths, quotes or control chars)."""
    name = unicodedata.normalize("NFC", name)
    cleaned = "".join("_" if (unicodedata.category(c)[0] == "C" or c in '"\\/:*?<>|;') else c for c in name)
    cleaned = " ".join(cleaned.split()).strip(" .")[:_MAX_DOWNLOAD_NAME].strip(" .")
    return cleaned if any(c.isalnum() for c in cleaned) else "image"


def content_disposition(download_name: str) -> str:
    """`attachment` with an ASCII fallback and the RFC 5987 UTF-8 name, for any browser."""
    name = safe_download_name(download_name)
    ascii_name = name.encode("ascii", "replace").decode().replace("?", "_")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


class Storage(ABC):
    """The interface every backend offers; keys are validated before any I/O."""

    def __init__(self) -> None:
        self._urls: dict[tuple[str, int, str | None], tuple[str, float]] = {}  # what url() signed, and when
        self._url_lock = threading.Lock()

    @abstractmethod
    def put(self, key: str, data: bytes, content_type: str) -> None: ...

    @abstractmethod
    def get(self, key: str) -> bytes:
        """The stored bytes; raises MediaNotFound when nothing is stored under `key`."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove the object; deleting a missing key is not an error."""

    @abstractmethod
    def exists(self, key: str) -> bool: ...

    @abstractmethod
    def delete_user(self, user_id: int) -> None:
        """Remove everything stored for a user (keys u/<id>/...): uploads, results, masks, canvases."""

    def url(self, key: str, expires_in: int = 3600, download_name: str | None = None) -> str:
        """A URL that serves the object for `expires_in` seconds, less at most a tenth of that.

        A URL signed for the same object less than a tenth of that time ago (5 min at most) is handed out again:
        a page that re-reads its cards while a job runs then keeps the same <img src>, so the browser does
        not fetch every thumbnail again (and, on S3, the presigned URLs are not signed again either).
        """
        reuse = min(URL_REUSE_SECONDS, expires_in // 10)
        if reuse <= 0:
            return self._signed_url(key, expires_in, download_name)
        now = time.monotonic()
        wanted = (key, expires_in, download_name)
        with self._url_lock:
            signed = self._urls.get(wanted)
        if signed is not None and now - signed[1] < reuse:
            return signed[0]
        url = self._signed_url(key, expires_in, download_name)
        with self._url_lock:
            if len(self._urls) >= MAX_REUSED_URLS:  # a cache that may be lost: start over rather than grow
                self._urls.clear()
            self._urls[wanted] = (url, now)
        return url

    @abstractmethod
    def _signed_url(self, key: str, expires_in: int, download_name: str | None) -> str:
        """A new URL that serves the object until `expires_in` seconds from now."""



class LocalStorage(Storage):
    """Files under one root folder, served by our media route through signed, expiring URLs."""

    def __init__(self, root: Path, secret: str, url_prefix: str = MEDIA_ROUTE) -> None:
        super().__init__()
        self.root = Path(root)
        self.url_prefix = url_prefix.rstrip("/")
        # A key derived for this purpose only, so a media signature is never valid elsewhere.
        self._signing_key = hmac.new(secret.encode(), b"palett:media-url:v1", hashlib.sha256).digest()

    def path(self, key: str) -> Path:
        """The file for `key` (for FileResponse); the key regex already keeps it under root."""
        validate_key(key)
        root = self.root.resolve()
        path = (root / key).resolve()
        if not path.is_relative_to(root):  # defence in depth, e.g. a symlink planted inside root
            raise InvalidKey(f"storage key leaves the media root: {key!r}")
        return path

    def put(self, key: str, data: bytes, content_type: str) -> None:
        # content_type is implied by the extension here; the media route guesses it from the key.
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename, so a reader never sees half a file. The dot-name can never match a key.
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
        try:
            tmp.write_bytes(data)
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)

    def get(self, key: str) -> bytes:
        try:
            return self.path(key).read_bytes()
        except FileNotFoundError:
            raise MediaNotFound(key) from None

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def delete_user(self, user_id: int) -> None:
        shutil.rmtree(self.root / "u" / str(int(user_id)), ignore_errors=True)

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def _signed_url(self, key: str, expires_in: int, download_name: str | None) -> str:
        validate_key(key)
        exp = int(time.time()) + int(expires_in)
        dl = safe_download_name(download_name) if download_name is not None else None
        query = {"exp": str(exp), "sig": self._sign(key, exp, dl)}
        if dl is not None:
            query["dl"] = dl
        return f"{self.url_prefix}/{key}?{urlencode(query, quote_via=quote)}"

    def verify(self, key: str, exp: int | str, sig: str, dl: str | None = None) -> bool:
        """True when `sig` was made by url() for exactly these values and has not expired."""
        try:
            validate_key(key)
            exp_int = int(exp)
        except (ValueError, TypeError):
            return False
        if exp_int < time.time() or not isinstance(sig, str) or not _SIG_RE.fullmatch(sig):
            return False
        return hmac.compare_digest(sig, self._sign(key, exp_int, dl))

    def _sign(self, key: str, exp: int, dl: str | None) -> str:
        # "|" cannot occur in a key or an int, and dl comes last: the message is unambiguous.
        message = f"{key}|{exp}|{dl or ''}".encode()
        return hmac.new(self._signing_key, message, hashlib.sha256).hexdigest()


class S3Storage(Storage):
    """Objects in an S3 bucket (or MinIO/moto); URLs are S3 presigned GETs."""

    def __init__(self, bucket: str, client: Any) -> None:
        super().__init__()
        self.bucket = bucket
        self.client = client

    def put(self, key: str, data: bytes, content_type: str) -> None:
        validate_key(key)
        self.client.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=content_type)

    def get(self, key: str) -> bytes:
        validate_key(key)
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=key)
        except self.client.exceptions.NoSuchKey:
            raise MediaNotFound(key) from None
        body: bytes = response["Body"].read()
        return body

    def delete(self, key: str) -> None:
        validate_key(key)
        self.client.delete_object(Bucket=self.bucket, Key=key)  # S3 deletes are idempotent

    def delete_user(self, user_id: int) -> None:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=f"u/{int(user_id)}/")
        for listing in pages:
            keys = [{"Key": item["Key"]} for item in listing.get("Contents", [])]
            if keys:
                self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": keys, "Quiet": True})

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        validate_key(key)
        try:
            self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
                return False
            raise
        return True

    def _signed_url(self, key: str, expires_in: int, download_name: str | None) -> str:
        validate_key(key)
        params = {"Bucket": self.bucket, "Key": key}
        if download_name is not None:
            params["ResponseContentDisposition"] = content_disposition(download_name)
        url: str = self.client.generate_presigned_url("get_object", Params=params, ExpiresIn=int(expires_in))
        return url


def s3_client(region: str, endpoint_url: str = "") -> Any:
    """A boto3 S3 client; credentials come from the standard AWS environment/config chain."""
    import boto3
    from botocore.config import Config

    config = Config(
        signature_version="s3v4",
        connect_timeout=5,
        read_timeout=60,
        retries={"max_attempts": 3, "mode": "standard"},
        # MinIO and moto serve buckets by path, not by virtual host name.
        s3={"addressing_style": "path"} if endpoint_url else {},
    )
    session = boto3.session.Session()  # own session: the default one is not thread-safe
    return session.client("s3", region_name=region, endpoint_url=endpoint_url or None, config=config)


def storage_for(settings: Settings) -> Storage:
    """S3 when S3_BUCKET is set, else the local media folder under DATA_DIR."""
    bucket = getattr(settings, "s3_bucket", "")
    if bucket:
        region = getattr(settings, "s3_region", "") or "us-east-1"
        return S3Storage(bucket, s3_client(region, getattr(settings, "s3_endpoint_url", "")))
    return LocalStorage(settings.data_dir / "media", settings.secret_key)


# One backend per Settings object: a new Settings (after get_settings.cache_clear()) gets a new backend,
# so tests stay isolated without another cache to clear.
_cached: tuple[Settings, Storage] | None = None
_lock = threading.Lock()


def get_storage() -> Storage:
    global _cached
    settings = get_settings()
    with _lock:
        if _cached is None or _cached[0] is not settings:
            _cached = (settings, storage_for(settings))
        return _cached[1]
