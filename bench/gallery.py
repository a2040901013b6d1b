"""Gallery and search latency on PostgreSQL with 10,000 images for one user among 100,000 rows.

Data: scripts/seed_demo.py's seed() in a throwaway database (tables from the models, so the GIN prompt
index is there too): the demo user gets --images images (default 10,000, with jobs and ledger rows), and
--others rows (default 90,000) are spread over 50 other users, all with prompts from the same vocabulary.
Then VACUUM ANALYZE, as autovacuum would do on a live table.

Each workload calls the service exactly as the UI does (gallery.page / gallery.explore / gallery.neighbours
in its own session_scope(), i.e. pool checkout + BEGIN + queries + COMMIT + building tiles with signed
URLs), --n times (default 200) after 10 warm-up calls, with parameters drawn at random for each call
(a random word, a random cursor deep in the gallery, ...). First pages also count the matches (`total`).

Goals (p95 of every workload in the group): gallery pages <= 50 ms, search <= 100 ms.
With --plans (default on), EXPLAIN (ANALYZE, BUFFERS) of the exact SQL the service sent for one call of
each plan-worthy workload is printed (statements captured with a SQLAlchemy cursor event).

    .venv/bin/python -m bench.gallery [--images 10000] [--others 90000] [--n 200] [--no-plans] [--sqlite]

--sqlite measures the embedded default (SQLite + FTS5) instead; there the plans are EXPLAIN QUERY PLAN
(SQLite has no EXPLAIN ANALYZE), and the goals, set for PostgreSQL, are only indicative.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from bench import _common as common

GALLERY_GOAL_MS = 50.0
SEARCH_GOAL_MS = 100.0
PLANNED = ("gallery: first page", "gallery: deep page", "gallery: favourites", "gallery: collection",
           "search: one word", "search: one letter", "search: rare word", "search: one word, page 2",
           "explore: most liked")


def build_workloads(user_id: int, rng: random.Random) -> list[tuple[str, str, Callable[[Any], Any]]]:
    """(group, name, call(db)) for each workload; parameters are drawn per call."""
    from palett.services.common.db import session_scope
    from palett.services.library import gallery
    from scripts import seed_demo

    with session_scope() as db:
        cursors, cursor = [], None
        while True:  # every page boundary of the whole gallery, to jump deep at random
            page = gallery.page(db, user_id, cursor=cursor)
            if not page.next_cursor:
                break
            cursors.append(page.next_cursor)
            cursor = page.next_cursor
        collection = gallery.list_collections(db, user_id)[0].id
        image_ids = [t.id for t in gallery.page(db, user_id, limit=200).items]
        page_two = []  # (word, cursor of its second page) for one-word searches that have one
        for subject_words in seed_demo.SUBJECTS:
            word = subject_words.split()[0]
            first = gallery.page(db, user_id, q=word)
            if first.next_cursor:
                page_two.append((word, first.next_cursor))
        page_two = page_two or [("cat", None)]  # tiny data sets: no search has a second page
        cursors = cursors or [None]
    month_ago = datetime.now(UTC) - timedelta(days=30)

    def subject() -> str:
        return rng.choice(seed_demo.SUBJECTS).split()[0]

    return [
        ("gallery", "gallery: first page", lambda db: gallery.page(db, user_id)),
        ("gallery", "gallery: deep page", lambda db: gallery.page(db, user_id, cursor=rng.choice(cursors))),
        ("gallery", "gallery: oldest first", lambda db: gallery.page(db, user_id, sort="oldest")),
        ("gallery", "gallery: favourites", lambda db: gallery.page(db, user_id, favorites=True)),
        ("gallery", "gallery: operation", lambda db: gallery.page(
            db, user_id, operation=rng.choice(("t2i", "upscale", "inpaint", "upload")))),
        ("gallery", "gallery: model", lambda db: gallery.page(
            db, user_id, model=rng.choice(("flux-dev", "imagen4", "esrgan", "local-preview")))),
        ("gallery", "gallery: last 30 days", lambda db: gallery.page(db, user_id, date_from=month_ago)),
        ("gallery", "gallery: public only", lambda db: gallery.page(db, user_id, visibility="public")),
        ("gallery", "gallery: collection", lambda db: gallery.page(db, user_id, collection_id=collection)),
        ("gallery", "gallery: neighbours", lambda db: gallery.neighbours(db, user_id, rng.choice(image_ids))),
        ("search", "search: one word", lambda db: gallery.page(db, user_id, q=subject())),
        ("search", "search: prefix", lambda db: gallery.page(db, user_id, q=subject()[:4])),
        ("search", "search: two words", lambda db: gallery.page(
            db, user_id, q=f"{rng.choice(seed_demo.ADJECTIVES)} {subject()}")),
        ("search", "search: one word, page 2", lambda db: gallery.page(db, user_id, q=(w := rng.choice(page_two))[0],
                                                                        cursor=w[1])),
        ("search", "search: rare word", lambda db: gallery.page(db, user_id, q=rng.choice(seed_demo.RARE))),
        ("search", "search: word + operation", lambda db: gallery.page(db, user_id, q=subject(), operation="t2i")),
        ("search", "search: no match", lambda db: gallery.page(db, user_id, q="zzyzx")),
        # Worst case: "a" is a prefix of most prompts (at, a..., autumn, astronaut, ...).
        ("search", "search: one letter", lambda db: gallery.page(db, user_id, q="a")),
        ("other", "explore: newest", lambda db: gallery.explore(db)),
        ("other", "explore: most liked", lambda db: gallery.explore(db, sort="most_liked")),
    ]


def measure(call: Callable[[Any], Any], n: int, warmup: int = 10) -> list[float]:
    from palett.services.common.db import session_scope

    timings = []
    for i in range(warmup + n):
        started = time.perf_counter()
        with session_scope() as db:
            call(db)
        if i >= warmup:
            timings.append((time.perf_counter() - started) * 1000)
    return timings


def explain(call: Callable[[Any], Any]) -> list[tuple[str, list[str]]]:
    """EXPLAIN (ANALYZE, BUFFERS) of every SELECT the call sends, with the parameters it sent."""
    from sqlalchemy import event

    from palett.services.common.db import get_engine, session_scope

    engine = get_engine()
    sent: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            sent.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        with session_scope() as db:
            call(db)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    plans = []
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as conn:
        for statement, parameters in sent:
            if sqlite:
                rows = [f"{'  ' * (r[1] > 0)}{r[3]}" for r in conn.exec_driver_sql(
                    "EXPLAIN QUERY PLAN " + statement, parameters).all()]
            else:
                rows = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters).scalars().all()
            plans.append((" ".join(statement.split()), list(rows)))
    return plans


def run(args: argparse.Namespace) -> int:
    from sqlalchemy import text

    from palett.services.common.db import get_engine
    from scripts import seed_demo

    started = time.perf_counter()
    seeded = seed_demo.seed(args.images, others=args.others, other_users=50, rng_seed=args.seed)
    with get_engine().connect() as conn:
        total = conn.execute(text("SELECT count(*) FROM generated_image")).scalar_one()
    if get_engine().dialect.name == "sqlite":
        with get_engine().connect() as conn:
            conn.exec_driver_sql("ANALYZE")
    else:
        autocommit = get_engine().execution_options(isolation_level="AUTOCOMMIT")
        with autocommit.connect() as conn:
            conn.execute(text("VACUUM ANALYZE"))
    print(f"seeded {seeded.images:,} images for the user among {total:,} rows in "
          f"{time.perf_counter() - started:.1f} s (statistics refreshed with ANALYZE)\n")

    rng = random.Random(args.seed)
    workloads = build_workloads(seeded.user_id, rng)
    results = []
    for group, name, call in workloads:
        timings = measure(call, args.n)
        results.append((group, name, timings))
        print(f"  {name:<28} p50 {common.median(timings):6.1f} ms   p95 {common.percentile(timings, 95):6.1f} ms",
              flush=True)
    rows = [(name, f"{common.median(t):.1f}", f"{common.percentile(t, 95):.1f}", f"{max(t):.1f}")
            for _, name, t in results]
    print()
    print(common.table((f"workload (service call, N={args.n})", "p50 ms", "p95 ms", "max ms"), rows))
    verdicts = []
    for group, goal in (("gallery", GALLERY_GOAL_MS), ("search", SEARCH_GOAL_MS)):
        worst = max(common.percentile(t, 95) for g, _, t in results if g == group)
        verdicts.append(worst <= goal)
        print(f"\n{group}: worst p95 {worst:.1f} ms, goal <= {goal:.0f} ms: {'MET' if worst <= goal else 'NOT MET'}")

    if args.plans:
        by_name = {name: call for _, name, call in workloads}
        for name in PLANNED:
            print(f"\n### {name}")
            for statement, plan in explain(by_name[name]):
                print(f"\n-- {statement[:400]}{' ...' if len(statement) > 400 else ''}")
                print("\n".join(plan))
    return 0 if all(verdicts) else 1


def run_on_sqlite(args: argparse.Namespace, workdir: Any) -> int:
    import os
    import sqlite3

    from sqlmodel import SQLModel

    import palett.models  # noqa: F401  (registers the tables)
    from palett.services.common.db import engine_for

    url = f"sqlite:///{workdir / 'bench.db'}"
    os.environ["DATABASE_URL"] = url
    common.reset_caches()
    SQLModel.metadata.create_all(engine_for(url))
    print(f"SQLite {sqlite3.sqlite_version} (WAL), FTS5 prompt index")
    try:
        return run(args)
    finally:
        engine_for(url).dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=10_000, help="images of the measured user (default 10000)")
    parser.add_argument("--others", type=int, default=90_000, help="rows of 50 other users (default 90000)")
    parser.add_argument("--n", type=int, default=200, help="measured calls per workload (default 200)")
    parser.add_argument("--seed", type=int, default=7, help="random seed for data and parameters")
    parser.add_argument("--no-plans", dest="plans", action="store_false", help="skip EXPLAIN ANALYZE output")
    parser.add_argument("--sqlite", action="store_true",
                        help="measure the embedded default instead (a SQLite file in a temporary folder)")
    args = parser.parse_args(argv)

    workdir = common.isolate()
    print(common.machine())
    try:
        if args.sqlite:
            status = run_on_sqlite(args, workdir)
        else:
            with common.temp_database():
                status = run(args)
    finally:
        common.cleanup(workdir)
    print(f"load average after the run {common.loadavg()}")
    return status


if __name__ == "__main__":
    sys.exit(main())
