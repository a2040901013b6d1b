"""What the studio's on_load (StudioState.load_studio) costs on the server: time, SQL statements, and where it goes.

A signed-in user with 8 finished jobs of 4 images each (the studio lists the newest 8) on a throwaway loopback
PostgreSQL database. Each round builds a fresh state tree (a new tab), runs the hydrate-time session check the
SessionBinding middleware does, then load_studio, then computes the delta Reflex sends back; median of the rounds.
`--profile` prints the top cProfile entries of one more round.

    .venv/bin/python -m bench.load_studio [--rounds 30] [--profile]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats
import threading
import time

from bench import _common as common


def seed_jobs(user_id: int, jobs: int = 8, images: int = 4) -> str:
    """The user's session hash and `jobs` succeeded text-to-image jobs with their images."""
    from palett.models import GeneratedImage, JobStatus, User
    from palett.services.accounts import sessions
    from palett.services.accounts.security import token_hash
    from palett.services.common.db import session_scope
    from palett.services.generation import submit

    with session_scope() as db:
        user = db.get(User, user_id)
        assert user is not None
        token = sessions.create(db, user_id)
        for n in range(jobs):
            job = submit.write_job(db, user=user, params={"model": "local-preview", "prompt": f"a harbour {n}",
                                                          "size": "square", "num_images": images})
            job.status = JobStatus.succeeded
            for i in range(images):
                db.add(GeneratedImage(user_id=user_id, job_id=job.id, prompt=job.params["prompt"],
                                      model="local-preview", image_url=f"u/{user_id}/{job.id}-{i}.png",
                                      thumbnail_url=f"u/{user_id}/{job.id}-{i}.webp", width=1024, height=1024,
                                      seed=1000 + i))
    return token_hash(token)


async def one_round(hashed: str) -> tuple[float, float, int]:
    """(load_studio ms including the hydrate-time session check, delta ms, delta JSON bytes) for a fresh tab."""
    from reflex.state import State
    from reflex.utils import format

    from palett.state.session import SessionState
    from palett.state.studio import StudioState

    root = State(_reflex_internal_init=True)
    studio = root.get_substate(StudioState.get_full_name().split(".")[1:])
    session = root.get_substate(SessionState.get_full_name().split(".")[1:])
    start = time.perf_counter()
    await session.current_user()  # what SessionBinding does before the hydrate snapshot
    await StudioState.load_studio.fn(studio)
    loaded = time.perf_counter()
    delta = await root._get_resolved_delta()
    return (loaded - start) * 1000, (time.perf_counter() - loaded) * 1000, len(format.json_dumps(delta))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    workdir = common.isolate()
    try:
        with common.temp_database():
            from sqlalchemy import event

            from palett.services.common.db import get_engine
            from palett.state import session as session_module

            [user_id] = common.create_users(1, "load-studio")
            hashed = seed_jobs(user_id)

            async def lookup(self):  # type: ignore[no-untyped-def]  # the cookie this tab's websocket would carry
                return await asyncio.to_thread(session_module._lookup, hashed)

            session_module.SessionState._lookup_session = lookup  # type: ignore[method-assign]
            statements = {"n": 0}
            counting = threading.Event()

            def count(*_args: object) -> None:
                if counting.is_set():
                    statements["n"] += 1

            event.listen(get_engine(), "before_cursor_execute", count)

            async def measure() -> list[tuple[float, float, int]]:  # one event loop, as in the app
                await one_round(hashed)  # warm-up: imports, engine, catalog, worker threads
                counting.set()
                await one_round(hashed)
                counting.clear()
                return [await one_round(hashed) for _ in range(args.rounds)]

            rounds = asyncio.run(measure())
            print(f"{common.machine()}; 8 jobs x 4 images; {args.rounds} rounds")
            print(common.table(("measure", "median"), [
                ("session check + load_studio ms", round(common.median([r[0] for r in rounds]), 2)),
                ("delta ms", round(common.median([r[1] for r in rounds]), 2)),
                ("delta JSON bytes", rounds[-1][2]),
                ("SQL statements", statements["n"]),
            ]))
            if args.profile:
                async def inline(fn, /, *a, **kw):  # type: ignore[no-untyped-def]  # so cProfile sees the DB work
                    return fn(*a, **kw)

                asyncio.to_thread = inline  # type: ignore[assignment]
                profiler = cProfile.Profile()
                profiler.enable()
                asyncio.run(one_round(hashed))
                profiler.disable()
                out = io.StringIO()
                pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(45)
                print(out.getvalue())
    finally:
        common.cleanup(workdir)


if __name__ == "__main__":
    main()
