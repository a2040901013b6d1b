"""Credit ledger throughput on PostgreSQL: credits.apply vs the same SQL through raw psycopg.

One operation = what a successful one-credit job does to the ledger, in two transactions as the pipeline
does: reserve (delta -1) and, later, capture (delta 0), each with its own idempotency key.

orm: session_scope() + credits.apply (idempotency SELECT, SAVEPOINT, conditional UPDATE ... RETURNING,
     ledger INSERT, RELEASE) + commit, through the app's engine and pool.
raw: one psycopg connection per thread: `UPDATE "user" SET credits = credits - 1 WHERE id = %s AND credits >= 1
     RETURNING credits` (capture: `+ 0`, no condition) + INSERT of the ledger row + commit.
raw, apply's SQL: the same connections sending the statements apply + the pool send (pre-ping, idempotency
     SELECT, SAVEPOINT, UPDATE, INSERT ... RETURNING id, RELEASE, COMMIT): round trips without the ORM.

Each configuration runs for a fixed time with 1, 4 and 8 threads; every thread has its own user (rows
marked "one shared user" put all threads on one row). Sides alternate, repeated --reps times (median kept).
At the end, every user's balance must equal the sum of its ledger rows.

    .venv/bin/python -m bench.credit_throughput [--seconds 2.5] [--reps 2] [--threads 1,4,8]
"""

from __future__ import annotations

import argparse
import itertools
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import psycopg

from bench import _common as common

START_BALANCE = 100_000_000
RESERVE = 'UPDATE "user" SET credits = credits - 1 WHERE id = %s AND credits >= 1 RETURNING credits'
CAPTURE = 'UPDATE "user" SET credits = credits + 0 WHERE id = %s RETURNING credits'
LEDGER = ("INSERT INTO credit_transaction (user_id, delta, balance_after, kind, reference, idempotency_key, "
          "created_at) VALUES (%s, %s, %s, %s, %s, %s, now())")
IDEMPOTENT = "SELECT id FROM credit_transaction WHERE idempotency_key = %s"
SIDES = ("orm", "raw_apply_sql", "raw")

_keys = itertools.count()  # next() on a count is atomic under the GIL


def orm_op(user_id: int) -> None:
    from palett.services.billing import credits
    from palett.services.common.db import session_scope

    n = next(_keys)
    with session_scope() as db:
        credits.apply(db, user_id=user_id, delta=-1, kind=credits.Kind.reserve,
                      idempotency_key=f"bench:{n}:reserve", reference=f"bench op #{n}")
    with session_scope() as db:
        credits.apply(db, user_id=user_id, delta=0, kind=credits.Kind.capture,
                      idempotency_key=f"bench:{n}:settle", reference=f"Captured · bench op #{n}")


class RawSide:
    """Per-thread psycopg connections (opened before the clock starts)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.local = threading.local()
        self.conns: list[psycopg.Connection[Any]] = []
        self.lock = threading.Lock()

    def conn(self) -> psycopg.Connection[Any]:
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = self.local.conn = psycopg.connect(self.url)
            with self.lock:
                self.conns.append(conn)
        return conn

    def op(self, user_id: int) -> None:
        """The minimal form: conditional UPDATE ... RETURNING, ledger INSERT, COMMIT (plus psycopg's BEGIN)."""
        conn = self.conn()
        n = next(_keys)
        for sql, delta, kind, key, ref in ((RESERVE, -1, "reserve", f"raw:{n}:reserve", f"bench op #{n}"),
                                           (CAPTURE, 0, "capture", f"raw:{n}:settle", f"Captured · bench op #{n}")):
            row = conn.execute(sql, (user_id,)).fetchone()
            if row is None:
                conn.rollback()
                raise RuntimeError("insufficient credits")
            conn.execute(LEDGER, (user_id, delta, row[0], kind, ref, key))
            conn.commit()

    def op_like_apply(self, user_id: int) -> None:
        """The statements session_scope + credits.apply send, by hand: the round trips without the ORM."""
        conn = self.conn()
        n = next(_keys)
        for sql, delta, kind, key, ref in ((RESERVE, -1, "reserve", f"raw:{n}:reserve", f"bench op #{n}"),
                                           (CAPTURE, 0, "capture", f"raw:{n}:settle", f"Captured · bench op #{n}")):
            conn.execute("SELECT 1")  # pool_pre_ping on checkout (psycopg sends BEGIN first)
            if conn.execute(IDEMPOTENT, (key,)).fetchone() is not None:
                raise RuntimeError("key already applied")
            conn.execute("SAVEPOINT sa_savepoint_1")
            row = conn.execute(sql, (user_id,)).fetchone()
            if row is None:
                conn.rollback()
                raise RuntimeError("insufficient credits")
            conn.execute(LEDGER + " RETURNING id", (user_id, delta, row[0], kind, ref, key)).fetchone()
            conn.execute("RELEASE SAVEPOINT sa_savepoint_1")
            conn.commit()

    def close(self) -> None:
        for conn in self.conns:
            conn.close()


def measure(pool: ThreadPoolExecutor, op: Callable[[int], None], users: list[int], seconds: float,
            warm: Callable[[], Any]) -> tuple[float, float]:
    """(ops per second, client CPU ms per op) with len(users) threads, each looping on its user until the deadline."""
    barrier = threading.Barrier(len(users) + 1)
    state: dict[str, float] = {}

    def worker(user_id: int) -> int:
        warm()
        op(user_id)  # warm this thread's connection / statement caches
        barrier.wait()
        done = 0
        while time.perf_counter() < state["deadline"]:
            op(user_id)
            done += 1
        return done

    futures = [pool.submit(worker, u) for u in users]
    state["deadline"] = float("inf")
    while barrier.n_waiting < len(users):
        for future in futures:
            if future.done():
                future.result()  # a worker failed before the start: raise its error
                raise RuntimeError("a worker ended before the start")
        time.sleep(0.001)
    cpu, start = time.process_time(), time.perf_counter()
    state["deadline"] = start + seconds
    barrier.wait()
    total = sum(f.result() for f in futures)
    # The last op of each thread may end after the deadline: divide by the real elapsed time.
    return total / (time.perf_counter() - start), 1000 * (time.process_time() - cpu) / total


def run(args: argparse.Namespace, url: str) -> None:
    from palett.models import User
    from palett.services.billing import credits
    from palett.services.common.db import get_engine, session_scope

    counts = [int(x) for x in args.threads.split(",")]
    most = max(counts)
    orm_users = common.create_users(most, "orm")
    raw_users = common.create_users(most, "raw")
    with session_scope() as db:  # a large starting balance, through the ledger
        for user_id in orm_users + raw_users:
            credits.apply(db, user_id=user_id, delta=START_BALANCE, kind=credits.Kind.admin_adjust,
                          idempotency_key=f"bench:start:{user_id}", reference="bench balance")
    raw = RawSide(url)
    results: dict[tuple[str, int, bool], list[tuple[float, float]]] = {}
    configs = [(n, False) for n in counts] + ([(n, True) for n in counts if n > 1] if args.shared else [])
    started = time.monotonic()
    try:
        with ThreadPoolExecutor(max_workers=most) as pool:
            for rep in range(args.reps):
                for n, shared in configs:
                    for side in SIDES if rep % 2 == 0 else SIDES[::-1]:
                        users = (orm_users if side == "orm" else raw_users)[:n]
                        if shared:
                            users = [users[0]] * n
                        op = {"orm": orm_op, "raw_apply_sql": raw.op_like_apply, "raw": raw.op}[side]
                        warm = (lambda: None) if side == "orm" else raw.conn
                        results.setdefault((side, n, shared), []).append(
                            measure(pool, op, users, args.seconds, warm))
    finally:
        raw.close()
    elapsed = time.monotonic() - started

    with session_scope() as db:
        mismatched = []
        for user_id in orm_users + raw_users:
            user = db.get(User, user_id)
            assert user is not None
            if user.credits != credits.ledger_sum(db, user_id):
                mismatched.append(user_id)
    pool_info = get_engine().pool
    print(f"\nCredit reserve (-1) + capture (0), two transactions per op, on PostgreSQL; {args.seconds:.1f} s per "
          f"measurement, median of {args.reps}; {elapsed:.0f} s in all. ORM side through the app's engine "
          f"(pool {getattr(pool_info, 'size', lambda: '?')()} + overflow {getattr(pool_info, '_max_overflow', '?')},"
          " pool_pre_ping on).")
    rows = []
    for n, shared in configs:
        orm, like, rawv = (common.median([r[0] for r in results[(side, n, shared)]]) for side in SIDES)
        orm_cpu, raw_cpu = (common.median([r[1] for r in results[(side, n, shared)]]) for side in ("orm", "raw"))
        label = f"{n} (one shared user)" if shared else f"{n}"
        rows.append((label, orm, like, rawv, f"{orm / rawv:.2f}x", 1000 * n / orm, 1000 * n / rawv, orm_cpu,
                     raw_cpu))
    print(common.table(["threads", "credits.apply ops/s", "raw, apply's SQL ops/s", "raw minimal ops/s",
                        "apply / raw minimal", "apply ms/op", "raw ms/op", "apply CPU ms/op", "raw CPU ms/op"],
                       rows))
    print("ms/op: wall time of one op as one thread sees it. CPU ms/op: this process's CPU (all threads) per op.")
    print("Round trips per transaction: credits.apply 8 (BEGIN, pre-ping SELECT 1, idempotency SELECT, SAVEPOINT, "
          "UPDATE, INSERT, RELEASE, COMMIT);\nraw minimal 4 (BEGIN, UPDATE, INSERT, COMMIT). "
          "\"raw, apply's SQL\" sends apply's 8 through psycopg without the ORM.")
    verdict = "OK" if not mismatched else f"MISMATCH for users {mismatched}"
    print(f"\nbalance == sum(ledger) for all {len(orm_users)} ORM users and {len(raw_users)} raw users: {verdict}")
    if mismatched:
        raise SystemExit(1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=2.5, help="duration of each measurement (default 2.5)")
    parser.add_argument("--reps", type=int, default=2, help="repetitions, sides alternating (default 2)")
    parser.add_argument("--threads", default="1,4,8", help="thread counts (default 1,4,8)")
    parser.add_argument("--no-shared", dest="shared", action="store_false",
                        help="skip the rows where all threads share one user")
    args = parser.parse_args(argv)

    workdir = common.isolate()
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
