"""The recycled heavy-work process: results and errors come back, it closes when idle, memory is given back."""

from __future__ import annotations

import asyncio
import time

import pytest

from palett.services.common import allocator
from palett.services.generation.local_ops.heavy_work import RecyclingPool


def test_results_and_errors_come_back_and_the_process_closes_when_idle() -> None:
    pool = RecyclingPool(idle_seconds=0.3)

    async def session() -> None:
        assert await pool.run(pow, 2, 5) == 32
        with pytest.raises(ValueError):  # the local provider turns these into messages for people
            await pool.run(int, "not a number")
        assert await pool.run(pow, 3, 2) == 9

    try:
        asyncio.run(session())
        assert pool._pool is not None
        time.sleep(1.0)
        assert pool._pool is None  # idle: shut down, its memory returned
        assert asyncio.run(pool.run(pow, 2, 3)) == 8  # and started again on demand
    finally:
        pool.close()


def test_allocator_calls_are_safe_to_repeat() -> None:
    allocator.limit_arenas()
    allocator.give_back()
    assert allocator.resident_mb() > 0
