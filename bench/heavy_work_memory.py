"""Peak RSS of each heavy-work operation alone, in a fresh process set up like heavy_work's child.

Run: `.venv/bin/python -m bench.heavy_work_memory` (about a minute). For each operation a new process imports
what the heavy-work child imports (providers.local), runs the child's setup, renders a 1024² local-preview
picture (the memory session's edits start from those) and then runs the edit as the child does (`edit_png`:
decode, the operation, PNG encode), timing it and reading its peak RSS (VmHWM, reset just before the edit).
The goal (issue 15) is ≤ 400 MB per process at its peak.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from bench._common import ROOT, loadavg, table

OPERATIONS = {  # label: (operation key, its parameters)
    "cut-out (U²-Net)": ("bg_remove", {"model": "local-u2netp"}),
    "background colour (U²-Net + composite)": ("bg_replace", {"model": "local-replace", "color": "#20a0c0"}),
    "upscale to 4K (4096²)": ("upscale", {"model": "local-lanczos", "mode": "4k"}),
    "upscale 2x": ("upscale", {"model": "local-lanczos", "mode": "2x"}),
    "style (watercolor)": ("style", {"model": "local-style"}),
    "restore": ("restore", {"model": "local-restore"}),
}
SIDE = 1024


def _status_mb(key: str) -> float:
    with open("/proc/self/status") as status:
        row = next(r for r in status if r.startswith(key))
    return int(row.split()[1]) / 1024


def child(label: str) -> None:
    os.environ.setdefault("U2NETP_PATH", str(ROOT / "models" / "u2netp.onnx"))
    from palett.services.generation import operations
    from palett.services.generation.local_ops import heavy_work
    from palett.services.generation.providers.local import edit_png, render_png

    heavy_work._child_setup()
    key, extra = OPERATIONS[label]
    op = operations.get(key)
    assert op is not None and op.run_local is not None
    source = render_png("a lighthouse at dawn, take 3", 3, SIDE, SIDE)
    params = op.input_model.model_validate({"image_id": 1, "image_key": "source", "source_width": SIDE,
                                            "source_height": SIDE, **extra})
    heavy_work.allocator.give_back()
    ready = _status_mb("VmRSS:")
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")  # resets VmHWM, the peak RSS
    started = time.perf_counter()
    out = edit_png(op.run_local, params, {"source": source}, 40_000_000)
    took = time.perf_counter() - started
    print(json.dumps({"ready": ready, "peak": _status_mb("VmHWM:"), "seconds": took, "png_mb": len(out) / 2**20}))


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        child(sys.argv[2])
        return
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} · {os.cpu_count()} CPUs · load average before "
          f"{loadavg()}", flush=True)
    rows = []
    for label in OPERATIONS:
        done = subprocess.run([sys.executable, "-m", "bench.heavy_work_memory", "--child", label], cwd=ROOT,
                              check=True, capture_output=True, text=True)
        got = json.loads(done.stdout.strip().splitlines()[-1])
        rows.append([label, got["ready"], got["peak"], got["peak"] - got["ready"], f"{got['seconds']:.2f}",
                     "MET" if got["peak"] <= 400 else "NOT MET"])
        print(f"  {label}: peak {got['peak']:.0f} MB", flush=True)
    print()
    print(table(["operation (1024² source)", "RSS before MB", "peak MB", "peak - before", "seconds", "≤ 400 MB"],
                rows))
    print(f"\nload average after {loadavg()}")


if __name__ == "__main__":
    main()
