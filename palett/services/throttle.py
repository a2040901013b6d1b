"""Sign-in throttling with the `limits` library: memory by default, Redis when REDIS_URL is set.

Only failed attempts count. After too many for one account or one IP inside the
window, sign-in is refused with how long to wait.
"""

from __future__ import annotations

import math
import time
from functools import lru_cache

from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from palett.settings import get_settings


@lru_cache
def _limiter() -> tuple[MovingWindowRateLimiter, RateLimitItem]:
    settings = get_settings()
    storage = storage_from_string(settings.redis_url or "memory://")
    return MovingWindowRateLimiter(storage), parse(settings.login_attempts)


def _keys(email: str, ip: str) -> list[str]:
    return [f"login:email:{email.strip().lower()}", f"login:ip:{ip or 'unknown'}"]


def minutes_to_wait(email: str, ip: str) -> int:
    """0 when sign-in may be tried, else whole minutes until the oldest failure expires."""
    limiter, item = _limiter()
    wait = 0.0
    for key in _keys(email, ip):
        if not limiter.test(item, key):
            reset_at, _ = limiter.get_window_stats(item, key)
            wait = max(wait, reset_at - time.time())
    return max(1, math.ceil(wait / 60)) if wait > 0 else 0


def record_failure(email: str, ip: str) -> None:
    limiter, item = _limiter()
    for key in _keys(email, ip):
        limiter.hit(item, key)


def reset(email: str) -> None:
    """Forget failures for an account after it signs in or resets its password."""
    limiter, item = _limiter()
    limiter.clear(item, _keys(email, "")[0])
