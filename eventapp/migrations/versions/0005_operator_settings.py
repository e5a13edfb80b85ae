"""The operator's settings (one row) and the barrier reports from the accessibility statement.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 21:45:00

"""

import sqlalchemy as sa
from alembic import op

from eventapp.models.base import UTCDateTime

# revision identifiers, used by Alembic.
revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "operator_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("legal_name", sa.String(length=200), nullable=True),
        sa.Column("address", sa.String(length=500), nullable=True),
        sa.Column("representative", sa.String(length=300), nullable=True),
        sa.Column("contact_email", sa.String(length=254), nullable=True),
        sa.Column("contact_phone", sa.String(length=40), nullable=True),
        sa.Column("data_protection_officer", sa.String(length=500), nullable=True),
        sa.Column("supervisory_authority", sa.String(length=500), nullable=True),
        sa.Column("sender_name", sa.String(length=200), nullable=True),
        sa.Column("sender_email", sa.String(length=254), nullable=True),
        sa.Column("reply_to", sa.String(length=254), nullable=True),
        sa.Column("dgs_video_url", sa.String(length=500), nullable=True),
        sa.Column(
            "conformance_status",
            sa.Enum(
                "full",
                "partial",
                "none",
                name="conformance_status",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=True,
        ),
        sa.Column("known_limitations", sa.Text(), nullable=True),
        sa.Column("last_review", sa.Date(), nullable=True),
        sa.Column("enforcement_contact", sa.Text(), nullable=True),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint("id = 1", name=op.f("ck_operator_settings_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operator_settings")),
    )
    op.create_table(
        "barrier_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("page", sa.String(length=500), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("locale", sa.String(length=5), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_barrier_report")),
    )
    with op.batch_alter_table("barrier_report", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_barrier_report_created_at"), ["created_at"], unique=False
        )


def downgrade():
    with op.batch_alter_table("barrier_report", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_barrier_report_created_at"))
    op.drop_table("barrier_report")
    op.drop_table("operator_settings")
