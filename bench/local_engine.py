"""Time of the local preview engine (services.generation.local_ops.engine) for a 1024x1024 picture here.

One warm-up render, then each prompt once per repetition; prints min / median / max wall time. This was a
unit test that asserted nothing; a timing is a figure to compare between runs, not a test.

    .venv/bin/python -m bench.local_engine [--reps 3]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from palett.services.generation.local_ops import engine as local_engine  # noqa: E402

PROMPTS = ["a sunset over the ocean", "snowy mountains", "neon aurora", "a cat"]
SIDE = 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    load_avg = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"local_engine at {SIDE}x{SIDE}; {os.cpu_count()} CPUs ({platform.processor() or platform.machine()}), "
          f"load average {load_avg:.2f}")
    local_engine.render("warm-up", 0, 256, 256)
    timings = []
    for _ in range(args.reps):
        for seed, prompt in enumerate(PROMPTS):
            start = time.perf_counter()
            local_engine.render(prompt, seed, SIDE, SIDE)
            timings.append(time.perf_counter() - start)
    ms = sorted(t * 1000 for t in timings)
    print(f"{len(ms)} renders: min {ms[0]:.0f} ms, median {statistics.median(ms):.0f} ms, max {ms[-1]:.0f} ms")


if __name__ == "__main__":
    main()
