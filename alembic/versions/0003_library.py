"""library: favourites, share tokens, collections, likes, gallery indexes and prompt search

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 20:30:42.582098

Prompt search differs per database and is created here only where it belongs:
- PostgreSQL: a GIN index on to_tsvector('simple', prompt) (also declared on the model, with ddl_if).
- SQLite: an FTS5 table with external content (generated_image_fts) kept in sync by triggers, then
  rebuilt from the existing rows. Autogenerate ignores it (alembic/env.py). Its statements are copied from
  palett.models.library on purpose: a migration must not change when the app code does.

Note for later migrations: a batch (move-and-copy) alter of generated_image on SQLite drops the table's
triggers; re-run the FTS statements below after such a batch.
"""
import secrets
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE_SEARCH_DDL = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS generated_image_fts USING fts5("
    "prompt, content='generated_image', content_rowid='id')",
    "CREATE TRIGGER IF NOT EXISTS generated_image_fts_ai AFTER INSERT ON generated_image BEGIN "
    "INSERT INTO generated_image_fts(rowid, prompt) VALUES (new.id, new.prompt); END",
    "CREATE TRIGGER IF NOT EXISTS generated_image_fts_ad AFTER DELETE ON generated_image BEGIN "
    "INSERT INTO generated_image_fts(generated_image_fts, rowid, prompt) VALUES ('delete', old.id, old.prompt); END",
    "CREATE TRIGGER IF NOT EXISTS generated_image_fts_au AFTER UPDATE OF prompt ON generated_image BEGIN "
    "INSERT INTO generated_image_fts(generated_image_fts, rowid, prompt) VALUES ('delete', old.id, old.prompt); "
    "INSERT INTO generated_image_fts(rowid, prompt) VALUES (new.id, new.prompt); END",
    "INSERT INTO generated_image_fts(generated_image_fts) VALUES ('rebuild')",
)
SQLITE_SEARCH_DROP = (
    "DROP TRIGGER IF EXISTS generated_image_fts_au",
    "DROP TRIGGER IF EXISTS generated_image_fts_ad",
    "DROP TRIGGER IF EXISTS generated_image_fts_ai",
    "DROP TABLE IF EXISTS generated_image_fts",
)
PG_SEARCH_INDEX = "ix_generated_image_prompt_search"


def upgrade() -> None:
    op.create_table('collection',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name='fk_collection_user_id_user', ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name='pk_collection'),
    sa.UniqueConstraint('user_id', 'name', name='uq_collection_user_name')
    )
    op.create_table('collection_image',
    sa.Column('collection_id', sa.Integer(), nullable=False),
    sa.Column('image_id', sa.Integer(), nullable=False),
    sa.Column('added_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['collection_id'], ['collection.id'],
                            name='fk_collection_image_collection_id_collection', ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['image_id'], ['generated_image.id'],
                            name='fk_collection_image_image_id_generated_image', ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('collection_id', 'image_id', name='pk_collection_image')
    )
    with op.batch_alter_table('collection_image', schema=None) as batch_op:
        batch_op.create_index('ix_collection_image_collection_added', ['collection_id', 'added_at'], unique=False)
        batch_op.create_index('ix_collection_image_image_id', ['image_id'], unique=False)

    op.create_table('image_like',
    sa.Column('image_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['image_id'], ['generated_image.id'],
                            name='fk_image_like_image_id_generated_image', ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name='fk_image_like_user_id_user', ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('image_id', 'user_id', name='pk_image_like')
    )
    with op.batch_alter_table('image_like', schema=None) as batch_op:
        batch_op.create_index('ix_image_like_user_id', ['user_id'], unique=False)

    # Existing rows get favorite = false through the server default.
    with op.batch_alter_table('generated_image', schema=None) as batch_op:
        batch_op.add_column(sa.Column('share_token', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column('favorite', sa.Boolean(), server_default=sa.false(), nullable=False))
        # The keyset order is (created_at, id): both gallery indexes gain `id`.
        batch_op.drop_index('ix_generated_image_public_created')
        batch_op.create_index('ix_generated_image_public_created', ['is_public', 'created_at', 'id'], unique=False)
        batch_op.drop_index('ix_generated_image_user_created')
        batch_op.create_index('ix_generated_image_user_created', ['user_id', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_generated_image_public_likes', ['is_public', 'likes', 'id'], unique=False)
        batch_op.create_index('ix_generated_image_user_favorite', ['user_id', 'favorite', 'created_at', 'id'],
                              unique=False)
        batch_op.create_index('ix_generated_image_user_model', ['user_id', 'model', 'created_at', 'id'],
                              unique=False)
        batch_op.create_index('ix_generated_image_user_operation', ['user_id', 'operation', 'created_at', 'id'],
                              unique=False)
        batch_op.create_index('ix_generated_image_user_public', ['user_id', 'is_public', 'created_at', 'id'],
                              unique=False)
        batch_op.create_unique_constraint('uq_generated_image_share_token', ['share_token'])

    _give_public_images_a_share_token()

    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        op.create_index(PG_SEARCH_INDEX, 'generated_image', [sa.text("to_tsvector('simple', prompt)")],
                        unique=False, postgresql_using='gin')
    elif bind.dialect.name == 'sqlite':
        for statement in SQLITE_SEARCH_DDL:
            op.execute(statement)


def _give_public_images_a_share_token() -> None:
    """Images that were public before share links existed keep working: each gets its own token."""
    images = sa.table('generated_image', sa.column('id', sa.Integer()), sa.column('is_public', sa.Boolean()),
                      sa.column('share_token', sa.String()))
    bind = op.get_bind()
    ids = bind.execute(sa.select(images.c.id).where(images.c.is_public.is_(True))).scalars().all()
    for image_id in ids:
        bind.execute(images.update().where(images.c.id == image_id).values(share_token=secrets.token_urlsafe(16)))


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        op.drop_index(PG_SEARCH_INDEX, table_name='generated_image')
    elif bind.dialect.name == 'sqlite':
        for statement in SQLITE_SEARCH_DROP:
            op.execute(statement)

    with op.batch_alter_table('generated_image', schema=None) as batch_op:
        batch_op.drop_constraint('uq_generated_image_share_token', type_='unique')
        batch_op.drop_index('ix_generated_image_user_public')
        batch_op.drop_index('ix_generated_image_user_operation')
        batch_op.drop_index('ix_generated_image_user_model')
        batch_op.drop_index('ix_generated_image_user_favorite')
        batch_op.drop_index('ix_generated_image_public_likes')
        batch_op.drop_index('ix_generated_image_user_created')
        batch_op.create_index('ix_generated_image_user_created', ['user_id', 'created_at'], unique=False)
        batch_op.drop_index('ix_generated_image_public_created')
        batch_op.create_index('ix_generated_image_public_created', ['is_public', 'created_at'], unique=False)
        batch_op.drop_column('favorite')
        batch_op.drop_column('share_token')

    with op.batch_alter_table('image_like', schema=None) as batch_op:
        batch_op.drop_index('ix_image_like_user_id')

    op.drop_table('image_like')
    with op.batch_alter_table('collection_image', schema=None) as batch_op:
        batch_op.drop_index('ix_collection_image_image_id')
        batch_op.drop_index('ix_collection_image_collection_added')

    op.drop_table('collection_image')
    op.drop_table('collection')
