"""People and their data: corrections and a confirmed new address, groups, the
organizer's own questions, walk-ins, staff scoped to events, password resets and
automatic erasure after a retention period.

As in 0007, columns are added with plain ``ALTER TABLE`` (no table copy on SQLite,
which would cascade-delete the children of event and registration). A group's members
are a table of their own for the same reason: SQLite cannot add a foreign key column to
an existing table without copying it.

Existing rows keep their behaviour: retention 90 days after the end (what the privacy
notice said), groups of up to 10, check-in staff at every event, source unknown ("").
The unique index on active addresses now leaves out registrations without an address
(group members and walk-ins may have none).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 04:10:00

"""

from alembic import op
import sqlalchemy as sa

from eventapp.models.base import UTCDateTime


# revision identifiers, used by Alembic.
revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

ACTIVE = "status != 'cancelled'"
ACTIVE_WITH_ADDRESS = "status != 'cancelled' AND email_normalized != ''"


def _email_index(where: str) -> None:
    op.create_index(
        "uq_registration_active_email",
        "registration",
        ["event_id", "email_normalized"],
        unique=True,
        sqlite_where=sa.text(where),
        postgresql_where=sa.text(where),
    )


def upgrade():
    op.add_column(
        "event", sa.Column("retention_days", sa.Integer(), nullable=False, server_default="90")
    )
    op.add_column(
        "event", sa.Column("personal_data_erased_at", UTCDateTime(timezone=True), nullable=True)
    )
    op.add_column(
        "event", sa.Column("max_group_size", sa.Integer(), nullable=False, server_default="10")
    )
    op.add_column(
        "registration",
        sa.Column("photo_consent_withdrawn_at", UTCDateTime(timezone=True), nullable=True),
    )
    op.add_column(
        "registration",
        sa.Column("source", sa.String(length=20), nullable=False, server_default=""),
    )
    op.add_column(
        "user_account",
        sa.Column("all_events", sa.Boolean(), nullable=False, server_default="1"),
    )
    op.drop_index("uq_registration_active_email", table_name="registration")
    _email_index(ACTIVE_WITH_ADDRESS)

    op.create_table(
        "group_membership",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("leader_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["leader_id"],
            ["registration.id"],
            name=op.f("fk_group_membership_leader_id_registration"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["registration.id"],
            name=op.f("fk_group_membership_member_id_registration"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_group_membership")),
    )
    op.create_index(
        op.f("ix_group_membership_leader_id"), "group_membership", ["leader_id"], unique=False
    )

    op.create_table(
        "email_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registration_id", sa.Integer(), nullable=False),
        sa.Column("new_email", sa.String(length=254), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registration.id"],
            name=op.f("fk_email_change_registration_id_registration"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_change")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_email_change_token_hash")),
    )
    op.create_index(
        op.f("ix_email_change_registration_id"), "email_change", ["registration_id"], unique=False
    )

    op.create_table(
        "password_reset",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_password_reset_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_reset")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_password_reset_token_hash")),
    )
    op.create_index(op.f("ix_password_reset_user_id"), "password_reset", ["user_id"], unique=False)

    op.create_table(
        "staff_event",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["event.id"],
            name=op.f("fk_staff_event_event_id_event"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_staff_event_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "event_id", name=op.f("pk_staff_event")),
    )

    op.create_table(
        "question",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "short_text",
                "long_text",
                "one_choice",
                "many_choices",
                "yes_no",
                name="question_kind",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=300), nullable=False),
        sa.Column("label_en", sa.String(length=300), nullable=False),
        sa.Column("help_text", sa.Text(), nullable=False),
        sa.Column("help_text_en", sa.Text(), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["event.id"], name=op.f("fk_question_event_id_event"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_question")),
    )
    op.create_index(op.f("ix_question_event_id"), "question", ["event_id"], unique=False)

    op.create_table(
        "question_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registration_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["question.id"],
            name=op.f("fk_question_answer_question_id_question"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registration.id"],
            name=op.f("fk_question_answer_registration_id_registration"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_question_answer")),
        sa.UniqueConstraint(
            "registration_id",
            "question_id",
            name=op.f("uq_question_answer_registration_id"),
        ),
    )
    op.create_index(
        op.f("ix_question_answer_question_id"), "question_answer", ["question_id"], unique=False
    )
    op.create_index(
        op.f("ix_question_answer_registration_id"),
        "question_answer",
        ["registration_id"],
        unique=False,
    )


def downgrade():
    op.drop_table("question_answer")
    op.drop_table("question")
    op.drop_table("staff_event")
    op.drop_table("password_reset")
    op.drop_table("email_change")
    op.drop_table("group_membership")
    # Rows without an address would break the old index: give each a unique placeholder.
    op.execute(
        "UPDATE registration SET email_normalized = 'none-' || id WHERE email_normalized = ''"
    )
    op.drop_index("uq_registration_active_email", table_name="registration")
    _email_index(ACTIVE)
    op.drop_column("user_account", "all_events")
    op.drop_column("registration", "source")
    op.drop_column("registration", "photo_consent_withdrawn_at")
    op.drop_column("event", "max_group_size")
    op.drop_column("event", "personal_data_erased_at")
    op.drop_column("event", "retention_days")
