"""End-to-end time of a Fal job through our pipeline vs fal_client used directly, same emulator, same run.

pipeline: submit.write_job in its own transaction (in a thread, as the studio does) + pipeline.execute
          (FalProvider: submit, poll, result; then download, re-encode, thumbnail, image rows, capture).
direct:   fal_client.AsyncClient submit → handle.status(with_logs=True) every poll interval → client.result()
          → download the image with httpx. Nothing is stored.

Both sides use the same endpoint input (the catalog adapter's output), a new fal_client.AsyncClient and a
new httpx client per job (as FalProvider and fetch_bytes do), and sleep RunContext.poll_interval between
status polls. The emulator (its own process) completes a job on a fixed status poll and never on a timer.
Jobs alternate pipeline/direct (the order flips every pair). Goal: pipeline median ≤ 1.10 x direct median.

    .venv/bin/python -m bench.pipeline_overhead [--n 30] [--profile] [--no-redis]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import _common as common

ENDPOINT = "fal-ai/flux/dev"
MODEL = "flux-dev"
GOAL = 1.10


@dataclass
class Sample:
    side: str
    total: float
    cpu: float
    phases: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)


class Phases:
    """Wall time per named phase of the job being run (jobs run one at a time)."""

    def __init__(self) -> None:
        self.current: Sample | None = None
        self.profile = False  # run thread work under cProfile (profiling pass only)
        self.profiles: list[cProfile.Profile] = []
        self.arguments: dict[str, Any] | None = None  # what the pipeline last sent Fal (the direct side reuses it)
        self._lock = threading.Lock()

    def add(self, name: str, seconds: float) -> None:
        if self.current is not None:
            self.current.phases[name] = self.current.phases.get(name, 0.0) + seconds
            self.current.counts[name] = self.current.counts.get(name, 0) + 1

    def wrap_thread_func(self, func: Callable[..., Any]) -> Callable[..., Any]:
        if not self.profile:
            return func

        def profiled(*args: Any, **kwargs: Any) -> Any:
            prof = cProfile.Profile()
            prof.enable()
            try:
                return func(*args, **kwargs)
            finally:
                prof.disable()
                with self._lock:
                    self.profiles.append(prof)

        return profiled


class TimedAsyncio:
    """Stands in for the `asyncio` module inside palett.services.generation.pipeline: times every to_thread hop."""

    def __init__(self, phases: Phases) -> None:
        self._phases = phases

    def __getattr__(self, name: str) -> Any:
        return getattr(asyncio, name)

    async def to_thread(self, func: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return await asyncio.to_thread(self._phases.wrap_thread_func(func), *args, **kwargs)
        finally:
            self._phases.add(getattr(func, "__name__", "?"), time.perf_counter() - start)


def instrument(phases: Phases) -> None:
    """Wall-clock timers around the pipeline's steps (a few µs per call; app code is not changed)."""
    from palett.services.generation import pipeline

    real_get_provider, real_fetch = pipeline.get_provider, pipeline.fetch_bytes

    class TimedProvider:
        def __init__(self, inner: Any) -> None:
            self.inner = inner

        async def run(self, ctx: Any) -> Any:
            phases.arguments = dict(ctx.arguments)
            start = time.perf_counter()
            try:
                return await self.inner.run(ctx)
            finally:
                phases.add("provider.run", time.perf_counter() - start)

        async def cancel(self, endpoint: str, request_id: str) -> None:
            await self.inner.cancel(endpoint, request_id)

    async def timed_fetch(url: str, **kwargs: Any) -> bytes:
        start = time.perf_counter()
        try:
            return await real_fetch(url, **kwargs)
        finally:
            phases.add("fetch_bytes", time.perf_counter() - start)

    pipeline.asyncio = TimedAsyncio(phases)  # type: ignore[attr-defined]
    pipeline.get_provider = lambda name: TimedProvider(real_get_provider(name))  # type: ignore[assignment]
    pipeline.fetch_bytes = timed_fetch  # type: ignore[assignment]


async def pipeline_job(user_id: int, params: dict[str, Any], phases: Phases) -> Sample:
    from palett.models import Job, User
    from palett.services.common.db import session_scope
    from palett.services.generation import pipeline
    from palett.services.generation.submit import write_job

    def submit() -> int:
        with session_scope() as db:
            job = write_job(db, user=db.get(User, user_id), params=params)  # type: ignore[arg-type]
            assert job.id is not None
            return job.id

    sample = phases.current = Sample("pipeline", 0.0, 0.0)
    cpu, start = time.process_time(), time.perf_counter()
    job_id = await asyncio.to_thread(phases.wrap_thread_func(submit))
    phases.add("submit", time.perf_counter() - start)
    await pipeline.execute(job_id)
    sample.total, sample.cpu = time.perf_counter() - start, time.process_time() - cpu
    phases.current = None

    def check() -> None:
        with session_scope() as db:
            job = db.get(Job, job_id)
            assert job is not None and job.status == "succeeded", (job.status, job.error) if job else job_id

    await asyncio.to_thread(check)
    return sample


async def direct_job(arguments: dict[str, Any], key: str, poll: float) -> Sample:
    import fal_client
    import httpx
    from fal_client.client import Completed

    sample = Sample("direct", 0.0, 0.0)
    cpu, start = time.process_time(), time.perf_counter()
    client = fal_client.AsyncClient(key=key)
    handle = await client.submit(ENDPOINT, arguments)
    polls = 0
    while True:
        status = await handle.status(with_logs=True)
        polls += 1
        if isinstance(status, Completed):
            break
        await asyncio.sleep(poll)
    result = await client.result(ENDPOINT, handle.request_id)
    fetched = time.perf_counter()
    async with httpx.AsyncClient(timeout=60, follow_redirects=False) as http:
        response = await http.get(result["images"][0]["url"])
        response.raise_for_status()
        assert response.content[:4] == b"\x89PNG"
    end = time.perf_counter()
    sample.total, sample.cpu = end - start, time.process_time() - cpu
    sample.phases = {"fal": fetched - start - (polls - 1) * poll, "sleep": (polls - 1) * poll,
                     "download": end - fetched}
    sample.counts = {"polls": polls}
    return sample


def breakdown(pipe: list[Sample], direct: list[Sample], poll: float) -> list[tuple[str, float, float]]:
    """Mean ms per job and phase, pipeline vs direct; the rows add up to the mean total."""

    def mean(samples: list[Sample], get: Callable[[Sample], float]) -> float:
        return 1000 * sum(get(s) for s in samples) / len(samples)

    def ph(name: str) -> Callable[[Sample], float]:
        return lambda s: s.phases.get(name, 0.0)

    def sleeps(s: Sample) -> float:
        return (s.counts.get("_is_over", 1) - 1) * poll

    def fal(s: Sample) -> float:
        return s.phases.get("provider.run", 0.0) - s.phases.get("_is_over", 0.0) - s.phases.get("_report", 0.0) \
            - sleeps(s)

    rows = [
        ("submit transaction: validate, rate limit, job row, reserve (thread)", mean(pipe, ph("submit")), 0.0),
        ("_start: claim the job (thread)", mean(pipe, ph("_start")), 0.0),
        ("Fal submit + status polls + result (fal_client HTTPS)", mean(pipe, fal), mean(direct, ph("fal"))),
        (f"sleeps between polls (nominal, n x {poll:.2f} s)", mean(pipe, sleeps), mean(direct, ph("sleep"))),
        ("per poll: _is_over, job status read (thread)", mean(pipe, ph("_is_over")), 0.0),
        ("per poll: _report, progress/log write (thread)", mean(pipe, ph("_report")), 0.0),
        ("_load: job row again (thread)", mean(pipe, ph("_load")), 0.0),
        ("download the image (fetch_bytes / httpx)", mean(pipe, ph("fetch_bytes")), mean(direct, ph("download"))),
        ("_store: decode, PNG re-encode, WebP thumbnail, 2 writes (thread)", mean(pipe, ph("_store")), 0.0),
        ("_record: capture, image + usage rows (thread)", mean(pipe, ph("_record")), 0.0),
    ]
    total_p, total_d = mean(pipe, lambda s: s.total), mean(direct, lambda s: s.total)
    rows.append(("rest: event loop, execute/complete glue", total_p - sum(r[1] for r in rows),
                 total_d - sum(r[2] for r in rows)))
    rows.append(("total (mean)", total_p, total_d))
    return rows


def top_functions(stats: pstats.Stats, limit: int) -> list[tuple[str, int, float, float]]:
    """(function, calls, own ms, cumulative ms) by own time, without the event loop's idle wait."""
    rows = []
    for (filename, line, name), (_cc, calls, own, cum, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        if "epoll" in name or name == "<method 'acquire' of '_thread.lock' objects>":
            continue
        short = filename.split("site-packages/")[-1].replace(str(common.ROOT) + "/", "")
        where = f"{short}:{line}({name})" if line else name
        rows.append((where[-90:], calls, 1000 * own, 1000 * cum))
    return sorted(rows, key=lambda r: -r[2])[:limit]


async def profile_pass(user_id: int, params: dict[str, Any], phases: Phases, jobs: int) -> None:
    phases.profile = True
    loop_prof = cProfile.Profile()
    loop_prof.enable()
    for _ in range(jobs):
        await pipeline_job(user_id, params, phases)
    loop_prof.disable()
    phases.profile = False
    print(f"\nProfile of {jobs} pipeline jobs (cProfile; per-job ms; event-loop idle wait left out).")
    print("Event-loop thread (fal_client, httpx, asyncio, pipeline glue), top by own time:")
    rows = top_functions(pstats.Stats(loop_prof), 12)
    print(common.table(["function", "calls/job", "own ms/job", "cum ms/job"],
                       [(f, c // jobs, o / jobs, cu / jobs) for f, c, o, cu in rows]))
    print("Worker threads (submit, _start, _report, _is_over, _load, _store, _record), top by own time:")
    rows = top_functions(pstats.Stats(*phases.profiles), 15)  # type: ignore[arg-type]
    print(common.table(["function", "calls/job", "own ms/job", "cum ms/job"],
                       [(f, c // jobs, o / jobs, cu / jobs) for f, c, o, cu in rows]))


async def run(args: argparse.Namespace) -> float:
    from palett.services.generation import catalog
    from palett.services.generation.providers import RunContext
    from palett.settings import get_settings

    poll = RunContext.__dataclass_fields__["poll_interval"].default
    assert isinstance(poll, float)
    spec = catalog.get(MODEL)
    params = {"model": MODEL, "prompt": "a lighthouse on a cliff at dusk, volumetric light", "size": args.size,
              "num_images": 1, "seed": 1234}
    (user_id,) = await asyncio.to_thread(common.create_users, 1, "fal")
    key = get_settings().fal_key
    phases = Phases()
    instrument(phases)

    await pipeline_job(user_id, params, phases)
    # The direct side sends exactly the arguments the pipeline handed FalProvider (a fixed seed: same every job).
    arguments = phases.arguments
    assert arguments is not None and arguments.get("seed") == params["seed"], arguments
    await direct_job(arguments, key, poll)
    for _ in range(args.warmup - 1):  # imports, TLS contexts, pool connections, Pillow plugins
        await pipeline_job(user_id, params, phases)
        await direct_job(arguments, key, poll)

    samples: dict[str, list[Sample]] = defaultdict(list)
    runners: dict[str, Callable[[], Awaitable[Sample]]] = {
        "pipeline": lambda: pipeline_job(user_id, params, phases),
        "direct": lambda: direct_job(arguments, key, poll),
    }
    started = time.monotonic()
    for i in range(args.n):
        for side in (("pipeline", "direct") if i % 2 == 0 else ("direct", "pipeline")):
            samples[side].append(await runners[side]())
    elapsed = time.monotonic() - started

    polls = samples["direct"][0].counts["polls"]
    width, height = catalog.pixel_size(args.size)
    image = "photographic PNG (astronaut.png scaled)" if args.photo else "the emulator's flat two-colour PNG"
    print(f"\nFal job end to end: {spec.label} ({ENDPOINT}), {width}x{height}, 1 image: {image};\nthe emulator "
          f"(own process) completes a job on status poll {polls} (queue_polls={args.queue_polls}, "
          f"progress_polls={args.progress_polls}).")
    print(f"Both sides poll status every {poll:.2f} s (RunContext.poll_interval) with logs, fetch the result with "
          "AsyncClient.result() and download the PNG over HTTPS;\nonly the pipeline stores it. "
          f"{args.n} jobs per side, interleaved, after {args.warmup} warm-up job(s) each; "
          f"rate limits in {'Redis' if args.redis else 'memory'}; {elapsed:.0f} s.")
    rows = []
    stats: dict[str, dict[str, float]] = {}
    for side in ("direct", "pipeline"):
        totals = [1000 * s.total for s in samples[side]]
        cpus = [1000 * s.cpu for s in samples[side]]
        stats[side] = {"p50": common.median(totals), "p95": common.percentile(totals, 95)}
        rows.append((side, len(totals), stats[side]["p50"], stats[side]["p95"], min(totals), max(totals),
                     common.median(cpus)))
    print(common.table(["side", "n", "median ms", "p95 ms", "min ms", "max ms", "CPU ms/job (median)"], rows))
    ratio = stats["pipeline"]["p50"] / stats["direct"]["p50"]
    ratio95 = stats["pipeline"]["p95"] / stats["direct"]["p95"]
    extra = stats["pipeline"]["p50"] - stats["direct"]["p50"]
    verdict = "MET" if ratio <= GOAL else "NOT MET"
    print(f"\noverhead: median {ratio:.3f}x (+{extra:.0f} ms/job), p95 {ratio95:.3f}x; "
          f"goal median ≤ {GOAL:.2f}x: {verdict}")

    print("\nWhere the time goes (mean ms per job; timers around the pipeline's steps, a few µs each):")
    print(common.table(["phase", "pipeline", "direct", "extra"],
                       [(name, p, d, p - d) for name, p, d in breakdown(samples["pipeline"], samples["direct"],
                                                                         poll)]))
    if args.profile or ratio > GOAL:
        await profile_pass(user_id, params, phases, args.profile_jobs)
    await asyncio.to_thread(common.clear_rate_limits, [user_id])
    return ratio


def photo_png(workdir: Path, size: str) -> Path:
    from PIL import Image

    from palett.services.generation.catalog import pixel_size

    path = workdir / "photo.png"
    with Image.open(common.ROOT / "tests" / "fixtures" / "astronaut.png") as src:
        src.convert("RGB").resize(pixel_size(size), Image.Resampling.LANCZOS).save(path, "PNG")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=30, help="jobs per side (default 30)")
    parser.add_argument("--warmup", type=int, default=2, help="uncounted jobs per side first (default 2)")
    parser.add_argument("--size", default="square_hd", help="FLUX dev image_size (default square_hd, 1024x1024)")
    parser.add_argument("--queue-polls", type=int, default=1, help="emulator: polls answered IN_QUEUE (default 1)")
    parser.add_argument("--progress-polls", type=int, default=1,
                        help="emulator: then polls answered IN_PROGRESS (default 1)")
    parser.add_argument("--photo", action="store_true",
                        help="the emulator serves a photographic PNG (tests/fixtures/astronaut.png scaled to the "
                             "requested size, ~1.3 MB) instead of its flat two-colour one")
    parser.add_argument("--profile", action="store_true", help="profile even when the goal is met")
    parser.add_argument("--profile-jobs", type=int, default=5, help="pipeline jobs in the profiling pass")
    parser.add_argument("--no-redis", dest="redis", action="store_false",
                        help=f"in-memory rate limits instead of Redis at {common.REDIS_URL}")
    args = parser.parse_args(argv)

    workdir = common.isolate(redis_url=common.REDIS_URL if args.redis else None)
    from bench._fal_emulator import EmulatorProcess

    print(common.machine())
    photo = photo_png(workdir, args.size) if args.photo else None
    emulator = EmulatorProcess(ENDPOINT, args.queue_polls, args.progress_polls, photo)
    try:
        with common.temp_database():
            asyncio.run(run(args))
    finally:
        emulator.stop()
        common.cleanup(workdir)
    print(f"load average after the run {common.loadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
