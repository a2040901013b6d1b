"""Database engine and sessions for SQLite (embedded) and PostgreSQL (production), and work that waits for a commit."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, event
from sqlalchemy.pool import ConnectionPoolEntry
from sqlmodel import Session, create_engine

from palett.settings import get_settings

log = logging.getLogger(__name__)
T = TypeVar("T")


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        _sqlite_pragmas(engine)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    pool_size = get_settings().db_pool_sizes.engine
    # No overflow: a burst waits up to pool_timeout for a connection instead of going past the budget.
    return create_engine(url, pool_pre_ping=True, pool_size=pool_size, max_overflow=0, pool_timeout=10)


def _sqlite_pragmas(engine: Engine) -> None:
    """WAL + busy timeout + real foreign keys, and BEGIN IMMEDIATE for writers.

    Python's sqlite3 opens transactions lazily, which lets two writers both read a
    balance and then deadlock on upgrade; SQLAlchemy's documented recipe starts every
    transaction ourselves instead.
    """

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def get_engine() -> Engine:
    return engine_for(get_settings().db_url)


@contextmanager
def session_scope() -> Iterator[Session]:
    """One unit of work: commits on success, rolls back on any error."""
    with Session(get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


@contextmanager
def autocommit_scope() -> Iterator[Session]:
    """For statements that each stand alone (a look-up, one conditional UPDATE): on PostgreSQL each commits
    by itself, which saves the BEGIN and COMMIT round trips of session_scope. Add no ORM objects here.

    SQLite runs in-process (no round trips to save) and takes its write lock at BEGIN: it gets session_scope.
    """
    url = get_settings().db_url
    if not url.startswith("postgres"):
        with session_scope() as session:
            yield session
        return
    with Session(engine_for(url), expire_on_commit=False) as session:
        session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})  # SQLAlchemy's per-session way
        yield session


def after_commit(db: Session, work: Callable[[], None]) -> None:
    """Run `work` once this session's transaction commits; forget it if the transaction rolls back.

    Used for storage deletes: a file is removed only when the row that pointed at it is really gone.
    """
    pending: list[Callable[[], None]] = db.info.setdefault("palett_after_commit", [])
    if not db.info.get("palett_after_commit_hooked"):
        db.info["palett_after_commit_hooked"] = True
        event.listen(db, "after_commit", _run_pending)
        event.listen(db, "after_transaction_end", _drop_pending)
    pending.append(work)


def _run_pending(session: Any) -> None:
    if session.in_nested_transaction():  # SQLAlchemy fires after_commit for a released savepoint too: not yet
        return
    pending = session.info.get("palett_after_commit", [])
    while pending:
        work = pending.pop(0)
        try:
            work()
        except Exception:  # the commit stands; a leftover file is only an orphan
            log.exception("after-commit work failed")


def _drop_pending(session: Any, transaction: Any) -> None:
    if transaction.parent is None:  # the outermost transaction ended (after_commit already ran if it committed)
        session.info.get("palett_after_commit", []).clear()
async def in_db(work: Callable[[Session], T]) -> T:
    """Run `work(db)` in one unit of work on a worker thread (never on the event loop)."""

    def run() -> T:
        with session_scope() as db:
            return work(db)

    return await asyncio.to_thread(run)
