"""Getting jobs run: one `JobQueue` interface, two implementations chosen by settings.dispatch.

- inprocess (embedded default): `InProcessQueue`, a priority queue and a few asyncio workers inside
  the app process; at start-up and at every sweep it picks up every unfinished job nobody holds
  (pipeline claims make that safe with several processes: a job runs once), and the sweeper refunds
  what outlived its deadline.
- worker (DISPATCH=worker): `ProcrastinateQueue` on PostgreSQL (services/procrastinate_queue.py),
  run by `make worker` processes (palett/worker.py).

Only the submit service (services/submit.py) enqueues new jobs.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import threading
from typing import Protocol

from palett.services.developers import webhook_delivery
from palett.services.generation import pipeline
from palett.settings import Settings, get_settings

log = logging.getLogger(__name__)
CONCURRENCY = 3
WEBHOOK_POLL_SECONDS = 5  # how often due webhook retries are looked for (the first retry waits 5 s)


class JobQueue(Protocol):
    async def enqueue(self, job_id: int, priority: int = 0) -> None:
        """Hand a committed job to whoever runs jobs."""

    async def serve(self) -> None:
        """The web process's lifespan task for this queue."""

    def deliver_webhooks(self, delivery_ids: list[int]) -> None:
        """Have committed webhook deliveries sent soon (callable from any thread; never sends in the caller)."""


class InProcessQueue:
    def __init__(self) -> None:
        self._queue: asyncio.PriorityQueue[tuple[int, int, int]] | None = None
        self._queued: set[int] = set()
        self._order = itertools.count()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._webhooks_due = asyncio.Event()

    async def enqueue(self, job_id: int, priority: int = 0) -> None:
        self._put(job_id, priority)

    def _put(self, job_id: int, priority: int = 0) -> None:
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
        self._loop = asyncio.get_running_loop()
        resumed = await asyncio.to_thread(pipeline.active_job_ids)
        for job_id in resumed:
            self._put(job_id)
        if resumed:
            log.info("runner: resumed %d unfinished jobs", len(resumed))
        workers = [asyncio.create_task(self._work()) for _ in range(CONCURRENCY)]
        workers.append(asyncio.create_task(self._send_webhooks()))
        try:
            while True:
                await asyncio.sleep(get_settings().sweep_interval_seconds)
                await pipeline.sweep_and_cancel()
                for job_id in await asyncio.to_thread(pipeline.active_job_ids):  # a dead sibling's jobs
                    self._put(job_id)
                await refill_credits()
                await prune_webhook_log()
        finally:
            for worker in workers:
                worker.cancel()


    def deliver_webhooks(self, delivery_ids: list[int]) -> None:
        if self._loop is not None:  # not serving (a script, a test): the next start picks them up from the table
            self._loop.call_soon_threadsafe(self._webhooks_due.set)

    async def _send_webhooks(self) -> None:
        """Send deliveries when told there are new ones, and every WEBHOOK_POLL_SECONDS for due retries."""
        while True:
            self._webhooks_due.clear()
            try:
                await webhook_delivery.deliver_due()
            except Exception:  # the database went away: the next round tries again
                log.exception("runner: webhook deliveries")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._webhooks_due.wait(), WEBHOOK_POLL_SECONDS)


def queue_for(settings: Settings) -> JobQueue:
    if settings.dispatch == "worker":
        from palett.services.generation.procrastinate_queue import (
            ProcrastinateQueue,  # needs PostgreSQL and procrastinate
        )

        return ProcrastinateQueue()
    return InProcessQueue()


_lock = threading.Lock()
_cached: tuple[Settings, JobQueue] | None = None


def get_queue() -> JobQueue:
    """The queue for the current settings (one per process; tests that change settings get a new one)."""
    global _cached
    settings = get_settings()
    with _lock:
        if _cached is None or _cached[0] is not settings:
            _cached = (settings, queue_for(settings))
        return _cached[1]


async def enqueue(job_id: int, priority: int = 0) -> None:
    """Hand a committed job to the queue. If that fails the job is still safe: the sweeper (or the
    start-up resume) picks it up from the table."""
    try:
        await get_queue().enqueue(job_id, priority)
    except Exception:
        log.exception("could not enqueue job %s; the sweeper will pick it up", job_id)


async def prune_webhook_log() -> None:
    """Old finished webhook deliveries (webhook_delivery.KEEP_FINISHED); a failure waits for the next sweep."""
    try:
        await asyncio.to_thread(webhook_delivery.prune)
    except Exception:
        log.exception("webhook log pruning failed; the next sweep retries")


async def refill_credits() -> None:
    """Free anniversaries and yearly Pro months (billing.refill_due); a failure waits for the next sweep."""
    from palett.services.billing import refill_due
    from palett.services.common.db import session_scope

    def run() -> None:
        with session_scope() as db:
            refill_due(db)

    try:
        await asyncio.to_thread(run)
    except Exception:
        log.exception("refill sweep failed; the next sweep retries")
