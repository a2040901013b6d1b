"""Job workers for production: procrastinate on the app's PostgreSQL database (DISPATCH=worker).

Run one or more of them next to the web process (which must run with DISPATCH=worker too):

    make worker        # = DISPATCH=worker .venv/bin/python -m palett.worker

SIGINT/SIGTERM stop a worker gracefully: it takes no new job, waits up to SHUTDOWN_GRACE_SECONDS for
running ones, then aborts them and puts them back in the queue for another worker. A second signal
stops it at once. The queue itself (tasks, deferring, recovery) is services/generation/procrastinate_queue.py.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from palett.services.common import allocator, observability, schema
from palett.services.generation import procrastinate_queue as queue
from palett.settings import get_settings

log = logging.getLogger(__name__)


async def serve(**overrides: Any) -> None:
    """Run a worker until SIGINT/SIGTERM (or, with wait=False, until the queue is empty)."""
    app = queue.get_app()
    async with app.open_async():
        await queue.recover(app)  # what a crashed worker left, without waiting for the first sweep
        options: dict[str, Any] = {**queue.worker_options(), **overrides}
        await app.run_worker_async(**options)


def main() -> None:
    observability.setup("worker")
    allocator.limit_arenas()  # before any thread pool starts
    schema.require_current()
    if get_settings().dispatch != "worker":
        log.warning("worker: DISPATCH is not 'worker'; the web process will run jobs itself and never defer here")
    queue.ensure_schema()
    asyncio.run(serve())


if __name__ == "__main__":
    main()
