"""Is the database at the schema this code needs?

Migrations run once per deploy (`make migrate`, which holds an advisory lock on PostgreSQL), never at
every process start: with several machines, starting processes would race each other's migrations, and
an old process must not serve a newer schema (or the reverse) without anyone noticing.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from palett.services.common.db import get_engine

MIGRATIONS = Path(__file__).resolve().parents[3] / "alembic"


class OutdatedSchema(RuntimeError):
    pass


@lru_cache(maxsize=1)
def expected_revision() -> str | None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config).get_current_head()


def current_revision() -> str | None:
    with get_engine().connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def require_current() -> None:
    """Raise OutdatedSchema, saying what to do, unless the database is at this code's revision."""
    current, expected = current_revision(), expected_revision()
    if current != expected:
        raise OutdatedSchema(
            f"The database schema is at revision {current or 'none (empty database)'} but this code needs "
            f"{expected}. Run `make migrate` once for this deploy, then start the app and workers.")
