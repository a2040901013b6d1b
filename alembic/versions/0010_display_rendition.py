"""display rendition: a display-size WebP key per image

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 03:20:00

One nullable column on generated_image: the storage key of a ≤ 1600 px WebP that big views (image page,
lightbox) show instead of the original. NULL for older rows and for images no bigger than it: views fall
back to the original. recreate='never' keeps SQLite's prompt search triggers (see 0009). Written by hand,
checked by test_models_match_the_migrations.
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('generated_image', recreate='never') as batch_op:
        batch_op.add_column(sa.Column('display_url', sqlmodel.sql.sqltypes.AutoString(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('generated_image', recreate='never') as batch_op:
        batch_op.drop_column('display_url')
