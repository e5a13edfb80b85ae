"""The migrations build the schema the models describe, both ways, on the test database."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import make_url

from eventapp.config import database_url as normalize

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def empty_database(tmp_path) -> Iterator[str]:
    """A new, empty database on the backend under test."""
    server = os.environ.get("TEST_DATABASE_URL")
    if not server:
        yield f"sqlite:///{tmp_path}/migrations.db"
        return
    name = f"eventapp_migrations_{uuid.uuid4().hex[:10]}"
    admin = create_engine(normalize(server, ""), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    yield make_url(normalize(server, "")).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def flask(url: str, *args: str, instance: Path) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": "migration-test",
        "EVENTAPP_INSTANCE_PATH": str(instance),
    }
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def tables(url: str) -> set[str]:
    engine = create_engine(normalize(url, ""))
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


# The day of the events the data migrations' tests write.
DAY = datetime(2027, 5, 16, 7, tzinfo=UTC)


def app_at(url: str, revision: str, instance: Path):
    """The app on a database migrated up to ``revision``, to write rows as they were then."""
    from eventapp import create_app

    assert flask(url, "db", "upgrade", revision, instance=instance).returncode == 0
    return create_app({"SQLALCHEMY_DATABASE_URI": normalize(url, str(instance)), "SECRET_KEY": "x"})


def congress():
    from eventapp.models import Event, EventKind

    return Event(
        kind=EventKind.CONGRESS,
        slug="k",
        title="Kongress",
        starts_at=DAY,
        ends_at=DAY + timedelta(hours=8),
    )


def person(event, n: int, status, **fields):
    from eventapp.models import Registration

    return Registration(
        event=event,
        status=status,
        first_name="Jörg",
        last_name=f"Müller-{n}",
        email=f"p{n}@example.org",
        email_normalized=f"p{n}@example.org",
        privacy_consent_at=DAY,
        privacy_notice_version="2026-11",
        **fields,
    )


@pytest.mark.slow
def test_upgrade_check_downgrade_upgrade_round_trip(empty_database, tmp_path):
    from eventapp.models import Base

    upgrade = flask(empty_database, "db", "upgrade", instance=tmp_path)
    assert upgrade.returncode == 0, upgrade.stderr
    assert tables(empty_database) == set(Base.metadata.tables)

    # The migrations describe exactly what the models declare.
    check = flask(empty_database, "db", "check", instance=tmp_path)
    assert check.returncode == 0, check.stdout + check.stderr

    downgrade = flask(empty_database, "db", "downgrade", "base", instance=tmp_path)
    assert downgrade.returncode == 0, downgrade.stderr
    assert tables(empty_database) == set()

    again = flask(empty_database, "db", "upgrade", instance=tmp_path)
    assert again.returncode == 0, again.stderr
    assert tables(empty_database) == set(Base.metadata.tables)


@pytest.mark.slow
def test_the_mail_control_migration_keeps_the_programme_in_both_directions(
    empty_database, tmp_path
):
    """0007 adds columns to ``event``: on SQLite, copying and dropping that table would
    delete every session with it (ON DELETE CASCADE under foreign keys)."""
    from sqlalchemy import text

    assert flask(empty_database, "db", "upgrade", "0006", instance=tmp_path).returncode == 0
    engine = create_engine(normalize(empty_database, ""))

    def sessions() -> int:
        with engine.connect() as connection:
            return connection.execute(text("SELECT count(*) FROM session")).scalar_one()

    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO event (id, kind, slug, title, summary, description, timezone,"
                    " starts_at, ends_at, venue, address, municipality, meeting_point, status,"
                    " waitlist_enabled, created_at, updated_at) VALUES (1, 'congress', 'k',"
                    " 'Kongress', '', '', 'Europe/Berlin', '2027-05-16 07:00:00',"
                    " '2027-05-16 15:00:00', '', '', '', '', 'published', true,"
                    " '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO session (event_id, title, abstract, kind, starts_at, ends_at,"
                    " status, sequence, created_at, updated_at) VALUES (1, 'Eröffnung', '',"
                    " 'keynote', '2027-05-16 07:00:00', '2027-05-16 08:00:00', 'scheduled', 0,"
                    " '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
                )
            )
        upgrade = flask(empty_database, "db", "upgrade", instance=tmp_path)
        assert upgrade.returncode == 0, upgrade.stderr
        assert sessions() == 1
        with engine.connect() as connection:
            row = connection.execute(
                text("SELECT reminder_enabled, reminder_days_before, thank_you_enabled FROM event")
            ).one()
        assert (bool(row[0]), row[1], bool(row[2])) == (True, 2, False)
        down = flask(empty_database, "db", "downgrade", "0006", instance=tmp_path)
        assert down.returncode == 0, down.stderr
        assert sessions() == 1
    finally:
        engine.dispose()


@pytest.mark.slow
def test_cancelled_registrations_lose_their_workshop_choices(empty_database, tmp_path):
    """0011: the public pages count a workshop's seats from its choices alone."""
    from sqlalchemy import text

    from eventapp.extensions import db
    from eventapp.models import (
        ChoiceStatus,
        RegistrationStatus,
        Session,
        SessionChoice,
        SessionKind,
    )

    app = app_at(empty_database, "0010", tmp_path)
    with app.app_context():
        event = congress()
        workshop = Session(
            event=event,
            title="Werkstatt",
            kind=SessionKind.WORKSHOP,
            starts_at=DAY,
            ends_at=DAY + timedelta(hours=1),
        )
        for n, status in enumerate((RegistrationStatus.CONFIRMED, RegistrationStatus.CANCELLED)):
            choice = SessionChoice(session=workshop, status=ChoiceStatus.CONFIRMED)
            db.session.add(person(event, n, status, choices=[choice]))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()

    upgrade = flask(empty_database, "db", "upgrade", instance=tmp_path)
    assert upgrade.returncode == 0, upgrade.stderr
    engine = create_engine(normalize(empty_database, ""))
    try:
        with engine.connect() as connection:
            left = connection.execute(
                text(
                    "SELECT registration.status FROM session_choice"
                    " JOIN registration ON registration.id = session_choice.registration_id"
                )
            ).scalars()
            assert list(left) == ["confirmed"]
    finally:
        engine.dispose()


@pytest.mark.slow
def test_events_count_their_waiting_people_from_the_migration_on(empty_database, tmp_path):
    """0012: the number of waiting people is filled in for the registrations made before,
    and the database keeps it from then on."""
    from sqlalchemy import text

    from eventapp.extensions import db
    from eventapp.models import Event, RegistrationStatus

    app = app_at(empty_database, "0011", tmp_path)
    statuses = [RegistrationStatus.CONFIRMED] + [RegistrationStatus.WAITLISTED] * 2
    with app.app_context():
        event = congress()
        db.session.add_all([person(event, n, status) for n, status in enumerate(statuses)])
        db.session.commit()
        event_id = event.id
        db.session.remove()
        db.engine.dispose()

    upgrade = flask(empty_database, "db", "upgrade", instance=tmp_path)
    assert upgrade.returncode == 0, upgrade.stderr
    waiting = text("SELECT waiting_count FROM event WHERE id = :id")
    with app.app_context():
        assert db.session.execute(waiting, {"id": event_id}).scalar_one() == 2
        event = db.session.get(Event, event_id)
        db.session.add(person(event, 9, RegistrationStatus.WAITLISTED))
        db.session.commit()
        assert db.session.execute(waiting, {"id": event_id}).scalar_one() == 3
        db.session.remove()
        db.engine.dispose()
