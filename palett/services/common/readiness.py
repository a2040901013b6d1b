"""Readiness: can this process serve users right now? Each dependency is checked with a short timeout.

Liveness (/api/health) says only that the process answers; readiness (/api/ready) is what a load balancer
asks before sending traffic, so it names what is down.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text

from palett.services.common.db import get_engine
from palett.services.media.storage import get_storage
from palett.settings import get_settings

TIMEOUT_SECONDS = 2.0


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str = ""


def _database() -> Check:
    with get_engine().connect() as conn:
        conn.execute(text("select 1"))
    return Check("database", True)


def _redis() -> Check:
    import redis

    client = redis.Redis.from_url(get_settings().redis_url, socket_timeout=TIMEOUT_SECONDS,
                                  socket_connect_timeout=TIMEOUT_SECONDS)
    try:
        client.ping()
    finally:
        client.close()
    return Check("redis", True)


def _storage() -> Check:
    # Asking for a key that never exists exercises credentials, network and bucket without writing.
    get_storage().exists("readiness/probe")
    return Check("storage", True)


def _queue() -> Check:
    if get_settings().dispatch != "worker":
        return Check("queue", True, "in process")
    from palett.services.generation.procrastinate_queue import SCHEMA  # procrastinate's tables live there

    with get_engine().connect() as conn:
        waiting = conn.execute(text(f'select count(*) from "{SCHEMA}".procrastinate_jobs where status = \'todo\'')
                               ).scalar_one()
    return Check("queue", True, f"{waiting} waiting")


def checks() -> list[Check]:
    probes = [_database, _storage, _queue] + ([_redis] if get_settings().redis_url else [])
    results = []
    for probe in probes:
        name = probe.__name__.lstrip("_")
        try:
            results.append(probe())
        except Exception as err:  # a readiness probe reports every failure instead of raising it
            results.append(Check(name, False, type(err).__name__))
    return results
