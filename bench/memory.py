"""Backend memory over a scripted mixed session on the local engine: RSS at idle, at peak and 60 s after.

Run: `.venv/bin/python -m bench.memory` (about 2-3 minutes). `--tracemalloc` also prints the Python
allocations still alive 60 s after the work (top 10 lines); `--env NAME=VALUE` passes a variable to the
measured process (e.g. `--env MALLOC_ARENA_MAX=2` to compare allocator settings).

The session runs in a child process, the way the app's in-process job runner runs jobs: `pipeline.submit` in
a transaction, then `await pipeline.execute(job_id)` (provider, decode, re-encode, thumbnail, storage,
credits). SQLite and local media storage in a temporary folder, no keys (the local engine), 127.0.0.1 only.
The session: 20 text-to-image jobs (local preview, 1024², 1-4 images), then 10 edits of those images: 2
background removals (U²-Net in onnxruntime), 2 upscales to 4K (4096²), 1 upscale x2, 2 styles, 2 remixes and
1 restoration; jobs run two at a time, as two open studio tabs would. The parent samples the child's RSS
(and its anonymous part) every 50 ms from /proc.

Goals (issue 15): peak ≤ 400 MB; 60 s after the work, within 100 MB of idle; idle ≤ 250 MB (the web
process; the child here imports the services, not Reflex, so its idle figure is lower than the app's).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from bench._common import ROOT, loadavg, process_tree, table

AFTER = 60.0  # seconds to wait after the work


def rss(pid: int) -> tuple[float, float]:
    """(RSS, anonymous RSS) in MB."""
    total = anon = 0.0
    for row in Path(f"/proc/{pid}/status").read_text().splitlines():
        if row.startswith("VmRSS:"):
            total = int(row.split()[1]) / 1024
        elif row.startswith("RssAnon:"):
            anon = int(row.split()[1]) / 1024
    return total, anon


# ---- the measured process --------------------------------------------------------------------------------


def child(trace: bool) -> None:
    if trace:
        import tracemalloc

        tracemalloc.start(10)
    from bench._common import isolate

    workdir = isolate()
    os.environ.pop("FAL_KEY", None)
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'palett.db'}"
    os.environ.setdefault("U2NETP_PATH", str(ROOT / "models" / "u2netp.onnx"))
    from bench._common import create_users, reset_caches

    reset_caches()
    from sqlmodel import SQLModel

    import palett.models  # noqa: F401  (registers the tables)
    from palett.services.common import allocator
    from palett.services.generation import local_ops, pipeline  # noqa: F401  (imported by the app at start)

    allocator.limit_arenas()  # as palett/palett.py does at start
    from palett.services.common.db import engine_for

    SQLModel.metadata.create_all(engine_for(os.environ["DATABASE_URL"]))
    user_id = create_users(1, "memory")[0]
    print("IDLE", flush=True)
    time.sleep(3)
    print("WORK", flush=True)
    asyncio.run(session(user_id))
    print("DONE", flush=True)
    time.sleep(AFTER)
    if trace:
        top = tracemalloc.take_snapshot().statistics("lineno")[:10]
        for stat in top:
            print(f"TRACE {stat.size / 2**20:7.1f} MiB {stat.count:7d} blocks {stat.traceback[0]}", flush=True)
    print("END", flush=True)


async def session(user_id: int) -> None:
    from sqlmodel import select

    from palett.models import GeneratedImage, User
    from palett.services.common.db import session_scope
    from palett.services.generation import pipeline
    from palett.services.generation import submit as submitting

    def submit(params: dict[str, object]) -> int:
        with session_scope() as db:
            job = submitting.write_job(db, user=db.get(User, user_id), params=params)  # type: ignore[arg-type]
            assert job.id is not None
            return job.id

    async def run_all(jobs: list[dict[str, object]]) -> None:
        queue = list(jobs)

        async def lane() -> None:  # two jobs at a time
            while queue:
                job_id = await asyncio.to_thread(submit, queue.pop(0))
                await pipeline.execute(job_id)

        await asyncio.gather(lane(), lane())

    await run_all([{"model": "local-preview", "prompt": f"a lighthouse at dawn, take {i}", "size": "square_hd",
                    "num_images": 1 + i % 4} for i in range(20)])

    def image_ids() -> list[int]:
        with session_scope() as db:
            return [i for i in db.exec(select(GeneratedImage.id).order_by(GeneratedImage.id)) if i is not None]

    ids = await asyncio.to_thread(image_ids)
    assert len(ids) >= 10, f"only {len(ids)} images were made"
    edits = [
        {"model": "local-u2netp"}, {"model": "local-lanczos", "mode": "4k"}, {"model": "local-style"},
        {"model": "local-i2i", "prompt": "in autumn colours"}, {"model": "local-lanczos", "mode": "2x"},
        {"model": "local-u2netp"}, {"model": "local-lanczos", "mode": "4k"}, {"model": "local-restore"},
        {"model": "local-style", "style": "pencil"}, {"model": "local-i2i", "prompt": "at night"},
    ]
    await run_all([{**edit, "image_id": ids[i * 3]} for i, edit in enumerate(edits)])

    def failures() -> list[str]:
        from palett.models import Job

        with session_scope() as db:
            return [f"{j.model}: {j.error}" for j in db.exec(select(Job)) if j.status != "succeeded"]

    failed = await asyncio.to_thread(failures)
    if failed:
        print("FAILED " + "; ".join(failed[:5]), flush=True)


# ---- the measuring process -------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--tracemalloc", action="store_true", help="print the top Python allocations at the end")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE")
    args = parser.parse_args()
    if args.child:
        child(args.tracemalloc)
        return
    env = {**os.environ, **dict(e.split("=", 1) for e in args.env)}
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} · {os.cpu_count()} CPUs · load average before "
          f"{loadavg()} · extra env {args.env or 'none'}", flush=True)
    cmd = [sys.executable, "-m", "bench.memory", "--child"] + (["--tracemalloc"] if args.tracemalloc else [])
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    phase, marks = "start", {}
    alive_at_end: dict[int, float] = {}
    samples: list[tuple[float, str, float, float]] = []
    child_peaks: dict[int, float] = {}  # the session process's own children
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            try:
                samples.append((time.monotonic(), phase, *rss(proc.pid)))
            except (OSError, ValueError):
                return
            for kid in process_tree(proc.pid)[1:]:
                with contextlib.suppress(OSError, ValueError):
                    child_peaks[kid] = max(child_peaks.get(kid, 0.0), rss(kid)[0])
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    assert proc.stdout
    for line in proc.stdout:
        line = line.rstrip()
        if line in ("IDLE", "WORK", "DONE", "END"):
            marks[line] = (time.monotonic(), *rss(proc.pid))
            if line == "END":
                alive_at_end = {kid: rss(kid)[0] for kid in process_tree(proc.pid)[1:]}
            phase = line.lower()
        else:
            print(line, flush=True)
    stop.set()
    proc.wait()
    if proc.returncode or "END" not in marks:
        sys.exit(f"the session failed (exit {proc.returncode})")
    idle = [s for s in samples if s[1] == "idle"]
    work = [s for s in samples if s[1] in ("work", "done")]
    idle_rss = max(s[2] for s in idle)
    peak = max(s[2] for s in work)
    peak_anon = max(s[3] for s in work)
    after, after_anon = marks["END"][1], marks["END"][2]
    print()
    print(table(["figure", "RSS MB", "anon MB", "goal", ""], [
        ["idle (services imported, before any job)", idle_rss, max(s[3] for s in idle), "", ""],
        ["peak during the session", peak, peak_anon, "≤ 400", "MET" if peak <= 400 else "NOT MET"],
        ["right after the work", marks["DONE"][1], marks["DONE"][2], "", ""],
        [f"{AFTER:.0f} s after the work", after, after_anon, f"≤ idle + 100 = {idle_rss + 100:.0f}",
         "MET" if after <= idle_rss + 100 else "NOT MET"],
    ]))
    kids = [f"pid {k} peak {v:.0f} MB, " + (f"{alive_at_end[k]:.0f} MB at the end" if k in alive_at_end else
                                            "gone at the end") for k, v in sorted(child_peaks.items())]
    verdict = "MET" if all(v <= 400 for v in child_peaks.values()) else "NOT MET"
    print(f"\nchild processes (heavy_work's pool, multiprocessing's helpers): {'; '.join(kids) or 'none'}"
          f" · goal ≤ 400 MB each: {verdict}")
    print(f"\nsession took {marks['DONE'][0] - marks['WORK'][0]:.1f} s · load average after {loadavg()}")


if __name__ == "__main__":
    main()
