"""Migration 0004 brings addresses stored under the old rule into the normal form."""

from __future__ import annotations

import unicodedata
from datetime import timedelta

import pytest
from clock import CONGRESS_DAY
from sqlalchemy import MetaData, create_engine, insert, select
from test_migrations import empty_database, flask  # noqa: F401  (fixture)

from eventapp.config import database_url as normalize
from eventapp.models import Event, Registration, User

NFD_JOERG = unicodedata.normalize("NFD", "jörg.müller@example.org")
START = CONGRESS_DAY


def _registration(event_id: int, email: str, key: str, status: str = "confirmed") -> dict:
    return {
        "event_id": event_id,
        "status": status,
        "first_name": "Jörg",
        "last_name": "Müller",
        "email": email,
        "email_normalized": key,
    }


@pytest.mark.slow
def test_stored_addresses_get_the_new_normal_form_and_collisions_are_left_alone(
    empty_database,  # noqa: F811
    tmp_path,
):
    assert flask(empty_database, "db", "upgrade", "0003", instance=tmp_path).returncode == 0
    engine = create_engine(normalize(empty_database, ""))
    # The tables as they were at 0003: today's models have columns later migrations add.
    then = MetaData()
    then.reflect(engine, only=[Event.__tablename__, Registration.__tablename__, User.__tablename__])
    event, registration, user = (
        then.tables["event"],
        then.tables["registration"],
        then.tables["user_account"],
    )

    # Reflected tables have no Python-side defaults: take the model's, row by row
    # (tokens must differ), for the columns the table had then.
    def with_defaults(model, table, row: dict) -> dict:
        values = {
            column.name: column.default.arg(None)
            if callable(column.default.arg)
            else column.default.arg
            for column in model.__table__.columns
            if column.default is not None and column.name in table.c
        }
        return {**values, **row}

    try:
        with engine.begin() as connection:
            event_id = connection.execute(
                insert(event).values(
                    with_defaults(
                        Event,
                        event,
                        {
                            "kind": "congress",
                            "slug": "kongress",
                            "title": "Fachkongress",
                            "starts_at": START,
                            "ends_at": START + timedelta(hours=8),
                            "capacity": 100,
                            "status": "published",
                        },
                    )
                )
            ).inserted_primary_key[0]
            rows = [
                # What the old rule (strip and lower) stored for three spellings.
                _registration(event_id, NFD_JOERG, NFD_JOERG),
                _registration(event_id, "Karl@EXAMPLE.org", "karl@example.org"),
                _registration(event_id, "\u212aarl@example.org", "\u212aarl@example.org"),
                _registration(event_id, "anna@xn--exmple-cua.org", "anna@xn--exmple-cua.org"),
            ]

            ids = [
                connection.execute(
                    insert(registration).values(with_defaults(Registration, registration, r))
                ).inserted_primary_key[0]
                for r in rows
            ]
            connection.execute(
                insert(user).values(
                    with_defaults(
                        User,
                        user,
                        {
                            "email": "\u212aarl@example.org",
                            "password_hash": "x",
                            "role": "admin",
                            "session_id": "s" * 43,
                        },
                    )
                )
            )

        upgrade = flask(empty_database, "db", "upgrade", instance=tmp_path)
        assert upgrade.returncode == 0, upgrade.stderr

        with engine.connect() as connection:
            stored = {
                row.id: (row.email, row.email_normalized)
                for row in connection.execute(select(registration))
            }
            account = connection.execute(select(user.c.email)).scalar_one()
        joerg, karl, kelvin, anna = ids
        assert stored[joerg] == ("jörg.müller@example.org", "jörg.müller@example.org")
        assert stored[karl] == ("Karl@example.org", "karl@example.org")
        # The Kelvin-sign spelling is the same person as Karl: it would break the unique
        # index, so it stays as it was and is reported for an organizer to resolve.
        assert stored[kelvin] == ("\u212aarl@example.org", "\u212aarl@example.org")
        assert "registration" in upgrade.stdout and str(kelvin) in upgrade.stdout
        assert stored[anna] == ("anna@exämple.org", "anna@exämple.org")
        assert account == "karl@example.org"
    finally:
        engine.dispose()
