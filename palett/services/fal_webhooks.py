"""Verifying Fal webhooks: Ed25519 over request id, user id, timestamp and the body's sha256.

Fal publishes its public keys as a JWKS; they are cached for an hour.
"""

from __future__ import annotations

import base64
import hashlib
import time
from functools import lru_cache

import httpx
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from palett.settings import get_settings

MAX_SKEW_SECONDS = 300


@lru_cache(maxsize=4)
def _keys(url: str, hour: int) -> tuple[Ed25519PublicKey, ...]:
    response = httpx.get(url, timeout=10)
    response.raise_for_status()
    keys = []
    for jwk in response.json().get("keys", []):
        if jwk.get("kty") == "OKP" and jwk.get("crv") == "Ed25519":
            raw = base64.urlsafe_b64decode(jwk["x"] + "=" * (-len(jwk["x"]) % 4))
            keys.append(Ed25519PublicKey.from_public_bytes(raw))
    return tuple(keys)


def public_keys() -> tuple[Ed25519PublicKey, ...]:
    return _keys(get_settings().fal_jwks_url, int(time.time() // 3600))


def verify(headers: dict[str, str], body: bytes, *, now: float | None = None) -> bool:
    """True when the headers carry a fresh, valid Fal signature for this exact body."""
    try:
        request_id = headers["x-fal-webhook-request-id"]
        user_id = headers["x-fal-webhook-user-id"]
        timestamp = headers["x-fal-webhook-timestamp"]
        signature = bytes.fromhex(headers["x-fal-webhook-signature"])
    except (KeyError, ValueError):
        return False
    try:
        if abs((now or time.time()) - int(timestamp)) > MAX_SKEW_SECONDS:
            return False
    except ValueError:
        return False
    message = "\n".join([request_id, user_id, timestamp, hashlib.sha256(body).hexdigest()]).encode()
    for key in public_keys():
        try:
            key.verify(signature, message)
            return True
        except InvalidSignature:
            continue
    return False
