"""Heavy local image work in one child process that is recycled, so its memory goes back to the system.

A 4K upscale or a U²-Net cut-out allocates hundreds of MB at once (decoded images, float buffers,
onnxruntime's arena). Done in the web process, glibc keeps most of those pages after the work: the
backend grew from ~200 MB to ~900 MB and stayed there (docs/benchmarks.md, "Backend memory"). Here the
work runs in a child process (spawned, not forked: the web process has threads) that runs one job at a
time (the peak stays bounded), is replaced after MAX_TASKS jobs or as soon as it keeps more than
KEEP_MB after a job, and is shut down after IDLE_SECONDS without work; everything it held is then
returned at once.

The child gets bytes and returns bytes: it never reads settings, storage or the database, so what it
does cannot depend on the state of the process that started it.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from palett.services.common import allocator

log = logging.getLogger(__name__)
T = TypeVar("T")

IDLE_SECONDS = 15.0
MAX_TASKS = 25
KEEP_MB = 160.0  # imports alone (numpy, OpenCV, onnxruntime, Pillow) take ~100 MB


class RecyclingPool:
    """A one-process pool started on first use, closed when idle, restarted if its process dies."""

    def __init__(self, idle_seconds: float = IDLE_SECONDS, max_tasks: int = MAX_TASKS) -> None:
        self.idle_seconds, self.max_tasks = idle_seconds, max_tasks
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None
        # One thread hands edits to the process one at a time and waits for each: an edit is only sent once
        # the previous one is back and its process checked (and replaced if it kept too much).
        self._sender = ThreadPoolExecutor(1, thread_name_prefix="heavy-work")
        self._busy = 0
        self._last_done = 0.0

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        with self._lock:
            self._busy += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self._sender, self._run_one, fn, args)
        finally:
            with self._lock:
                self._busy -= 1
                self._last_done = time.monotonic()
                if self._busy == 0:
                    timer = threading.Timer(self.idle_seconds, self._close_if_idle)
                    timer.daemon = True
                    timer.start()

    def _run_one(self, fn: Callable[..., T], args: tuple[Any, ...]) -> T:
        with self._lock:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"),
                                                 max_tasks_per_child=self.max_tasks,
                                                 initializer=allocator.limit_arenas)
            pool = self._pool
        try:
            result, kept_mb = pool.submit(_run_and_trim, fn, *args).result()
        except BrokenProcessPool:  # the child died (e.g. killed for memory): the next call starts a new one
            log.warning("the heavy-work process died; starting a new one for the next job")
            self._retire(pool, cancel=True)
            raise
        if kept_mb > KEEP_MB:  # fragmented or holding on to buffers: replace it before the next edit
            self._retire(pool)
        return result

    def _retire(self, pool: ProcessPoolExecutor, cancel: bool = False) -> None:
        with self._lock:
            if self._pool is pool:
                self._pool = None
        pool.shutdown(wait=False, cancel_futures=cancel)

    def _close_if_idle(self) -> None:
        with self._lock:
            if self._busy or self._pool is None or time.monotonic() - self._last_done < self.idle_seconds - 0.05:
                return
            pool, self._pool = self._pool, None
        pool.shutdown(wait=False)

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


def _run_and_trim(fn: Callable[..., T], *args: Any) -> tuple[T, float]:
    """In the child: the task, then its freed buffers back to the system; returns what it still holds."""
    try:
        result = fn(*args)
    finally:
        allocator.give_back()
    return result, allocator.resident_mb()


pool = RecyclingPool()
