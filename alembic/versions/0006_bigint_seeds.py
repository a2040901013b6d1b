"""64-bit seeds: Fal returns seeds up to 2**63, PostgreSQL's INTEGER holds 2**31

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 21:00:00

generated_image.seed becomes BIGINT on PostgreSQL (an in-place ALTER; existing values fit). SQLite's
INTEGER already stores 64 bits, so it is left alone: a batch alter would copy the table.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.alter_column('generated_image', 'seed', type_=sa.BigInteger(), existing_type=sa.Integer(),
                        existing_nullable=True)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        # Seeds past 32 bits cannot go back: they become unknown (NULL) rather than wrong.
        op.execute('UPDATE generated_image SET seed = NULL WHERE seed NOT BETWEEN -2147483648 AND 2147483647')
        op.alter_column('generated_image', 'seed', type_=sa.Integer(), existing_type=sa.BigInteger(),
                        existing_nullable=True)
