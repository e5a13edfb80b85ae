"""Revocable staff sessions: a per-user session id that changes on logout, password change and deactivation.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 17:30:00

"""
import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_id', sa.String(length=64), nullable=True))

    # Every existing account gets a random id of its own; sessions signed before this
    # migration name users by their numeric id and so end here (staff log in again).
    user_account = sa.table('user_account', sa.column('id', sa.Integer), sa.column('session_id', sa.String))
    connection = op.get_bind()
    for (user_id,) in connection.execute(sa.select(user_account.c.id)).all():
        connection.execute(
            user_account.update()
            .where(user_account.c.id == user_id)
            .values(session_id=secrets.token_urlsafe(32))
        )

    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.alter_column('session_id', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_user_account_session_id'), ['session_id'])


def downgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_user_account_session_id'), type_='unique')
        batch_op.drop_column('session_id')
