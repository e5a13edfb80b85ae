"""Organizers in control of mail: reviewed programme changes, sends with a one-time key,
their own introductory texts, opting out of announcements, scheduled reminders and
English content beside the German.

Columns are added with plain ``ALTER TABLE`` on SQLite too: a batch operation would copy
and drop the event table, and dropping it with foreign keys on would delete every
session, track, room and speaker with it (ON DELETE CASCADE). That is also why the
boolean defaults are the constants "1" and "0", which both databases read as true and
false: an expression as a default makes Alembic copy the table.

Every new column has a default that keeps today's behaviour for existing rows: English
texts empty (readers of English see the German), a reminder two days before at 09:00
(as ``mail remind`` sent it), no thank-you mail, nobody opted out.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 23:20:10.424232

"""

from alembic import op
import sqlalchemy as sa

from eventapp.models.base import UTCDateTime  # noqa: F401


# revision identifiers, used by Alembic.
revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "mail_batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("send_key", sa.String(length=64), nullable=False),
        sa.Column("subject_de", sa.String(length=200), nullable=False),
        sa.Column("body_de", sa.Text(), nullable=False),
        sa.Column("subject_en", sa.String(length=200), nullable=False),
        sa.Column("body_en", sa.Text(), nullable=False),
        sa.Column("filters", sa.JSON(), nullable=False),
        sa.Column("recipient_count", sa.Integer(), nullable=False),
        sa.Column("is_test", sa.Boolean(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_mail_batch_created_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["event.id"],
            name=op.f("fk_mail_batch_event_id_event"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_batch")),
        sa.UniqueConstraint("send_key", name=op.f("uq_mail_batch_send_key")),
    )
    with op.batch_alter_table("mail_batch", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mail_batch_event_id"), ["event_id"], unique=False)

    op.create_table(
        "mail_text",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("locale", sa.String(length=5), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"], ["event.id"], name=op.f("fk_mail_text_event_id_event"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["user_account.id"],
            name=op.f("fk_mail_text_updated_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_text")),
        sa.UniqueConstraint("event_id", "kind", "locale", name=op.f("uq_mail_text_event_id")),
    )
    op.create_table(
        "programme_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("before", sa.JSON(), nullable=False),
        sa.Column("after", sa.JSON(), nullable=False),
        sa.Column("audience", sa.JSON(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "pending",
                "sent",
                "dismissed",
                "settled",
                name="notice_state",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_programme_change_created_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["user_account.id"],
            name=op.f("fk_programme_change_decided_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["event.id"],
            name=op.f("fk_programme_change_event_id_event"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programme_change")),
    )
    with op.batch_alter_table("programme_change", schema=None) as batch_op:
        batch_op.create_index("ix_programme_change_pending", ["event_id", "state"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_programme_change_session_id"), ["session_id"], unique=False
        )

    op.add_column(
        "event", sa.Column("title_en", sa.String(length=200), server_default="", nullable=False)
    )
    op.add_column("event", sa.Column("summary_en", sa.Text(), server_default="", nullable=False))
    op.add_column(
        "event", sa.Column("description_en", sa.Text(), server_default="", nullable=False)
    )
    op.add_column(
        "event", sa.Column("reminder_enabled", sa.Boolean(), server_default="1", nullable=False)
    )
    op.add_column(
        "event", sa.Column("reminder_days_before", sa.Integer(), server_default="2", nullable=False)
    )
    op.add_column(
        "event", sa.Column("reminder_time", sa.Time(), server_default="09:00:00", nullable=False)
    )
    op.add_column(
        "event", sa.Column("thank_you_enabled", sa.Boolean(), server_default="0", nullable=False)
    )
    op.add_column(
        "event", sa.Column("slides_url", sa.String(length=500), server_default="", nullable=False)
    )

    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("batch_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_outbox_message_batch_id"), ["batch_id"], unique=False)
        batch_op.create_index("ix_outbox_message_recipient", ["recipient", "status"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_outbox_message_batch_id_mail_batch"),
            "mail_batch",
            ["batch_id"],
            ["id"],
            ondelete="SET NULL",
        )

    op.add_column(
        "registration",
        sa.Column("announcements_stopped_at", UTCDateTime(timezone=True), nullable=True),
    )

    op.add_column(
        "room", sa.Column("name_en", sa.String(length=120), server_default="", nullable=False)
    )

    op.add_column(
        "session", sa.Column("title_en", sa.String(length=200), server_default="", nullable=False)
    )
    op.add_column("session", sa.Column("abstract_en", sa.Text(), server_default="", nullable=False))

    op.add_column(
        "speaker",
        sa.Column("role_title_en", sa.String(length=200), server_default="", nullable=False),
    )
    op.add_column("speaker", sa.Column("bio_en", sa.Text(), server_default="", nullable=False))

    op.add_column(
        "track", sa.Column("name_en", sa.String(length=120), server_default="", nullable=False)
    )


def downgrade():
    op.drop_column("track", "name_en")

    op.drop_column("speaker", "bio_en")
    op.drop_column("speaker", "role_title_en")

    op.drop_column("session", "abstract_en")
    op.drop_column("session", "title_en")

    op.drop_column("room", "name_en")

    op.drop_column("registration", "announcements_stopped_at")

    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_outbox_message_batch_id_mail_batch"), type_="foreignkey"
        )
        batch_op.drop_index("ix_outbox_message_recipient")
        batch_op.drop_index(batch_op.f("ix_outbox_message_batch_id"))
        batch_op.drop_column("batch_id")

    op.drop_column("event", "slides_url")
    op.drop_column("event", "thank_you_enabled")
    op.drop_column("event", "reminder_time")
    op.drop_column("event", "reminder_days_before")
    op.drop_column("event", "reminder_enabled")
    op.drop_column("event", "description_en")
    op.drop_column("event", "summary_en")
    op.drop_column("event", "title_en")

    with op.batch_alter_table("programme_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_programme_change_session_id"))
        batch_op.drop_index("ix_programme_change_pending")

    op.drop_table("programme_change")
    op.drop_table("mail_text")
    with op.batch_alter_table("mail_batch", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mail_batch_event_id"))

    op.drop_table("mail_batch")
