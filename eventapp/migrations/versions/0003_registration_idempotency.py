"""Idempotency keys of the registration API: the first answer per key, replayed for the same body.

Read by hand: the unique (event_id, key) pair is what stops two requests with one key
from both registering; the downgrade drops only this table.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 17:30:00

"""
from alembic import op
import sqlalchemy as sa

from eventapp.models.base import UTCDateTime


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('registration_idempotency_key',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=True),
    sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_registration_idempotency_key_event_id_event'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['registration_id'], ['registration.id'], name=op.f('fk_registration_idempotency_key_registration_id_registration'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_registration_idempotency_key')),
    sa.UniqueConstraint('event_id', 'key', name=op.f('uq_registration_idempotency_key_event_id'))
    )
    with op.batch_alter_table('registration_idempotency_key', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_registration_idempotency_key_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_registration_idempotency_key_registration_id'), ['registration_id'], unique=False)


def downgrade():
    with op.batch_alter_table('registration_idempotency_key', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_registration_idempotency_key_registration_id'))
        batch_op.drop_index(batch_op.f('ix_registration_idempotency_key_created_at'))

    op.drop_table('registration_idempotency_key')
