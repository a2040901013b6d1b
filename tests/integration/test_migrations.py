"""The committed Alembic migrations build the whole schema and tear it down, on both databases."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.config import Config
from sqlalchemy import inspect
from sqlmodel import SQLModel

from alembic import command
from palett.services.db import engine_for

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
