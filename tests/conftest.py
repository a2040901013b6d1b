"""Test isolation: every test gets its own data folder, settings and database.

`db_url` runs a test on SQLite and on a real PostgreSQL database that this run
creates and drops.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import psycopg
import pytest

from tests.fakes.fal import fal_emulator, fal_emulator_session, prepare_fal_env

prepare_fal_env()  # before anything imports fal_client: it reads its hosts at import

PG_ADMIN = os.environ.get("PALETT_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


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


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, monkeypatch, tmp_path) -> Iterator[str]:
    """A migrated, empty database on each backend, set as DATABASE_URL."""
    from sqlmodel import SQLModel

    import palett.models  # noqa: F401
    from palett.services.common.db import engine_for

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'test.db'}"
    else:
        url = request.getfixturevalue("pg_database")
    monkeypatch.setenv("DATABASE_URL", url)
    reset_caches()
    engine = engine_for(url)
    SQLModel.metadata.drop_all(engine)
    SQLModel.metadata.create_all(engine)
    yield url
    SQLModel.metadata.drop_all(engine)
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
    """Browser tests run last: Playwright's sync API keeps an event loop running in this thread."""
    items.sort(key=lambda item: "tests/browser/" in str(item.fspath))
