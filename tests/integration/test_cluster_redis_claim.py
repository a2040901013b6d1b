"""Two clusters on one machine (tests, `make cluster`, bench/load.py) each claim their own Redis DB, and never
one that holds someone else's keys: each empties its DB at the end."""

from __future__ import annotations

import redis

from scripts.cluster import CLAIM_KEY, CLAIMABLE_DBS, REDIS_BASE, _claim_redis_db


def test_two_clusters_get_different_dbs_and_a_db_with_foreign_keys_is_left_alone():
    free = [n for n in CLAIMABLE_DBS if redis.Redis.from_url(f"{REDIS_BASE}/{n}").dbsize() == 0]
    assert len(free) >= 3, "this test needs three empty Redis DBs among 13..8"
    foreign = redis.Redis.from_url(f"{REDIS_BASE}/{free[0]}")
    foreign.set("someone-elses-key", "1")
    claimed: list[int] = []
    try:
        claimed = [_claim_redis_db("cluster-one"), _claim_redis_db("cluster-two")]
        assert claimed == free[1:3]
        assert foreign.get(CLAIM_KEY) is None and foreign.get("someone-elses-key") == b"1"
        assert [redis.Redis.from_url(f"{REDIS_BASE}/{n}").get(CLAIM_KEY) for n in claimed] == [b"cluster-one",
                                                                                               b"cluster-two"]
    finally:
        foreign.delete("someone-elses-key")
        for number in claimed:
            redis.Redis.from_url(f"{REDIS_BASE}/{number}").delete(CLAIM_KEY)
