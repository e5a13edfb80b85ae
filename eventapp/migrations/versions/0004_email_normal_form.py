"""Bring stored e-mail addresses into the normal form that registration and login now use.

Registrations get their comparison key recomputed (Unicode normalisation, case folding,
IDNA domains) and their address in the validator's normal form; organizer accounts get
the key as their address. A row whose new key would collide with another active
registration of the same event (the same person registered twice under two spellings)
or another account is left as it was and reported, for an organizer to resolve: no
registration is cancelled and no account merged behind anyone's back. Anonymised rows
(no valid address) keep their values. The downgrade keeps the new forms: they are
valid addresses under the old rules too.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 18:50:00

"""

from alembic import op
import sqlalchemy as sa

from eventapp.text import InvalidEmail, parse_email


# revision identifiers, used by Alembic.
revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _report(message: str) -> None:
    print(f"0004_email_normal_form: {message}")


def _registrations(connection) -> None:
    rows = connection.execute(
        sa.text("SELECT id, event_id, email, email_normalized, status FROM registration")
    ).all()
    taken = {(r.event_id, r.email_normalized) for r in rows if r.status != "cancelled"}
    for row in rows:
        try:
            parsed = parse_email(row.email)
        except InvalidEmail:
            continue
        if parsed.address == row.email and parsed.key == row.email_normalized:
            continue
        active = row.status != "cancelled"
        if active and parsed.key != row.email_normalized and (row.event_id, parsed.key) in taken:
            _report(
                f"registration {row.id} left unchanged: another active registration of "
                f"event {row.event_id} has the address {parsed.key}"
            )
            continue
        if active:
            taken.discard((row.event_id, row.email_normalized))
            taken.add((row.event_id, parsed.key))
        connection.execute(
            sa.text(
                "UPDATE registration SET email = :email, email_normalized = :key WHERE id = :id"
            ),
            {"email": parsed.address, "key": parsed.key, "id": row.id},
        )


def _accounts(connection) -> None:
    rows = connection.execute(sa.text("SELECT id, email FROM user_account")).all()
    taken = {r.email for r in rows}
    for row in rows:
        try:
            key = parse_email(row.email).key
        except InvalidEmail:
            continue
        if key == row.email:
            continue
        if key in taken:
            _report(f"account {row.id} left unchanged: another account has the address {key}")
            continue
        taken.discard(row.email)
        taken.add(key)
        connection.execute(
            sa.text("UPDATE user_account SET email = :email WHERE id = :id"),
            {"email": key, "id": row.id},
        )


def upgrade():
    connection = op.get_bind()
    _registrations(connection)
    _accounts(connection)


def downgrade():
    pass
