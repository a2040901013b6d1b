"""The committed Alembic migrations build the whole schema and tear it down, on both databases."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.config import Config
from sqlalchemy import inspect
from sqlmodel import SQLModel

from alembic import command
from palett.services.common.db import engine_for

ROOT = Path(__file__).parents[2]
TABLES = {"user", "account", "session", "verification_token", "generated_image", "purchase", "usage_log", "job",
          "credit_transaction"}


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parents[2] / "alembic"))
    cfg.attributes["url"] = url
    cfg.attributes["configure_logger"] = False
    return cfg


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'migrate.db'}"
    url = request.getfixturevalue("pg_database")
    SQLModel.metadata.drop_all(engine_for(url))
    with engine_for(url).begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    return url


def test_upgrade_from_empty_then_downgrade_cleanly(empty_url):
    cfg = alembic_config(empty_url)
    command.upgrade(cfg, "head")
    inspector = inspect(engine_for(empty_url))
    assert set(inspector.get_table_names()) >= TABLES
    assert {"ix_generated_image_user_created", "ix_generated_image_public_created"} <= {
        ix["name"] for ix in inspector.get_indexes("generated_image")
    }
    command.downgrade(cfg, "base")
    assert set(inspect(engine_for(empty_url)).get_table_names()) <= {"alembic_version"}


def test_models_match_the_migrations(empty_url):
    """Autogenerate finds nothing to add: nobody changed a model without a migration."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    cfg = alembic_config(empty_url)
    command.upgrade(cfg, "head")
    with engine_for(empty_url).connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    command.downgrade(cfg, "base")
    assert diff == []


def test_app_and_workers_refuse_a_database_at_another_revision(empty_url, monkeypatch, tmp_path):
    from palett.services.common import schema
    from tests.conftest import reset_caches

    monkeypatch.setenv("DATABASE_URL", empty_url)
    reset_caches()
    with pytest.raises(schema.OutdatedSchema, match=r"none \(empty database\).*make migrate"):
        schema.require_current()
    command.upgrade(alembic_config(empty_url), "0004")
    with pytest.raises(schema.OutdatedSchema, match="at revision 0004 but this code needs"):
        schema.require_current()
    worker = subprocess.run([sys.executable, "-m", "palett.worker"], cwd=tmp_path, capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT), "DISPATCH": "worker"}, timeout=60)
    assert worker.returncode != 0 and "make migrate" in worker.stderr
    command.upgrade(alembic_config(empty_url), "head")
    schema.require_current()
    command.downgrade(alembic_config(empty_url), "base")


def test_two_deploy_steps_migrating_at_once_both_succeed(pg_database):
    """`make migrate` holds an advisory lock: the second waits, then finds nothing to do."""
    SQLModel.metadata.drop_all(engine_for(pg_database))
    with engine_for(pg_database).begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    env = {**os.environ, "DATABASE_URL": pg_database, "SECRET_KEY": "x" * 40}
    runs = [subprocess.Popen([str(Path(sys.executable).parent / "alembic"), "upgrade", "head"], cwd=ROOT, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT) for _ in range(2)]
    outputs = [run.communicate(timeout=120)[0].decode() for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    assert set(inspect(engine_for(pg_database)).get_table_names()) >= TABLES
    command.downgrade(alembic_config(pg_database), "base")
