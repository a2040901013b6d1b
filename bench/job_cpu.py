"""CPU per local text-to-image job, per process: the job runner, its heavy-work child, the watching web tab.

Each side runs in its own process: N local-preview jobs (Square HD 1024², one image each) one after the
other through `submit.write_job` + `pipeline.execute` on a throwaway PostgreSQL database (as on the cluster
layout; media in a local folder), then:

- runner: CPU of this process (every thread) over the N jobs (rusage), per job;
- heavy-work: CPU of the heavy-work processes started for those jobs, spawn and imports included (the pool
  is closed at the end so every child is reaped and counted), per job;
- web (estimate): what one studio tab's watcher spends per job. A watcher runs the tab's watch loop in this
  process while the jobs run and counts its card reads (each one is a state update sent to the tab) and the
  distinct thumbnail URLs it was given (each one a fetch by the browser); the figure is reads per job times the
  CPU of one `load_cards` (8 recent jobs with their images; Reflex's own delta and Redis write not counted).
  Its reads run in this process too, so they are also inside the runner's figure (a few ms).

`--baseline REF` runs the same measurement on `git archive REF palett` too, alternating sides, so before and
after come from one run on the same (shared, loaded) host. `--profile` samples each side with py-spy
(all threads and the heavy-work child) and prints the top functions.

    .venv/bin/python -m bench.job_cpu [--n 50] [--rounds 2] [--baseline main] [--profile]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CARD_READS = 20


def cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def side(n: int) -> dict[str, float]:
    """The measured process: N jobs, then the figures as one JSON line."""
    code = os.environ.get("JOB_CPU_CODE")
    if code:  # the baseline's palett package ahead of this tree's (before anything imports palett)
        sys.path.insert(0, code)
    from bench._common import create_users, isolate, temp_database

    isolate()
    os.environ.pop("FAL_KEY", None)
    with temp_database():
        return asyncio.run(_jobs(create_users(1, "jobcpu")[0], n))


async def _jobs(user_id: int, n: int) -> dict[str, float]:
    from palett.models import User
    from palett.services.common.db import session_scope
    from palett.services.generation import job_events, pipeline
    from palett.services.generation.local_ops import heavy_work
    from palett.services.generation.submit import write_job
    from palett.state.jobs import SAFETY_POLL_SECONDS, load_cards

    reads = 0
    thumbs: set[str] = set()

    def read() -> None:
        nonlocal reads
        cards, _ = load_cards(user_id, None, False)
        reads += 1
        thumbs.update(image["thumb"] for card in cards for image in card["images"])

    async def watcher() -> None:
        """The studio tab's watch loop: this tree's job_events.changes(), or the baseline's loop."""
        if hasattr(job_events, "changes"):
            async for _ in job_events.changes(user_id, timeout=SAFETY_POLL_SECONDS):
                await asyncio.to_thread(read)
        while True:
            seen = job_events.version(user_id)
            await asyncio.to_thread(read)
            await job_events.wait(user_id, seen=seen, timeout=SAFETY_POLL_SECONDS)

    def write() -> int:
        with session_scope() as db:
            job = write_job(db, user=db.get(User, user_id),  # type: ignore[arg-type]
                            params={"model": "local-preview", "prompt": "a lighthouse at dawn", "size": "square_hd"})
            assert job.id is not None
            return job.id

    async def one() -> None:
        await pipeline.execute(await asyncio.to_thread(write))

    await one()  # warm-up: connections, imports, caches; its heavy-work child is closed before measuring
    heavy_work.pool.close()
    watching = asyncio.create_task(watcher())
    await asyncio.sleep(1)  # listening
    reads = 0
    thumbs.clear()
    self0, kids0, wall0 = cpu(resource.RUSAGE_SELF), cpu(resource.RUSAGE_CHILDREN), time.monotonic()
    for _ in range(n):
        await one()
    heavy_work.pool.close()  # reaps the child: its CPU is counted in RUSAGE_CHILDREN
    runner, heavy, wall = (cpu(resource.RUSAGE_SELF) - self0, cpu(resource.RUSAGE_CHILDREN) - kids0,
                           time.monotonic() - wall0)
    await asyncio.sleep(1)  # the last job's end
    watching.cancel()
    watched, urls = reads, len(thumbs)
    start = cpu(resource.RUSAGE_SELF)
    for _ in range(CARD_READS):
        read()
    card_read = (cpu(resource.RUSAGE_SELF) - start) / CARD_READS
    import palett

    assert Path(palett.__file__).is_relative_to(os.environ.get("JOB_CPU_CODE") or ROOT), palett.__file__
    return {"runner_ms": 1000 * runner / n, "heavy_ms": 1000 * heavy / n, "wall_ms": 1000 * wall / n,
            "reads": watched / n, "thumb_urls": urls / n, "card_read_ms": 1000 * card_read,
            "web_ms": 1000 * card_read * watched / n}


def _run_side(code: Path | None, n: int, profile: Path | None) -> dict[str, float]:
    env = dict(os.environ)
    env.pop("JOB_CPU_CODE", None)
    if code is not None:
        env["JOB_CPU_CODE"] = str(code)
    command = [sys.executable, "-m", "bench.job_cpu", "--side", "--n", str(n)]
    if profile is not None:
        command = [str(ROOT / ".venv" / "bin" / "py-spy"), "record", "--subprocesses", "-r", "200",
                   "-f", "raw", "-o", str(profile), "--", *command]
    out = subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout
    return dict(json.loads([line for line in out.splitlines() if line.startswith("{")][-1]))


def _top(profile: Path, count: int = 12) -> dict[str, list[tuple[str, float]]]:
    """Per process (runner / heavy-work child): functions by samples that include them, as a share of that
    process's busy samples, palett's own functions and the libraries they call."""
    inclusive: dict[str, dict[str, int]] = {}
    busy: dict[str, int] = {}
    for line in profile.read_text().splitlines():
        stack, _, samples = line.rpartition(" ")
        frames = stack.split(";")
        # A child's stack starts with its parent's "process N:<command>" frame, then its own.
        who = "heavy-work child" if "spawn_main" in "".join(frames[1:2]) else "runner"
        busy[who] = busy.get(who, 0) + int(samples)
        seen = inclusive.setdefault(who, {})
        for frame in set(frames[1:]):
            if "palett/" in frame or "PIL/" in frame or "sqlalchemy/orm/session" in frame:
                seen[frame] = seen.get(frame, 0) + int(samples)
    return {who: [(name, 100 * s / busy[who]) for name, s in sorted(funcs.items(), key=lambda kv: -kv[1])[:count]]
            for who, funcs in inclusive.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50, help="jobs per side and round")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--baseline", help="a git ref to measure too (its palett package)")
    parser.add_argument("--profile", action="store_true", help="sample each side once with py-spy")
    parser.add_argument("--side", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.side:
        print(json.dumps(side(args.n)), flush=True)
        return
    from bench._common import loadavg, table

    sides: dict[str, Path | None] = {"this tree": None}
    tmp = Path(tempfile.mkdtemp(prefix="palett-jobcpu-"))
    try:
        if args.baseline:
            archive = subprocess.run(["git", "archive", args.baseline, "palett"], cwd=ROOT, check=True,
                                     capture_output=True).stdout
            subprocess.run(["tar", "-x", "-C", str(tmp)], input=archive, check=True)
            sides = {args.baseline: tmp, **sides}
        print(f"{args.n} local t2i jobs (1024²) per side and round, PostgreSQL; load average {loadavg()}")
        results: dict[str, list[dict[str, float]]] = {name: [] for name in sides}
        for r in range(args.rounds):
            for name, code in (sides.items() if r % 2 == 0 else reversed(sides.items())):
                results[name].append(_run_side(code, args.n, None))
        keys = [] if not args.rounds else ["runner_ms", "heavy_ms", "web_ms", "reads", "thumb_urls", "card_read_ms",
                                       "wall_ms"]
        rows = [[name, *(f"{statistics.median(x[k] for x in res):.1f}" for k in keys)] for name, res in results.items()]
        if keys:
            print(table(["code", "runner ms CPU/job", "heavy-work ms CPU/job", "web ms CPU/job (est.)",
                         "card reads/job", "thumbnail URLs/job", "ms CPU per card read", "wall ms/job"], rows))
        print(f"load average after: {loadavg()}")
        if args.profile:
            for name, code in sides.items():
                raw = tmp / f"profile-{len(name)}.txt"
                _run_side(code, args.n, raw)
                for who, funcs in _top(raw).items():
                    print(f"\npy-spy, {name}, {who}: % of its busy samples inside")
                    for func, share in funcs:
                        print(f"{share:5.1f}%  {func}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
