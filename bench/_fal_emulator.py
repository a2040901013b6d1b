"""The Fal emulator (tests/fakes/fal.py) in a process of its own, so it does not share the benchmark's GIL.

Started by bench.pipeline_overhead with the port and TLS folder that `prepare_fal_env()` chose in the parent
(FAL_EMULATOR_PORT / FAL_EMULATOR_TLS_DIR are inherited). Prints `ready <port>`, serves until stdin closes.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--app", required=True)
    parser.add_argument("--queue-polls", type=int, required=True)
    parser.add_argument("--progress-polls", type=int, required=True)
    parser.add_argument("--image", help="serve this PNG as every job's output instead of the emulator's own")
    args = parser.parse_args()
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from tests.fakes.fal import shared_emulator

    emulator, _ = shared_emulator()
    result = None
    if args.image:
        data = Path(args.image).read_bytes()
        emulator._files["photo.png"] = data  # served at /files/photo.png like the emulator's own outputs
        url = f"{emulator.base_url}/files/photo.png"

        def result(inp: dict[str, Any]) -> dict[str, Any]:
            return {"images": [{"url": url, "content_type": "image/png", "file_size": len(data)}],
                    "seed": inp.get("seed"), "has_nsfw_concepts": [False], "prompt": inp.get("prompt", "")}

    # auto_complete=None: the job ends only through status polls, whatever the gap between them.
    emulator.behave(args.app, "succeed", queue_polls=args.queue_polls, progress_polls=args.progress_polls,
                    auto_complete=None, result=result)
    print(f"ready {emulator.port}", flush=True)
    sys.stdin.read()
    emulator.stop()


class EmulatorProcess:
    """Parent side: start the child, wait for `ready`, stop it by closing its stdin."""

    def __init__(self, app: str, queue_polls: int, progress_polls: int, image: Path | None = None) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench._fal_emulator", "--app", app, "--queue-polls", str(queue_polls),
             "--progress-polls", str(progress_polls), *(["--image", str(image)] if image else [])],
            cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line.startswith("ready"):
            self.stop()
            raise RuntimeError(f"Fal emulator process did not start (said {line!r})")

    def stop(self) -> None:
        if self.proc.stdin is not None and not self.proc.stdin.closed:
            self.proc.stdin.close()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.terminate()
            self.proc.wait(5)


if __name__ == "__main__":
    main()
