"""Rate limits with the `limits` library: memory by default, Redis when REDIS_URL is set.

Every limit is one atomic hit-and-test (`limits`' hit() records and checks in one step, a Lua
script on Redis): testing first and recording later lets a burst of parallel requests all pass.

Redis unreachable (restart, outage): a limit that can't be counted refuses the attempt with
UserError("try_again_shortly") rather than answering 500 or letting it through uncounted; the
client reconnects by itself, so limits work again as soon as Redis is back. Forgetting a count
(`clear`) is best effort: the count expires with its window anyway.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from functools import lru_cache

from limits import RateLimitItem, parse
from limits.errors import StorageError
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from palett.services.common.errors import UserError
from palett.settings import get_settings

log = logging.getLogger(__name__)


@lru_cache
def limiter() -> MovingWindowRateLimiter:
    settings = get_settings()
    if not settings.redis_url:
        return MovingWindowRateLimiter(storage_from_string("memory://"))
    storage = storage_from_string(settings.redis_url, key_prefix=f"{settings.rate_limit_key_prefix}:limits",
                                  wrap_exceptions=True)  # any Redis failure is a StorageError
    return MovingWindowRateLimiter(storage)


# limits' MemoryStorage makes its per-key locks lazily in a defaultdict: the first parallel hits on a
# new key can each get a lock of their own and all pass (12 of 50 measured). One lock for the process.
_memory_lock = threading.Lock()


def _guard() -> AbstractContextManager[object]:
    return nullcontext() if get_settings().redis_url else _memory_lock


@lru_cache
def item(spec: str) -> RateLimitItem:
    return parse(spec)


def hit(spec: str, *keys: str) -> int:
    """Count one attempt against the keys in order: 0 when every key took it, else whole minutes to wait.

    Stops at the first key that refuses, so a refused attempt doesn't use up the later keys
    (keys that took the hit before keep it: the attempt was made).
    """
    try:
        for key in keys:
            with _guard():
                taken = limiter().hit(item(spec), key)
            if not taken:
                reset_at, _ = limiter().get_window_stats(item(spec), key)
                return max(1, math.ceil((reset_at - time.time()) / 60))
    except StorageError as exc:
        log.warning("rate limits: storage unavailable, refusing the attempt: %r", exc.storage_error)
        raise UserError("try_again_shortly") from None
    return 0


@dataclass(frozen=True)
class Window:
    """One hit's outcome with what a client needs for RateLimit-* headers."""

    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int  # until the window frees a slot


def hit_window(spec: str, key: str) -> Window:
    """Like hit() for one key, also telling the limit, what remains and when the window resets."""
    with _guard():
        taken = limiter().hit(item(spec), key)
    reset_at, remaining = limiter().get_window_stats(item(spec), key)
    return Window(taken, item(spec).amount, max(0, remaining), max(1, math.ceil(reset_at - time.time())))


def clear(spec: str, key: str) -> None:
    try:
        limiter().clear(item(spec), key)
    except StorageError as exc:
        log.warning("rate limits: storage unavailable, count of %s not cleared: %r", key, exc.storage_error)
