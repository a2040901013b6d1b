"""Database engine and sessions for SQLite (embedded) and PostgreSQL (production)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Engine, event
from sqlmodel import Session, create_engine

from palett.settings import get_settings

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
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)


def _sqlite_pragmas(engine: Engine) -> None:
    """WAL + busy timeout + real foreign keys, and BEGIN IMMEDIATE for writers.

    Python's sqlite3 opens transactions lazily, which lets two writers both read a
    balance and then deadlock on upgrade; SQLAlchemy's documented recipe starts every
    transaction ourselves instead.
    """

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn, _record):  # type: ignore[no-untyped-def]
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):  # type: ignore[no-untyped-def]
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


async def in_db(work: Callable[[Session], T]) -> T:
    """Run `work(db)` in one unit of work on a worker thread (never on the event loop)."""

    def run() -> T:
        with session_scope() as db:
            return work(db)

    return await asyncio.to_thread(run)
