"""A local render that never ends, for tests of stopping hung work (never imported by the app).

`worker_with_hung_renders` runs a job worker whose local text-to-image renders hang, with a short
shutdown grace so a test of the graceful stop takes seconds:

    python -m tests.fakes.hanging GRACE_SECONDS
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path


def hang(*_: object) -> bytes:
    """Runs in the heavy-work process: says it started (for the test to wait on), then never returns."""
    started = os.environ.get("PALETT_TEST_HANG_MARK")
    if started:
        Path(started + ".tmp").write_text(str(os.getpid()))
        os.replace(started + ".tmp", started)  # whole or absent for a reader
    while True:
        time.sleep(1)


def main() -> None:
    from palett import worker
    from palett.services.generation import procrastinate_queue
    from palett.services.generation.providers import local

    local.render_output = hang  # type: ignore[assignment]
    procrastinate_queue.SHUTDOWN_GRACE_SECONDS = float(sys.argv[1])
    worker.main()


if __name__ == "__main__":
    main()
