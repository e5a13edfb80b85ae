"""A cancelled registration holds no workshop choices.

Cancelling has always cleared the registration's choices; this removes any left from
data written another way, so that a workshop's seats are counted from its choices alone
(the public pages count them on every request).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 11:30:00

"""

from alembic import op


# revision identifiers, used by Alembic.
revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    op.execute(
        "DELETE FROM session_choice WHERE registration_id IN "
        "(SELECT id FROM registration WHERE status = 'cancelled')"
    )


def downgrade():
    # Nothing to restore: the choices of cancelled registrations held no seats.
    pass
