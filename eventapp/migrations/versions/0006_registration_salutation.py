"""Optional salutation and title of a registration, for mails and badges.

Both columns are empty for everyone who registered before: they are greeted with their
full name ("Guten Tag Anna Müller"), as before.

Revision ID: 0006
Revises: 0004
Create Date: 2026-11-30 21:40:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0006"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("registration") as batch_op:
        batch_op.add_column(
            sa.Column("salutation", sa.String(length=10), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("academic_title", sa.String(length=40), nullable=False, server_default="")
        )


def downgrade():
    with op.batch_alter_table("registration") as batch_op:
        batch_op.drop_column("academic_title")
        batch_op.drop_column("salutation")
