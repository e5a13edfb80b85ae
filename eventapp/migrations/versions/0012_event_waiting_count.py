"""An event keeps the number of its registrations on the waiting list.

A newcomer's place on the waiting list was counted from the whole list, in every answer
to a registration that found no seat: the longer the list, the dearer each answer. The
number is now kept on the event row by triggers on ``registration``, for every way a
registration's status changes, and read with the event's lock.

The column is added and dropped with plain ``ALTER TABLE`` on SQLite too: a batch
operation would copy and drop the event table, and with it (ON DELETE CASCADE) the
programme (see 0007).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 11:00:00

"""

import sqlalchemy as sa
from alembic import op

from eventapp.models.registration import create_waiting_count_triggers

# revision identifiers, used by Alembic.
revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        "event", sa.Column("waiting_count", sa.Integer(), nullable=False, server_default="0")
    )
    op.execute(
        "UPDATE event SET waiting_count = (SELECT count(*) FROM registration"
        " WHERE registration.event_id = event.id AND registration.status = 'waitlisted')"
    )
    create_waiting_count_triggers(op.get_bind())


def downgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    for kind in ("insert", "update", "delete"):
        name = f"registration_waiting_count_{kind}"
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + (" ON registration" if postgresql else ""))
    if postgresql:
        op.execute("DROP FUNCTION IF EXISTS registration_waiting_count()")
    op.drop_column("event", "waiting_count")
