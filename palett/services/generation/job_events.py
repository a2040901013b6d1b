"""Job change notifications: a page watching its jobs sleeps until one of them changes, instead of polling.

Whoever changes a job calls `notify(db, user_id)` inside the transaction that changes it. The waiters of
that user are woken once the transaction commits (never for a rollback):

- in one process, through a per-user version counter and asyncio events (the embedded default);
- across processes (job workers, several web processes or machines) through PostgreSQL's LISTEN/NOTIFY:
  `pg_notify` is transactional, so it is delivered at commit, and each web process keeps one listening
  connection that wakes its own waiters.

A watcher remembers the version it has seen, so a change made while it was reading the jobs wakes it at
once; `changes()` is that loop, and reads a burst of changes once. A lost listener (database restart) only
makes watchers fall back to their timeout until it reconnects.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections import defaultdict
from collections.abc import AsyncGenerator

from sqlalchemy import text
from sqlmodel import Session

from palett.services.common.db import after_commit
from palett.settings import get_settings

log = logging.getLogger(__name__)
CHANNEL = "palett_jobs"
RECONNECT_SECONDS = 2.0
# Changes come in bursts (submitted, claimed, first progress within milliseconds; one job's end and the next
# one's claim): a watcher woken waits this long for the rest, so each burst costs every open tab one read
# and one update instead of three or four.
SETTLE_SECONDS = 0.2

_lock = threading.Lock()
_versions: dict[int, int] = defaultdict(int)
_waiters: dict[int, set[tuple[asyncio.AbstractEventLoop, asyncio.Event]]] = defaultdict(set)
_listener: tuple[asyncio.AbstractEventLoop, asyncio.Task[None], asyncio.Event] | None = None


def _on_postgres() -> bool:
    return get_settings().db_url.startswith("postgres")


def notify(db: Session, user_id: int) -> None:
    """Tell this user's watchers, once `db`'s transaction commits, that one of their jobs changed."""
    if _on_postgres():
        # Delivered at commit to every listening process, this one included.
        db.execute(text("SELECT pg_notify(:channel, :user_id)"), {"channel": CHANNEL, "user_id": str(user_id)})
    else:
        after_commit(db, lambda: wake(user_id))


def wake(user_id: int) -> None:
    """Bump the user's version and wake their waiters (any thread)."""
    with _lock:
        _versions[user_id] += 1
        waiters = list(_waiters.get(user_id, ()))
    for loop, event in waiters:
        with contextlib.suppress(RuntimeError):  # that loop has closed
            loop.call_soon_threadsafe(event.set)


def version(user_id: int) -> int:
    with _lock:
        return _versions[user_id]


async def wait(user_id: int, *, seen: int, timeout: float) -> bool:
    """Wait until the user's version passes `seen` (True) or `timeout` seconds pass (False)."""
    if _on_postgres():
        with contextlib.suppress(TimeoutError):  # not listening yet: the timeout still bounds the wait
            await asyncio.wait_for(_ensure_listener().wait(), RECONNECT_SECONDS)
    event = asyncio.Event()
    entry = (asyncio.get_running_loop(), event)
    with _lock:
        if _versions[user_id] > seen:
            return True
        _waiters[user_id].add(entry)
    try:
        await asyncio.wait_for(event.wait(), timeout)
        return True
    except TimeoutError:
        return False
    finally:
        with _lock:
            _waiters[user_id].discard(entry)
            if not _waiters[user_id]:
                del _waiters[user_id]


async def changes(user_id: int, *, timeout: float) -> AsyncGenerator[None, None]:
    """Yield at once, then after each burst of changes to the user's jobs, or after `timeout` without one."""
    while True:
        seen = version(user_id)
        yield
        if await wait(user_id, seen=seen, timeout=timeout):
            await asyncio.sleep(SETTLE_SECONDS)


def _ensure_listener() -> asyncio.Event:
    """Start this loop's listener once; the event is set while it is listening."""
    global _listener
    loop = asyncio.get_running_loop()
    if _listener is None or _listener[0] is not loop or _listener[1].done():
        listening = asyncio.Event()
        _listener = (loop, loop.create_task(_listen(listening), name="job-events-listener"), listening)
    return _listener[2]


async def _listen(listening: asyncio.Event) -> None:
    """One LISTEN connection per process; every notification wakes that user's waiters here."""
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(get_settings().db_url).set(drivername="postgresql").render_as_string(hide_password=False)
    while True:
        try:
            async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
                await conn.execute(f"LISTEN {CHANNEL}")
                listening.set()
                async for note in conn.notifies():
                    with contextlib.suppress(ValueError):
                        wake(int(note.payload))
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the database went away: watchers fall back to their timeout meanwhile
            listening.clear()
            log.warning("job events: listener lost (%r); reconnecting", exc)
            await asyncio.sleep(RECONNECT_SECONDS)
