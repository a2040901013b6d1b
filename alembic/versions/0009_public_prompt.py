"""public prompt: whether visitors of a public image see its prompt

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 23:40:00

One boolean column on generated_image, true for every existing row (images shared before this column
existed showed their prompt, so nothing that was visible disappears). recreate='never': on SQLite a
copied table would lose the prompt search triggers (ADD/DROP COLUMN work in place). Written by hand,
checked by test_models_match_the_migrations. 0008 is added on another branch in parallel: re-chain at merge.
"""
from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('generated_image', recreate='never') as batch_op:
        batch_op.add_column(sa.Column('prompt_public', sa.Boolean(), server_default=sa.true(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('generated_image', recreate='never') as batch_op:
        batch_op.drop_column('prompt_public')
