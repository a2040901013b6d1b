"""Sign-in throttling shared through real Redis (what several app workers use)."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis

from palett.services.accounts import throttle
from palett.services.common.errors import UserError
from tests.conftest import reset_caches

REDIS_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture
def redis_throttle(monkeypatch):
    tag = uuid.uuid4().hex[:8]
    monkeypatch.setenv("REDIS_URL", REDIS_URL)
    monkeypatch.setenv("RATE_LIMIT_KEY_PREFIX", f"test-{tag}")
    reset_caches()
    yield tag
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"test-{tag}:*"):
        client.delete(key)


def test_attempts_are_counted_in_redis_and_lock_after_five(redis_throttle):
    email, ip = f"{redis_throttle}@example.com", f"ip-{redis_throttle}"
    with ThreadPoolExecutor(max_workers=5) as pool:
        list(pool.map(lambda _: throttle.login(email, ip), range(5)))
    assert redis.Redis.from_url(REDIS_URL).keys(f"test-{redis_throttle}:*"), "nothing stored in Redis"
    reset_caches()  # a different worker process: new limiter, same Redis
    with pytest.raises(UserError) as err:
        throttle.login(email, f"other-{redis_throttle}")
    assert err.value.params["minutes"] >= 14
