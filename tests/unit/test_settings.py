import pytest
from pydantic import ValidationError

from palett.settings import JOB_EVENTS_CONNECTIONS, Settings


@pytest.fixture(autouse=True)
def no_secret_in_env(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)


def test_embedded_default_creates_and_keeps_a_random_secret(tmp_path):
    first = Settings(data_dir=tmp_path)
    second = Settings(data_dir=tmp_path)
    assert len(first.secret_key) >= 32
    assert first.secret_key == second.secret_key
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_embedded_default_is_sqlite_under_data(tmp_path):
    assert Settings(data_dir=tmp_path).db_url == f"sqlite:///{tmp_path.as_posix()}/palett.db"


@pytest.mark.parametrize("secret", ["", "changeme", "secret", "short-but-custom"])
def test_production_refuses_missing_default_or_short_secret(tmp_path, secret):
    with pytest.raises(ValidationError):
        Settings(data_dir=tmp_path, palett_env="production", secret_key=secret)
    assert not (tmp_path / "secret_key").exists()


@pytest.mark.parametrize("secret", ["", "changeme", "short-but-custom"])
def test_postgresql_refuses_a_per_machine_secret(tmp_path, secret):
    with pytest.raises(ValidationError, match="PostgreSQL"):
        Settings(data_dir=tmp_path, database_url="postgresql://db.internal/palett", secret_key=secret)
    assert not (tmp_path / "secret_key").exists()
    assert Settings(data_dir=tmp_path, database_url="postgresql://db.internal/palett", secret_key="y" * 40)


def test_production_accepts_a_long_secret_and_uses_secure_cookies(tmp_path):
    s = Settings(data_dir=tmp_path, palett_env="production", secret_key="x" * 40)
    assert s.production and s.secure_cookies


def test_oauth_providers_need_both_id_and_secret(tmp_path):
    assert not Settings(data_dir=tmp_path, google_client_id="id").google_enabled
    assert Settings(data_dir=tmp_path, github_client_id="id", github_client_secret="s").github_enabled


@pytest.mark.parametrize(("budget", "processes"), [(100, 7), (60, 1), (90, 5), (40, 2), (60, 6)])
@pytest.mark.parametrize("dispatch", ["inprocess", "worker"])
def test_every_process_sized_from_one_connection_budget_never_exceeds_it(tmp_path, budget, processes, dispatch):
    s = Settings(data_dir=tmp_path, db_connection_budget=budget, db_processes=processes, dispatch=dispatch)
    sizes = s.db_pool_sizes
    assert sizes.engine >= 3
    assert (sizes.queue >= 3 and sizes.defer >= 2) if dispatch == "worker" else sizes.queue == sizes.defer == 0
    # A worker holds all three pools, and the job-events LISTEN connection counts too.
    assert (sizes.engine + sizes.queue + sizes.defer + JOB_EVENTS_CONNECTIONS) * processes <= budget


def test_a_worker_counts_the_sync_pool_it_defers_webhooks_through(tmp_path):
    s = Settings(data_dir=tmp_path, db_connection_budget=90, db_processes=5, dispatch="worker")
    assert s.db_pool_sizes == (11, 4, 2)  # 18 each: 11 for SQLAlchemy, 4 + 2 for procrastinate, 1 to LISTEN


def test_the_engine_uses_its_share_without_overflow(monkeypatch, tmp_path):
    from palett.services.common.db import engine_for
    from tests.conftest import reset_caches

    monkeypatch.setenv("DB_CONNECTION_BUDGET", "100")
    monkeypatch.setenv("DB_PROCESSES", "7")
    reset_caches()
    pool = engine_for("postgresql://postgres@127.0.0.1:5432/postgres").pool
    assert pool.size() == 13 and pool._max_overflow == 0  # 14 each, one of them kept for job events  # type: ignore[attr-defined]
    engine_for.cache_clear()
