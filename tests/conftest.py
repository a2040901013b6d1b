"""Test isolation: every test gets its own data folder, settings and database.

`db_url` runs a test on SQLite and on a real PostgreSQL database that this run
creates and drops.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine

from tests.fakes.fal import fal_emulator, fal_emulator_session, prepare_fal_env

prepare_fal_env()  # before anything imports fal_client: it reads its hosts at import

PG_ADMIN = os.environ.get("PALETT_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


@pytest.fixture(scope="session", autouse=True)
def session_app_launch(request, tmp_path_factory) -> Iterator[object]:
    """The browser tests' shared app (`running_app`), started in the background with the run's first test: its
    compile and frontend build then overlap the unit and integration tests, which run first. None when no
    collected test uses it."""
    if os.environ.get("PALETT_TEST_APP_URL") or not any(
            "running_app" in item.fixturenames for item in request.session.items):
        yield None
        return
    from tests.browser.conftest import SessionAppLaunch

    launch = SessionAppLaunch(tmp_path_factory, request.getfixturevalue("fal_emulator_session"))
    try:
        yield launch
    finally:
        launch.close()


def reset_caches() -> None:
    from palett.services.common import ratelimit
    from palett.services.common.db import engine_for
    from palett.services.generation import fal_webhooks
    from palett.settings import get_settings

    get_settings.cache_clear()
    engine_for.cache_clear()
    ratelimit.limiter.cache_clear()
    fal_webhooks.clear_cache()


@pytest.fixture(autouse=True)
def isolated_env(tmp_path, monkeypatch) -> Iterator[None]:
    monkeypatch.chdir(tmp_path)  # no developer .env is read
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PUBLIC_URL", "http://localhost:3000")
    # Keys are off unless a test turns a provider on (fal_on, ...); FAL_*_HOST and SSL_CERT_FILE stay.
    for var in ("DATABASE_URL", "REDIS_URL", "SMTP_HOST", "PALETT_ENV", "SECRET_KEY", "GOOGLE_CLIENT_ID",
                "GITHUB_CLIENT_ID", "ADMIN_EMAILS", "FAL_KEY", "OPENAI_API_KEY", "S3_BUCKET", "S3_ENDPOINT_URL",
                "FAL_WEBHOOKS", "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "STRIPE_API_BASE", "PREMIUM_FAIR_USE"):
        monkeypatch.delenv(var, raising=False)
    # A shared database needs a shared secret (tests/unit/test_settings.py checks the refusal itself).
    monkeypatch.setenv("SECRET_KEY", "test-only-secret-key-0123456789-abcdefghij")
    reset_caches()
    yield
    reset_caches()


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped at the end."""
    name = f"palett_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    from palett.services.common.db import engine_for

    engine_for.cache_clear()
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """An SQLite file with every table and no rows, copied for each test: a copy costs far less than
    creating the tables again (docs/benchmarks.md, "Test suite time")."""
    from sqlmodel import SQLModel

    import palett.models  # noqa: F401
    from palett.services.common.db import engine_for

    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    engine = engine_for(f"sqlite:///{path}")
    SQLModel.metadata.create_all(engine)
    engine.dispose()  # the last connection checkpoints the WAL into the file
    assert not path.with_name(path.name + "-wal").exists()
    return path


def _pg_columns(engine: Engine) -> set[tuple[str, str, str, str]]:
    """The public schema's columns: what tells whether the tables are still the ones create_all made."""
    with engine.connect() as conn:
        return set(conn.exec_driver_sql(
            "SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns"
            " WHERE table_schema = 'public'").all())


@pytest.fixture(scope="session")
def pg_schema() -> dict[str, set[tuple[str, str, str, str]]]:
    """The column set create_all gives on PostgreSQL, once known (filled by the first `db_url` test)."""
    return {}


def _empty_pg(engine: Engine, pg_schema: dict[str, set[tuple[str, str, str, str]]]) -> None:
    """Every table, no rows. Emptying the tables is much cheaper than dropping and creating them, so they are
    only made again when the schema is not the one create_all made (a migration or worker test replaced it)."""
    from sqlmodel import SQLModel

    if "columns" in pg_schema and _pg_columns(engine) == pg_schema["columns"]:
        tables = ", ".join(f'"{table.name}"' for table in SQLModel.metadata.sorted_tables)
        with engine.begin() as conn:
            conn.exec_driver_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
        return
    SQLModel.metadata.drop_all(engine)
    SQLModel.metadata.create_all(engine)
    pg_schema["columns"] = _pg_columns(engine)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, monkeypatch, tmp_path) -> Iterator[str]:
    """A database with every table and no rows, on each backend, set as DATABASE_URL."""
    import palett.models  # noqa: F401
    from palett.services.common.db import engine_for

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'test.db'}"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), tmp_path / "test.db")
    else:
        url = request.getfixturevalue("pg_database")
    monkeypatch.setenv("DATABASE_URL", url)
    reset_caches()
    engine = engine_for(url)
    if request.param == "postgresql":
        _empty_pg(engine, request.getfixturevalue("pg_schema"))
    yield url
    engine.dispose()


@pytest.fixture
def db(db_url):
    """A session on the test database (commits are real)."""
    from palett.services.common.db import session_scope

    return session_scope


@pytest.fixture
def fal_on(fal_emulator, monkeypatch):
    """Fal switched on and pointed at the local emulator (its files are on 127.0.0.1)."""
    from tests.fakes.fal import configure_env

    monkeypatch.setenv("FAL_KEY", configure_env(fal_emulator.port, fal_emulator.ca_file)["FAL_KEY"])
    monkeypatch.setenv("SSRF_ALLOW_HOSTS", "127.0.0.1,localhost")
    monkeypatch.setenv("FAL_JWKS_URL", fal_emulator.jwks_url)
    reset_caches()
    return fal_emulator


__all__ = ["fal_emulator", "fal_emulator_session"]


def pytest_collection_modifyitems(items) -> None:
    """Browser tests run last: Playwright's sync API keeps an event loop running in this thread; and their
    app's compile and frontend build (started with the first test, session_app_launch) overlap the rest."""
    items.sort(key=lambda item: "tests/browser/" in str(item.fspath))
