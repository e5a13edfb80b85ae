"""The door never stops: exit scans and who is inside, offline scans sent later, the
check-in data's delta versions, attention notes, maximum occupancy and attendance
certificates.

Plain ``ALTER TABLE`` on SQLite as in 0007 and 0008 (no table copies). The unique
certificate code is a unique index, which SQLite can add to an existing table.

Existing rows: every check-in counts as inside (nobody has left), every scan as an
online entry scan, no notes, no maximum occupancy, versions 0 (a scanner's first
download is a full one), no certificate codes yet.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 05:00:00

"""

from alembic import op
import sqlalchemy as sa

from eventapp.models.base import UTCDateTime


# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("check_in", sa.Column("left_at", UTCDateTime(timezone=True), nullable=True))
    op.add_column(
        "scan_log",
        sa.Column("direction", sa.String(length=10), nullable=False, server_default="entry"),
    )
    op.add_column("scan_log", sa.Column("scanned_at", UTCDateTime(timezone=True), nullable=True))
    op.add_column(
        "scan_log", sa.Column("offline", sa.Boolean(), nullable=False, server_default="0")
    )
    op.add_column(
        "scan_log", sa.Column("duplicate", sa.Boolean(), nullable=False, server_default="0")
    )
    op.add_column(
        "registration",
        sa.Column("attention_note", sa.String(length=300), nullable=False, server_default=""),
    )
    op.add_column(
        "registration",
        sa.Column("door_version", sa.BigInteger(), nullable=False, server_default="0"),
    )
    op.add_column(
        "registration", sa.Column("certificate_code", sa.String(length=64), nullable=True)
    )
    op.create_index(
        "uq_registration_certificate_code", "registration", ["certificate_code"], unique=True
    )
    op.add_column("event", sa.Column("max_occupancy", sa.Integer(), nullable=True))
    op.add_column(
        "event", sa.Column("door_version", sa.BigInteger(), nullable=False, server_default="0")
    )
    op.add_column("room", sa.Column("max_occupancy", sa.Integer(), nullable=True))
    for name, column in (
        ("certificate_signer_name", sa.String(length=200)),
        ("certificate_signer_role", sa.String(length=200)),
        ("certificate_signature", sa.LargeBinary()),
        ("certificate_signature_type", sa.String(length=40)),
    ):
        op.add_column("operator_settings", sa.Column(name, column, nullable=True))


def downgrade():
    for name in (
        "certificate_signature_type",
        "certificate_signature",
        "certificate_signer_role",
        "certificate_signer_name",
    ):
        op.drop_column("operator_settings", name)
    op.drop_column("room", "max_occupancy")
    op.drop_column("event", "door_version")
    op.drop_column("event", "max_occupancy")
    op.drop_index("uq_registration_certificate_code", table_name="registration")
    op.drop_column("registration", "certificate_code")
    op.drop_column("registration", "door_version")
    op.drop_column("registration", "attention_note")
    op.drop_column("scan_log", "duplicate")
    op.drop_column("scan_log", "offline")
    op.drop_column("scan_log", "scanned_at")
    op.drop_column("scan_log", "direction")
    op.drop_column("check_in", "left_at")
