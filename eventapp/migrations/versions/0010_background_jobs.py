"""Background jobs: badges, certificates and exports made by the worker, with progress.

A new table only, so plain ``create_table`` on SQLite too.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 07:20:00

"""

from alembic import op
import sqlalchemy as sa

from eventapp.models.base import UTCDateTime


# revision identifiers, used by Alembic.
revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "queued",
                "running",
                "done",
                "failed",
                name="job_status",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("progress_done", sa.Integer(), nullable=False),
        sa.Column("progress_total", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("result_file", sa.String(length=120), nullable=True),
        sa.Column("result_name", sa.String(length=200), nullable=False),
        sa.Column("result_type", sa.String(length=100), nullable=False),
        sa.Column("result_size", sa.Integer(), nullable=False),
        sa.Column("claimed_by", sa.String(length=80), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("expires_at", UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "progress_done >= 0 AND progress_total >= 0", name=op.f("ck_job_progress")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_job_created_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["event.id"], name=op.f("fk_job_event_id_event"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job")),
    )
    op.create_index(op.f("ix_job_event_id"), "job", ["event_id"], unique=False)
    op.create_index("ix_job_status_created_at", "job", ["status", "created_at"], unique=False)


def downgrade():
    op.drop_index("ix_job_status_created_at", table_name="job")
    op.drop_index(op.f("ix_job_event_id"), table_name="job")
    op.drop_table("job")
