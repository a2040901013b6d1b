"""DB queries one open tab costs per minute while one of its jobs runs: polling every 0.5 s (before) against
waiting for job change notifications (after, services.generation.job_events with PostgreSQL LISTEN/NOTIFY).

A simulated provider reports progress on one job every `--report-every` seconds for `--seconds` seconds while a
watcher runs the studio's watch loop (state/jobs.py: read the user's job cards, then wait); every SQL statement
the watcher sends is counted. Loopback PostgreSQL only.

    .venv/bin/python -m bench.job_watch [--seconds 30] [--report-every 2]
"""

from __future__ import annotations

import argparse
import asyncio
import threading
import time

from bench import _common as common


async def watch(user_id: int, seconds: float, notified: bool, counter: threading.local) -> int:
    """The watch loop; returns how many statements this task sent."""
    from palett.services.generation import job_events
    from palett.state.jobs import SAFETY_POLL_SECONDS, load_cards

    counter.active = True
    deadline = time.monotonic() + seconds
    loads = 0
    while time.monotonic() < deadline:
        seen = job_events.version(user_id)
        await asyncio.to_thread(_counted_load, load_cards, user_id, counter)
        loads += 1
        if notified:
            await job_events.wait(user_id, seen=seen, timeout=min(SAFETY_POLL_SECONDS, deadline - time.monotonic()))
        else:
            await asyncio.sleep(0.5)
    return loads


def _counted_load(load_cards, user_id: int, counter: threading.local) -> None:  # type: ignore[no-untyped-def]
    counter.mine = True
    try:
        load_cards(user_id, None, False)
    finally:
        counter.mine = False


async def provider(job_id: int, seconds: float, every: float) -> None:
    from palett.services.generation import pipeline

    deadline = time.monotonic() + seconds
    step = 0
    while time.monotonic() < deadline:
        await asyncio.sleep(every)
        step += 1
        await asyncio.to_thread(pipeline._report, job_id, progress=min(0.95, step * every / seconds),
                                logs=[f"step {step}"])


def run(seconds: float, every: float, notified: bool) -> tuple[int, int]:
    from sqlalchemy import event

    from palett.models import User
    from palett.services.common.db import get_engine, session_scope
    from palett.services.generation import submit

    [user_id] = common.create_users(1, f"watch-{'notify' if notified else 'poll'}")
    with session_scope() as db:
        job = submit.write_job(db, user=db.get(User, user_id), params={  # type: ignore[arg-type]
            "model": "local-preview", "prompt": "a harbour", "size": "square"})
        job_id = job.id or 0
    counter = threading.local()
    statements = {"n": 0}

    def count(*_args: object) -> None:
        if getattr(counter, "mine", False):
            statements["n"] += 1

    event.listen(get_engine(), "before_cursor_execute", count)
    try:
        async def both() -> int:
            loads, _ = await asyncio.gather(watch(user_id, seconds, notified, counter),
                                            provider(job_id, seconds, every))
            return loads

        loads = asyncio.run(both())
    finally:
        event.remove(get_engine(), "before_cursor_execute", count)
    return loads, statements["n"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--report-every", type=float, default=2)
    args = parser.parse_args()
    workdir = common.isolate(env={"RATE_LIMIT_FREE": common.RATE_LIMIT})
    try:
        with common.temp_database():
            rows = []
            for notified in (False, True):
                loads, statements = run(args.seconds, args.report_every, notified)
                per_minute = 60 / args.seconds
                rows.append(("notifications" if notified else "polling 0.5 s", loads, round(loads * per_minute),
                             round(statements * per_minute)))
        print(f"{common.machine()}; a job reporting progress every {args.report_every:g} s for {args.seconds:g} s")
        print(common.table(("watcher", "reads", "reads / min", "DB statements / min"), rows))
        print(f"ratio (notifications / polling): {rows[1][3] / max(1, rows[0][3]):.2f}")
    finally:
        common.cleanup(workdir)


if __name__ == "__main__":
    main()
