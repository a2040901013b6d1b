"""billing: stripe events, audit log, subscription fields on user, purchase refunds and invoices

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 20:53:13.240201

Generated with autogenerate on an empty SQLite database at 0003, then reviewed:
- New NOT NULL columns get a server default so existing rows are valid (0 / false).
- `user` and `purchase` are only ever altered in place (recreate='never'): a move-and-copy of `user` on
  SQLite with foreign keys on would DROP the old table, and ON DELETE CASCADE would empty every table that
  points at it. SQLite (3.35+) adds and drops these columns natively; none of them is in a constraint.
- purchase.stripe_invoice_id is unique through a unique index (no table copy needed on SQLite).
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('admin_id', sa.Integer(), nullable=True),
    sa.Column('admin_email', sa.String(length=254), nullable=False),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('target_type', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('target_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['admin_id'], ['user.id'], name='fk_audit_log_admin_id_user', ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name='pk_audit_log')
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index('ix_audit_log_admin_id', ['admin_id'], unique=False)
        batch_op.create_index('ix_audit_log_created_at', ['created_at'], unique=False)
        batch_op.create_index('ix_audit_log_target', ['target_type', 'target_id'], unique=False)

    op.create_table('stripe_event',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('type', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('livemode', sa.Boolean(), nullable=False),
    sa.Column('object_id', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('summary', sa.JSON(), nullable=False),
    sa.Column('applied_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name='fk_stripe_event_user_id_user', ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name='pk_stripe_event')
    )
    with op.batch_alter_table('stripe_event', schema=None) as batch_op:
        batch_op.create_index('ix_stripe_event_applied_at', ['applied_at'], unique=False)
        batch_op.create_index('ix_stripe_event_type_applied', ['type', 'applied_at'], unique=False)
        batch_op.create_index('ix_stripe_event_user_id', ['user_id'], unique=False)

    with op.batch_alter_table('purchase', schema=None, recreate='never') as batch_op:
        batch_op.add_column(sa.Column('stripe_invoice_id', sqlmodel.sql.sqltypes.AutoString(length=255),
                                      nullable=True))
        batch_op.add_column(sa.Column('stripe_subscription_id', sqlmodel.sql.sqltypes.AutoString(length=255),
                                      nullable=True))
        batch_op.add_column(sa.Column('paid_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('refunded_cents', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('credits_refunded', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('refunded_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.create_index('ix_purchase_stripe_invoice_id', ['stripe_invoice_id'], unique=True)
        batch_op.create_index('ix_purchase_user_created', ['user_id', 'created_at'], unique=False)

    with op.batch_alter_table('user', schema=None, recreate='never') as batch_op:
        batch_op.add_column(sa.Column('subscription_plan', sqlmodel.sql.sqltypes.AutoString(length=16),
                                      nullable=True))
        batch_op.add_column(sa.Column('billing_interval', sqlmodel.sql.sqltypes.AutoString(length=8),
                                      nullable=True))
        batch_op.add_column(sa.Column('current_period_start', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('current_period_end', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('cancel_at_period_end', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
        batch_op.add_column(sa.Column('credits_refill_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_user_credits_refill_at'), ['credits_refill_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('user', schema=None, recreate='never') as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_credits_refill_at'))
        batch_op.drop_column('credits_refill_at')
        batch_op.drop_column('cancel_at_period_end')
        batch_op.drop_column('current_period_end')
        batch_op.drop_column('current_period_start')
        batch_op.drop_column('billing_interval')
        batch_op.drop_column('subscription_plan')

    with op.batch_alter_table('purchase', schema=None, recreate='never') as batch_op:
        batch_op.drop_index('ix_purchase_user_created')
        batch_op.drop_index('ix_purchase_stripe_invoice_id')
        batch_op.drop_column('refunded_at')
        batch_op.drop_column('credits_refunded')
        batch_op.drop_column('refunded_cents')
        batch_op.drop_column('paid_at')
        batch_op.drop_column('stripe_subscription_id')
        batch_op.drop_column('stripe_invoice_id')

    with op.batch_alter_table('stripe_event', schema=None) as batch_op:
        batch_op.drop_index('ix_stripe_event_user_id')
        batch_op.drop_index('ix_stripe_event_type_applied')
        batch_op.drop_index('ix_stripe_event_applied_at')

    op.drop_table('stripe_event')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_log_target')
        batch_op.drop_index('ix_audit_log_created_at')
        batch_op.drop_index('ix_audit_log_admin_id')

    op.drop_table('audit_log')
