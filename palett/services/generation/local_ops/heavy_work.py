"""Heavy local image work in one child process that is recycled, so its memory goes back to the system.

A 4K upscale or a U²-Net cut-out allocates hundreds of MB at once (decoded images, float buffers,
onnxruntime's arena). Done in the web process, glibc keeps most of those pages after the work: the
backend grew from ~200 MB to ~900 MB and stayed there (docs/benchmarks.md, "Backend memory"). Here the
work runs in a child process (spawned, not forked: the web process has threads) that runs one job at a
time (the peak stays bounded), is replaced after MAX_TASKS jobs or as soon as it keeps more than
KEEP_MB more than at its start after a job, and is shut down after IDLE_SECONDS without work; everything it held is then
returned at once.

The child gets bytes and returns bytes: it never reads settings, storage or the database, so what it
does cannot depend on the state of the process that started it.

A caller that is cancelled (a job past its deadline, a worker out of shutdown grace) kills the child if
its work is the one running: a hung operation cannot be stopped in a thread, but a process can, and a
worker that must exit within its grace period cannot wait for one.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import multiprocessing
import multiprocessing.util
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, TypeVar

from palett.services.common import allocator

log = logging.getLogger(__name__)
T = TypeVar("T")

IDLE_SECONDS = 15.0
# A new child costs ~1.5 s of CPU (spawn and imports): every 25 jobs that was ~60 ms per local text-to-image
# job, a fifth of its CPU (docs/benchmarks.md, "CPU per local job"). KEEP_MB already replaces a child that
# holds on to memory after any job, so this only bounds slow growth that stays under it.
MAX_TASKS = 100
# What a child may hold beyond its size when its first task began (imports: ~100 MB in a web process's child,
# ~150 MB in a worker's, which also imports the worker's main module). An absolute limit of 160 MB replaced a
# worker's child after every job (a 1.5 s respawn each: 0.41 jobs/s on the cluster, docs/benchmarks.md).
KEEP_MB = 60.0
PR_SET_PDEATHSIG = 1  # from <sys/prctl.h>


@dataclass
class _Call:
    """One run: whether its caller gave up, and the pool its work went to once it was sent."""

    cancelled: bool = False
    pool: ProcessPoolExecutor | None = None


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
        self._exit_hook_pid = 0

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        with self._lock:
            self._busy += 1
        call = _Call()
        sent: Future[T] = self._sender.submit(self._run_one, call, fn, args)
        try:
            return await asyncio.wrap_future(sent)
        except asyncio.CancelledError:
            if not sent.cancel():  # already sent to the child (not just waiting its turn): stop it there
                self._stop(call)
            raise
        finally:
            with self._lock:
                self._busy -= 1
                self._last_done = time.monotonic()
                if self._busy == 0:
                    timer = threading.Timer(self.idle_seconds, self._close_if_idle)
                    timer.daemon = True
                    timer.start()

    def _run_one(self, call: _Call, fn: Callable[..., T], args: tuple[Any, ...]) -> T:
        with self._lock:
            if call.cancelled:
                raise asyncio.CancelledError
            if self._pool is None:
                self._pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"),
                                                 max_tasks_per_child=self.max_tasks,
                                                 initializer=_child_setup)
                self._close_at_exit()
            pool = call.pool = self._pool
            running = pool.submit(_run_and_trim, fn, *args)
        try:
            result, kept_mb = running.result()
        except BrokenProcessPool:  # the child died (killed for memory, or by _stop): the next call starts a new one
            log.warning("the heavy-work process ended mid-job; starting a new one for the next job")
            self._retire(pool, cancel=True)
            raise
        finally:
            with self._lock:
                call.pool = None
        if kept_mb > KEEP_MB:  # fragmented or holding on to buffers: replace it before the next edit
            self._retire(pool)
        return result

    def _stop(self, call: _Call) -> None:
        """Kill the child running this call's work (its sender thread then sees BrokenProcessPool)."""
        with self._lock:
            call.cancelled = True
            pool = call.pool
            if pool is None:
                return
            if self._pool is pool:  # never hand the next job a pool whose child is being killed
                self._pool = None
            # ProcessPoolExecutor has no public kill before Python 3.14 (kill_workers); its children are here.
            children = list(getattr(pool, "_processes", {}).values())
        log.warning("stopping the heavy-work process: its job was cancelled")
        for child in children:
            child.kill()

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

    def _close_at_exit(self) -> None:
        """Close the pool before this process's multiprocessing exit handler waits for its children.

        A process started by multiprocessing (a Granian web worker) runs that handler before the interpreter's
        own shutdown, which is what tells executors to stop: it joined the idle child, which only ended with the
        idle close (15 s) in a test, and never in a Granian worker (py-spy: the worker joining the child, the
        child waiting in its call queue; the worker was killed at the end of its graceful stop). A
        multiprocessing finalizer runs before that join, and with a priority above the call queue's own (10)
        while the queue can still carry the stop sentinel. Once per process (a fork does not inherit finalizers).
        """
        if self._exit_hook_pid != os.getpid():
            self._exit_hook_pid = os.getpid()
            multiprocessing.util.Finalize(self, self.close, exitpriority=20)


def _child_setup() -> None:
    allocator.limit_arenas()
    # Die with the process that started us: a worker killed with SIGKILL must not leave a hung render running.
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


_start_mb: float | None = None  # in the child: its size when its first task began (imports done)


def _run_and_trim(fn: Callable[..., T], *args: Any) -> tuple[T, float]:
    """In the child: the task, then its freed buffers back to the system; returns what it holds beyond its
    size at the start of its first task."""
    global _start_mb
    if _start_mb is None:
        _start_mb = allocator.resident_mb()
    try:
        result = fn(*args)
    finally:
        allocator.give_back()
    return result, allocator.resident_mb() - _start_mb


pool = RecyclingPool()
