"""The data model's invariants hold in the database itself, not only in forms."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from clock import CONGRESS_YEAR
from sqlalchemy.exc import IntegrityError, StatementError

from eventapp.extensions import db
from eventapp.models import (
    Event,
    EventKind,
    Registration,
    RegistrationStatus,
    Room,
    Session,
    SessionKind,
    SessionStatus,
    Track,
)


def _commit_fails(*objects) -> None:
    db.session.add_all(objects)
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_event_slug_is_unique(make_event):
    first = make_event(slug="fachkongress")
    _commit_fails(
        Event(
            kind=EventKind.CONGRESS,
            slug="fachkongress",
            title="Zweiter",
            starts_at=first.starts_at,
            ends_at=first.ends_at,
        )
    )


def test_event_must_end_after_it_starts(app):
    start = datetime(CONGRESS_YEAR, 5, 16, 7, tzinfo=UTC)
    _commit_fails(
        Event(kind=EventKind.SITE_VISIT, slug="x", title="X", starts_at=start, ends_at=start)
    )


@pytest.mark.parametrize("capacity", [0, -5])
def test_event_capacity_must_be_positive(app, capacity):
    start = datetime(CONGRESS_YEAR, 5, 16, 7, tzinfo=UTC)
    _commit_fails(
        Event(
            kind=EventKind.CONGRESS,
            slug="c",
            title="C",
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            capacity=capacity,
        )
    )


def test_session_must_end_after_it_starts_and_have_a_positive_capacity(make_event):
    event = make_event()
    _commit_fails(
        Session(
            event=event,
            title="Rückwärts",
            kind=SessionKind.TALK,
            starts_at=event.starts_at + timedelta(hours=2),
            ends_at=event.starts_at + timedelta(hours=1),
        )
    )
    _commit_fails(
        Session(
            event=event,
            title="Leer",
            kind=SessionKind.WORKSHOP,
            starts_at=event.starts_at,
            ends_at=event.starts_at + timedelta(hours=1),
            capacity=0,
        )
    )


def test_room_capacity_must_be_positive_and_names_unique_per_event(make_event):
    event = make_event()
    _commit_fails(Room(event=event, name="Saal", capacity=0))
    db.session.add(Room(event=event, name="Saal"))
    db.session.commit()
    _commit_fails(Room(event=event, name="Saal"))
    _commit_fails(
        Track(event=event, name="Lebensqualität"), Track(event=event, name="Lebensqualität")
    )


def test_session_needs_an_existing_event(app):
    start = datetime(CONGRESS_YEAR, 5, 16, 7, tzinfo=UTC)
    _commit_fails(
        Session(
            event_id=9999,
            title="Verwaist",
            kind=SessionKind.TALK,
            starts_at=start,
            ends_at=start + timedelta(hours=1),
        )
    )


def test_enum_columns_refuse_unknown_values(make_event):
    event = make_event()
    db.session.execute(db.update(Event).where(Event.id == event.id).values(status="published"))
    db.session.commit()
    with pytest.raises((IntegrityError, StatementError, LookupError)):
        db.session.execute(
            db.text("UPDATE event SET status = 'archived' WHERE id = :id"), {"id": event.id}
        )
        db.session.commit()
    db.session.rollback()


def test_times_come_back_timezone_aware_in_utc(make_event):
    event = make_event()
    event_id = event.id
    db.session.expire_all()
    loaded = db.session.get(Event, event_id)
    assert loaded.starts_at.utcoffset() == timedelta(0)
    assert loaded.local(loaded.starts_at).hour == 9  # 07:00 UTC is 09:00 in May in Berlin


def test_naive_datetimes_are_refused(app):
    naive = datetime(CONGRESS_YEAR, 5, 16, 9)
    db.session.add(
        Event(
            kind=EventKind.CONGRESS,
            slug="naiv",
            title="Naiv",
            starts_at=naive,
            ends_at=naive + timedelta(hours=1),
        )
    )
    with pytest.raises(StatementError):
        db.session.commit()
    db.session.rollback()


def test_sequence_rises_when_time_place_title_or_status_change(make_programme):
    event = make_programme()
    workshop = next(s for s in event.sessions if s.kind == SessionKind.WORKSHOP)
    assert workshop.sequence == 0

    workshop.abstract = "Nur der Text ändert sich."
    db.session.commit()
    assert workshop.sequence == 0

    workshop.starts_at += timedelta(minutes=15)
    workshop.ends_at += timedelta(minutes=15)
    db.session.commit()
    assert workshop.sequence == 1

    workshop.status = SessionStatus.CANCELLED
    db.session.commit()
    assert workshop.sequence == 2


def test_one_active_registration_per_email_and_event(make_event, make_registration):
    event = make_event()
    first = make_registration(event, email="anna@example.org")
    with pytest.raises(IntegrityError):
        make_registration(event, email="Anna@example.org".lower())
    db.session.rollback()

    first = db.session.get(Registration, first.id)
    first.status = RegistrationStatus.CANCELLED
    db.session.commit()
    again = make_registration(event, email="anna@example.org")
    assert again.status == RegistrationStatus.CONFIRMED


def test_tokens_are_random_distinct_and_long(make_event, make_registration):
    event = make_event()
    registration = make_registration(event)
    tokens = {registration.manage_token, registration.ticket_code, registration.calendar_token}
    assert len(tokens) == 3
    for token in tokens:
        assert len(token) >= 22  # ≥ 128 bits in URL-safe base64
        assert str(registration.id) != token
