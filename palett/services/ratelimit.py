"""Rate limits with the `limits` library: memory by default, Redis when REDIS_URL is set."""

from __future__ import annotations

import math
import time
from functools import lru_cache

from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from palett.settings import get_settings


@lru_cache
def limiter() -> MovingWindowRateLimiter:
    return MovingWindowRateLimiter(storage_from_string(get_settings().redis_url or "memory://"))


@lru_cache
def item(spec: str) -> RateLimitItem:
    return parse(spec)


def minutes_until_allowed(spec: str, *keys: str) -> int:
    """0 when one more hit is allowed for every key, else whole minutes to wait."""
    wait = 0.0
    for key in keys:
        if not limiter().test(item(spec), key):
            reset_at, _ = limiter().get_window_stats(item(spec), key)
            wait = max(wait, reset_at - time.time())
    return max(1, math.ceil(wait / 60)) if wait > 0 else 0


def hit(spec: str, *keys: str) -> None:
    for key in keys:
        limiter().hit(item(spec), key)


def clear(spec: str, key: str) -> None:
    limiter().clear(item(spec), key)
