"""Sign-in throttling shared through real Redis (what several app workers use)."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis

from palett.services import throttle
from tests.conftest import reset_caches

REDIS_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture
def redis_throttle(monkeypatch):
    monkeypatch.setenv("REDIS_URL", REDIS_URL)
    reset_caches()
    tag = uuid.uuid4().hex[:8]
    yield tag
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"*{tag}*"):
        client.delete(key)


def test_failures_are_counted_in_redis_and_lock_after_five(redis_throttle):
    email, ip = f"{redis_throttle}@example.com", f"ip-{redis_throttle}"
    with ThreadPoolExecutor(max_workers=5) as pool:
        list(pool.map(lambda _: throttle.record_failure(email, ip), range(5)))
    assert redis.Redis.from_url(REDIS_URL).keys(f"*{redis_throttle}*"), "nothing stored in Redis"
    reset_caches()  # a different worker process: new limiter, same Redis
    assert throttle.minutes_to_wait(email, f"other-{redis_throttle}") >= 14
