"""Submit latency under a burst: 20 users press Generate at the same moment.

Each thread is one user (own user row and credits). Per submit, the clock runs from the start of the
studio's submit transaction (session_scope → db.get(User) → submit.write_job → commit, exactly what
StudioState._submit runs in a thread) until another PostgreSQL connection (one per thread, autocommit,
opened beforehand) sees the job row with status `queued`. Jobs are not executed. Model: local-preview.
Several rounds, all threads released together by a barrier; one uncounted warm-up round first.
Goal: p95 ≤ 150 ms.

    .venv/bin/python -m bench.submit_latency [--users 20] [--rounds 30] [--no-redis]
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import psycopg

from bench import _common as common

GOAL_MS = 150.0
PARAMS = {"model": "local-preview", "prompt": "a quiet harbour at sunset", "size": "square", "num_images": 1}


class Submitter:
    def __init__(self, url: str, users: list[int]) -> None:
        self.url = url
        self.users = users
        self.local = threading.local()
        self.barrier = threading.Barrier(len(users))
        self.observers: list[psycopg.Connection[Any]] = []

    def observer(self) -> psycopg.Connection[Any]:
        """This thread's watching connection (opened before the clock starts)."""
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = self.local.conn = psycopg.connect(self.url, autocommit=True)
            self.observers.append(conn)
        return conn

    def one(self, user_id: int, *, together: bool = True) -> tuple[float, float]:
        """(ms until the submit transaction committed, ms until another connection saw the job queued)."""
        from palett.models import User
        from palett.services.common.db import session_scope
        from palett.services.generation import submit

        observer = self.observer()
        if together:
            self.barrier.wait()
        start = time.perf_counter()
        with session_scope() as db:
            user = db.get(User, user_id)
            assert user is not None
            job = submit.write_job(db, user=user, params=PARAMS)
            job_id = job.id
        committed = time.perf_counter()
        while True:
            row = observer.execute("SELECT status FROM job WHERE id = %s", (job_id,)).fetchone()
            if row is not None and row[0] == "queued":
                break
            time.sleep(0.0005)
        seen = time.perf_counter()
        return 1000 * (committed - start), 1000 * (seen - start)

    def close(self) -> None:
        for conn in self.observers:
            conn.close()


def run(args: argparse.Namespace, url: str) -> None:
    from palett.services.common.db import get_engine

    users = common.create_users(args.users, "burst")
    submitter = Submitter(url, users)
    commit_ms: list[float] = []
    seen_ms: list[float] = []
    per_round: list[float] = []
    try:
        with ThreadPoolExecutor(max_workers=args.users) as pool:

            def burst() -> list[tuple[float, float]]:
                return list(pool.map(submitter.one, users))

            burst()  # warm-up: pool connections, observer connections, Redis, imports
            # Reference: one user alone, one submit at a time (no contention), and its CPU cost.
            cpu = time.process_time()
            alone = [submitter.one(users[0], together=False)[1] for _ in range(args.alone)]
            cpu_ms = 1000 * (time.process_time() - cpu) / args.alone
            started = time.monotonic()
            for _ in range(args.rounds):
                results = burst()
                commit_ms += [c for c, _ in results]
                seen_ms += [s for _, s in results]
                per_round.append(max(s for _, s in results))
                time.sleep(args.pause)
            elapsed = time.monotonic() - started
    finally:
        submitter.close()
        common.clear_rate_limits(users)

    pool_info = get_engine().pool
    size = getattr(pool_info, "size", lambda: "?")()
    overflow = getattr(pool_info, "_max_overflow", "?")
    print(f"\nSubmit burst: {args.users} users submit at once (threads + barrier), {args.rounds} rounds "
          f"({len(seen_ms)} submits, {elapsed:.1f} s) after 1 warm-up round; model local-preview, jobs not run; "
          f"rate limits in {'Redis' if args.redis else 'memory'};\nSQLAlchemy pool {size} + overflow {overflow} "
          f"connections (palett/services/common/db.py).")
    rows = [
        (f"one user alone, {args.alone} submits one after another", *_stats(alone)),
        (f"burst of {args.users}: submit → job visible as queued (another connection)", *_stats(seen_ms)),
        ("  of which: submit transaction until commit returned", *_stats(commit_ms)),
        ("  slowest submit of each burst", *_stats(per_round)),
    ]
    print(common.table(["ms", "p50", "p95", "max", "mean"], rows))
    print(f"Client-side CPU per submit (one user alone): {cpu_ms:.1f} ms; {args.users} submits x {cpu_ms:.1f} ms = "
          f"{args.users * cpu_ms:.0f} ms of Python work that one process runs under one GIL, on {os.cpu_count()} CPUs "
          "shared with PostgreSQL.")
    p95 = common.percentile(seen_ms, 95)
    print(f"\ngoal p95 ≤ {GOAL_MS:.0f} ms: {'MET' if p95 <= GOAL_MS else 'NOT MET'} (p95 {p95:.1f} ms)")


def _stats(values: list[float]) -> tuple[float, float, float, float]:
    return (common.median(values), common.percentile(values, 95), max(values), sum(values) / len(values))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=20, help="simultaneous users (threads), default 20")
    parser.add_argument("--rounds", type=int, default=30, help="counted bursts (default 30)")
    parser.add_argument("--alone", type=int, default=50, help="sequential submits by one user, for reference")
    parser.add_argument("--pause", type=float, default=0.2, help="seconds between bursts (default 0.2)")
    parser.add_argument("--no-redis", dest="redis", action="store_false",
                        help=f"in-memory rate limits instead of Redis at {common.REDIS_URL}")
    args = parser.parse_args(argv)

    workdir = common.isolate(redis_url=common.REDIS_URL if args.redis else None)
    print(common.machine())
    try:
        with common.temp_database() as url:
            run(args, url)
    finally:
        common.cleanup(workdir)
    print(f"load average after the run {common.loadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
