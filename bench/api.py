"""The public API under load, and its end-to-end time against the studio's path for the same job.

1. Submit latency: 20 API clients (another process, one keep-alive httpx connection and one key each) send
   `POST /api/v1/generations` at the same moment, round after round; the clock runs from sending the request to
   reading the 202. The app is the real ASGI stack (request ids, security headers, origin guard, body cap, key
   lookup, per-key and plan rate limits in Redis, the submit service) under uvicorn on 127.0.0.1, in this process;
   jobs are not run in this part. Goal: p95 ≤ 50 ms.
2. End to end: the same local-engine job (local-preview, square) submitted alternately through the API (HTTP)
   and through the submit service the studio calls (in the app's event loop, as a Reflex handler does), one at a
   time, with the in-process job runner on; the clock runs from the submit until another PostgreSQL connection
   sees the job succeeded. Goal: API median within 10% of the studio's.

0. One request at a time (another process sends them): PostgreSQL round trips per request, counted from
   libpq's protocol trace of every pooled connection (each Query or Sync message is one round trip), Redis
   commands, and the server process's CPU time per request.

    .venv/bin/python -m bench.api [--clients 20] [--rounds 20] [--pairs 30] [--single 50] [--no-redis]

The script runs unchanged against older code (`git archive <commit>` into a folder, copy this file into its
bench/, run it there), which is how docs/benchmarks.md compares before and after in one sitting.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import re
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg

from bench import _common as common

LATENCY_GOAL_MS = 50.0
E2E_GOAL_RATIO = 1.10
PARAMS = {"model": "local-preview", "prompt": "a quiet harbour at sunset", "size": "square", "num_images": 1}


def _burst_client(base: str, keys: list[str], rounds: int, pause: float, out: Any) -> None:
    """In a separate process (so client work never shares the server's GIL): `rounds` bursts of len(keys)."""
    import httpx

    async def run() -> list[float]:
        clients = [httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {k}"}, timeout=30)
                   for k in keys]

        async def one(client: httpx.AsyncClient) -> float:
            start = time.perf_counter()
            response = await client.post("/api/v1/generations", json=PARAMS)
            elapsed = 1000 * (time.perf_counter() - start)
            if response.status_code != 202:
                raise SystemExit(f"expected 202, got {response.status_code}: {response.text[:200]}")
            return elapsed

        timings: list[float] = []
        try:
            await asyncio.gather(*(one(c) for c in clients))  # warm-up: connections, caches
            for _ in range(rounds):
                timings += await asyncio.gather(*(one(c) for c in clients))
                await asyncio.sleep(pause)
        finally:
            for client in clients:
                await client.aclose()
        return timings

    out.put(asyncio.run(run()))


def _client_process(base: str, keys: list[str], rounds: int, pause: float) -> list[float]:
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    proc = ctx.Process(target=_burst_client, args=(base, keys, rounds, pause, out))
    proc.start()
    timings: list[float] = out.get(timeout=600)
    proc.join(30)
    return timings


@contextmanager
def counting_round_trips() -> Iterator[dict[str, int]]:
    """Count PostgreSQL round trips (libpq trace of every pooled connection) and Redis commands meanwhile."""
    import redis
    from sqlalchemy import event

    from palett.services.common.db import get_engine

    counts = {"pg": 0, "redis": 0}
    traced: dict[int, Any] = {}
    execute = redis.Redis.execute_command

    def counted(self: Any, *args: Any, **kwargs: Any) -> Any:
        counts["redis"] += 1
        return execute(self, *args, **kwargs)

    engine = get_engine()
    with tempfile.TemporaryFile("w+") as trace:

        def on_checkout(dbapi_conn: Any, _record: Any, _proxy: Any) -> None:
            if id(dbapi_conn) not in traced:
                traced[id(dbapi_conn)] = dbapi_conn
                dbapi_conn.pgconn.trace(trace.fileno())

        event.listen(engine, "checkout", on_checkout)
        redis.Redis.execute_command = counted  # type: ignore[method-assign]
        try:
            yield counts
        finally:
            redis.Redis.execute_command = execute  # type: ignore[method-assign]
            event.remove(engine, "checkout", on_checkout)
            for conn in traced.values():
                conn.pgconn.untrace()
            trace.seek(0)
            counts["pg"] = sum(1 for line in trace if re.search(r"\tF\t\d+\t(Query|Sync)\b", line))


def single(count: int, key: str) -> tuple[float, float, float, list[float]]:
    """Part 0: round trips and server CPU per request, one request at a time."""
    from tests.fakes.live_api import serve_api

    base, stop = serve_api(run_jobs=False)
    try:
        _client_process(base, [key], 5, 0)  # warm-up: routes, prepared statements, pools
        with counting_round_trips() as counts:
            cpu = time.process_time()
            timings = _client_process(base, [key], count - 1, 0)  # the client's warm-up round counts too
            cpu = time.process_time() - cpu
    finally:
        stop()
    return counts["pg"] / count, counts["redis"] / count, 1000 * cpu / count, timings


def make_keys(user_ids: list[int]) -> list[str]:
    from palett.services.accounts import api_keys
    from palett.services.common.db import session_scope

    with session_scope() as db:
        return [api_keys.create(db, user_id=u, name="bench", scopes=list(api_keys.SCOPES), via="bench").secret
                for u in user_ids]


def latency(args: argparse.Namespace, url: str, keys: list[str]) -> list[float]:
    from tests.fakes.live_api import serve_api

    base, stop = serve_api(run_jobs=False)
    try:
        cpu = time.process_time()
        timings = _client_process(base, keys, args.rounds, args.pause)
        args.burst_cpu_ms = 1000 * (time.process_time() - cpu) / (len(timings) + len(keys))
    finally:
        stop()
    with psycopg.connect(url, autocommit=True) as conn:  # part 2's runner must not pick these up
        conn.execute("UPDATE job SET status = 'cancelled' WHERE status = 'queued'")
    return timings


def end_to_end(args: argparse.Namespace, url: str, user_id: int, key: str) -> tuple[list[float], list[float]]:
    import httpx

    from palett.api import mount_api
    from palett.services.generation import submit
    from tests.fakes.live_api import WithJobRunner, _not_found
    from tests.fakes.server import serve_in_thread

    app = WithJobRunner(mount_api(_not_found))
    base, stop = serve_in_thread(app)
    api_ms: list[float] = []
    studio_ms: list[float] = []
    try:
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=60) as client, \
                psycopg.connect(url, autocommit=True) as observer:
            client.get("/api/v1/me")  # starts the runner, opens the connection
            assert app.loop is not None

            def done(job_id: int, start: float) -> float:
                while True:
                    row = observer.execute("SELECT status FROM job WHERE id = %s", (job_id,)).fetchone()
                    if row and row[0] in ("succeeded", "failed", "cancelled"):
                        if row[0] != "succeeded":
                            raise SystemExit(f"job {job_id} {row[0]}")
                        return 1000 * (time.perf_counter() - start)
                    time.sleep(0.002)

            def by_api() -> float:
                start = time.perf_counter()
                response = client.post("/api/v1/generations", json=PARAMS)
                assert response.status_code == 202, response.text
                return done(response.json()["id"], start)

            def by_studio() -> float:
                start = time.perf_counter()
                made = asyncio.run_coroutine_threadsafe(submit.submit(user_id=user_id, requests=[PARAMS]),
                                                        app.loop).result(60)
                return done(made.job_ids[0], start)

            for _ in range(2):  # warm-up: the local engine's first image, imports
                by_api(), by_studio()
            for i in range(args.pairs):  # alternate which goes first, so drift hits both alike
                first, second = (by_api, by_studio) if i % 2 == 0 else (by_studio, by_api)
                a, b = first(), second()
                api_ms.append(a if first is by_api else b)
                studio_ms.append(b if first is by_api else a)
    finally:
        stop()
    return api_ms, studio_ms


def _stats(values: list[float]) -> tuple[float, float, float, float]:
    return (common.median(values), common.percentile(values, 95), max(values), sum(values) / len(values))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=20, help="simultaneous API clients (default 20)")
    parser.add_argument("--rounds", type=int, default=20, help="counted bursts (default 20)")
    parser.add_argument("--pause", type=float, default=0.2, help="seconds between bursts (default 0.2)")
    parser.add_argument("--pairs", type=int, default=30, help="end-to-end API/studio pairs (default 30)")
    parser.add_argument("--single", type=int, default=50, help="requests one at a time in part 0 (default 50)")
    parser.add_argument("--no-redis", dest="redis", action="store_false",
                        help=f"in-memory rate limits instead of Redis at {common.REDIS_URL}")
    args = parser.parse_args(argv)

    workdir = common.isolate(redis_url=common.REDIS_URL if args.redis else None,
                             env={"API_KEY_RATE_LIMIT": "1000000/minute"})
    print(common.machine())
    users: list[int] = []
    try:
        with common.temp_database() as url:
            users = common.create_users(args.clients, "api")
            keys = make_keys(users)
            round_trips, redis_commands, single_cpu, single_ms = single(args.single, keys[-1])
            timings = latency(args, url, keys)
            api_ms, studio_ms = end_to_end(args, url, users[0], keys[0])
            common.clear_rate_limits(users)
    finally:
        common.cleanup(workdir)

    print(f"\n0. POST /api/v1/generations → 202, {args.single} requests one at a time: {round_trips:.1f} PostgreSQL "
          f"round trips and {redis_commands:.1f} Redis commands per request; server CPU {single_cpu:.2f} ms per "
          f"request; latency p50 {common.median(single_ms):.1f} ms, p95 {common.percentile(single_ms, 95):.1f} ms.")
    print(f"\n1. POST /api/v1/generations → 202: {args.clients} clients at once (another process, asyncio + httpx), "
          f"{args.rounds} rounds ({len(timings)} requests) after a warm-up round; uvicorn on 127.0.0.1; rate limits "
          f"in {'Redis' if args.redis else 'memory'}; jobs not run.")
    print(common.table(["ms", "p50", "p95", "max", "mean"], [("request → 202", *_stats(timings))]))
    print(f"server CPU {args.burst_cpu_ms:.2f} ms per request")
    print(f"\n2. End to end, local-preview square, {args.pairs} pairs one at a time (in-process runner):")
    print(common.table(["ms", "p50", "p95", "max", "mean"], [("API (HTTP)", *_stats(api_ms)),
                                                            ("studio's submit service", *_stats(studio_ms))]))
    p95 = common.percentile(timings, 95)
    ratio = common.median(api_ms) / common.median(studio_ms)
    print(f"\ngoal p95 ≤ {LATENCY_GOAL_MS:.0f} ms: {'MET' if p95 <= LATENCY_GOAL_MS else 'NOT MET'} (p95 {p95:.1f} ms)")
    print(f"goal API end to end within {100 * (E2E_GOAL_RATIO - 1):.0f}% of the studio's: "
          f"{'MET' if ratio <= E2E_GOAL_RATIO else 'NOT MET'} (median ratio {ratio:.3f})")
    print(f"load average after the run {common.loadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
