"""Verifying Fal webhooks: Ed25519 over request id, user id, timestamp and the body's sha256.

Fal publishes its public keys as a JWKS; they are cached for FAL_JWKS_TTL_SECONDS. A webhook
is ours only when it is signed for our Fal account (FAL_WEBHOOK_USER_ID): any Fal customer can
get validly signed webhooks for their own requests.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import threading
import time

import httpx
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from palett.settings import get_settings

log = logging.getLogger(__name__)
MAX_SKEW_SECONDS = 300

_lock = threading.Lock()
_cache: dict[str, tuple[float, tuple[Ed25519PublicKey, ...]]] = {}  # JWKS url -> (fetched at, keys)


class KeysUnavailable(Exception):
    """Fal's key server can't be reached and no keys are cached: the webhook should be retried later."""


def _fetch(url: str) -> tuple[Ed25519PublicKey, ...]:
    response = httpx.get(url, timeout=5)
    response.raise_for_status()
    keys = []
    for jwk in response.json().get("keys", []):
        if jwk.get("kty") == "OKP" and jwk.get("crv") == "Ed25519":
            raw = base64.urlsafe_b64decode(jwk["x"] + "=" * (-len(jwk["x"]) % 4))
            keys.append(Ed25519PublicKey.from_public_bytes(raw))
    return tuple(keys)


def public_keys() -> tuple[Ed25519PublicKey, ...]:
    settings = get_settings()
    url, now = settings.fal_jwks_url, time.monotonic()
    with _lock:
        cached = _cache.get(url)
    if cached and now - cached[0] < settings.fal_jwks_ttl_seconds:
        return cached[1]
    try:
        keys = _fetch(url)
    except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
        if cached:  # stale keys beat refusing every webhook while the key server is down
            log.warning("Fal JWKS refresh failed (%s); using keys fetched %.0f s ago", exc, now - cached[0])
            return cached[1]
        raise KeysUnavailable(str(exc)) from exc
    with _lock:
        _cache[url] = (now, keys)
    return keys


def clear_cache() -> None:
    with _lock:
        _cache.clear()


def _our_account(user_id: str) -> bool:
    settings = get_settings()
    if settings.fal_webhook_user_id:
        return user_id == settings.fal_webhook_user_id
    if settings.production:
        log.error("Fal webhook refused: set FAL_WEBHOOK_USER_ID to your Fal user id")
        return False
    log.warning("FAL_WEBHOOK_USER_ID is not set: accepting a Fal webhook for user %r (development only)", user_id)
    return True


def verified_request_id(headers: dict[str, str], body: bytes, *, now: float | None = None) -> str | None:
    """The request id named by the signed headers, when they carry a fresh, valid Fal signature for this
    exact body and our Fal account; else None. Raises KeysUnavailable when the keys can't be fetched."""
    try:
        request_id = headers["x-fal-webhook-request-id"]
        user_id = headers["x-fal-webhook-user-id"]
        timestamp = headers["x-fal-webhook-timestamp"]
        signature = bytes.fromhex(headers["x-fal-webhook-signature"])
        if abs((now or time.time()) - int(timestamp)) > MAX_SKEW_SECONDS:
            return None
    except (KeyError, ValueError):
        return None
    if not _our_account(user_id):
        return None
    message = "\n".join([request_id, user_id, timestamp, hashlib.sha256(body).hexdigest()]).encode()
    for key in public_keys():
        try:
            key.verify(signature, message)
            return request_id
        except InvalidSignature:
            continue
    return None
