"""job claims: the process running a job and its lease

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 21:05:00

Two nullable columns; `job` is altered in place (no table copy on SQLite).
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('job', recreate='never') as batch_op:
        batch_op.add_column(sa.Column('claimed_by', sqlmodel.sql.sqltypes.AutoString(length=96), nullable=True))
        batch_op.add_column(sa.Column('lease_until', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('job', recreate='never') as batch_op:
        batch_op.drop_column('lease_until')
        batch_op.drop_column('claimed_by')
