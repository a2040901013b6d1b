"""Alembic reads the app's settings and tables, so `alembic upgrade head` needs no URL of its own."""

import warnings
from logging.config import fileConfig

from alembic.autogenerate import comparators
from alembic.util import DispatchPriority, PriorityDispatchResult
from sqlalchemy import text
from sqlmodel import SQLModel

import palett.models  # noqa: F401  (registers every table)
from alembic import context
from palett.models.library import is_search_table
from palett.services.common.db import engine_for
from palett.settings import get_settings

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = SQLModel.metadata


def include_object(obj, name, type_, reflected, compare_to):  # type: ignore[no-untyped-def]
    """Autogenerate leaves SQLite's FTS5 prompt index alone: migration 0003 manages it by hand."""
    return not (type_ == "table" and is_search_table(name))


def _hide_search_tables(autogen_context, upgrade_ops, schemas):  # type: ignore[no-untyped-def]
    """The same rule for comparisons made without this env's options (alembic.autogenerate.compare_metadata)."""
    upgrade_ops.ops[:] = [op for op in upgrade_ops.ops if not is_search_table(getattr(op, "table_name", None))]
    return PriorityDispatchResult.CONTINUE


# The PostgreSQL-only prompt index (ddl_if) cannot be compared on SQLite, where it rightly does not exist.
warnings.filterwarnings("ignore", message=".*expression-based index 'ix_generated_image_prompt_search'.*sqlite")

# This file runs again for every command in one process: register the comparator once.
if not getattr(comparators, "_palett_hides_search_tables", False):
    comparators.dispatch_for("schema", priority=DispatchPriority.LAST)(_hide_search_tables)
    comparators._palett_hides_search_tables = True  # type: ignore[attr-defined]


def run_migrations_offline() -> None:
    context.configure(url=get_settings().db_url, target_metadata=target_metadata, literal_binds=True,
                      render_as_batch=True, include_object=include_object)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    url = config.attributes.get("url") or get_settings().db_url
    with engine_for(url).connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True,
                          include_object=include_object)
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":
                # One migrator at a time: a second deploy step waits, then finds nothing left to do.
                connection.execute(text("SELECT pg_advisory_xact_lock(hashtext('palett:migrations'))"))
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
