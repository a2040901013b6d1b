"""Getting jobs run. Two implementations over the same job table:

- in-process (embedded default): a priority queue and a few asyncio workers inside the
  app process; at start-up and at every sweep it picks up every unfinished job nobody holds
  (pipeline claims make that safe with several processes: a job runs once), and the sweeper
  refunds what outlived its deadline.
- worker (DISPATCH=worker): procrastinate on PostgreSQL (`make worker`), see palett/worker.py.
"""

from __future__ import annotations

import asyncio
import itertools
import logging

from palett.services import pipeline
from palett.settings import get_settings

log = logging.getLogger(__name__)
CONCURRENCY = 3


class InProcessRunner:
    def __init__(self) -> None:
        self._queue: asyncio.PriorityQueue[tuple[int, int, int]] | None = None
        self._queued: set[int] = set()
        self._order = itertools.count()

    def enqueue(self, job_id: int, priority: int = 0) -> None:
        if self._queue is None:
            self._queue = asyncio.PriorityQueue()
        if job_id in self._queued:
            return
        self._queued.add(job_id)
        self._queue.put_nowait((-priority, next(self._order), job_id))

    async def _work(self) -> None:
        assert self._queue is not None
        while True:
            _, _, job_id = await self._queue.get()
            try:
                await pipeline.execute(job_id)
            except Exception:  # execute handles its own failures; this keeps the worker alive
                log.exception("runner: job %s", job_id)
            finally:
                self._queued.discard(job_id)

    async def serve(self) -> None:
        """Lifespan task: resume what was left, run workers, sweep stuck jobs."""
        if self._queue is None:
            self._queue = asyncio.PriorityQueue()
        resumed = await asyncio.to_thread(pipeline.active_job_ids)
        for job_id in resumed:
            self.enqueue(job_id)
        if resumed:
            log.info("runner: resumed %d unfinished jobs", len(resumed))
        workers = [asyncio.create_task(self._work()) for _ in range(CONCURRENCY)]
        try:
            while True:
                await asyncio.sleep(get_settings().sweep_interval_seconds)
                await pipeline.sweep_and_cancel()
                for job_id in await asyncio.to_thread(pipeline.active_job_ids):  # a dead sibling's jobs
                    self.enqueue(job_id)
                await refill_credits()
        finally:
            for worker in workers:
                worker.cancel()


runner = InProcessRunner()


async def refill_credits() -> None:
    """Free anniversaries and yearly Pro months (billing.refill_due); a failure waits for the next sweep."""
    from palett.services.billing import refill_due
    from palett.services.db import session_scope

    def run() -> None:
        with session_scope() as db:
            refill_due(db)

    try:
        await asyncio.to_thread(run)
    except Exception:
        log.exception("refill sweep failed; the next sweep retries")


async def enqueue(job_id: int, priority: int = 0) -> None:
    """Hand a committed job to whoever runs jobs. If that fails the job is still safe: the
    sweeper (or the start-up resume) picks it up from the table."""
    if get_settings().dispatch != "worker":
        runner.enqueue(job_id, priority)
        return
    from palett.worker import defer_job

    try:
        await asyncio.to_thread(defer_job, job_id, priority)
    except Exception:
        log.exception("could not defer job %s; the sweeper will re-defer it", job_id)
