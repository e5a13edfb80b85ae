"""A registration reads before it locks, writes without a flush, and stays correct.

The API looks the event up before the event lock (``database.lock_late``); the seat
decision sees what changed meanwhile. The rows are written with one INSERT per table
(``database.insert_new``) and still carry what the flush listeners gave them.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from clock import CONGRESS_DAY
from sqlalchemy import event as sa_event
from sqlalchemy import func, select, update

from eventapp.database import begin_writing, lock_late
from eventapp.extensions import db
from eventapp.models import (
    ChangeKind,
    ChoiceStatus,
    Event,
    OutboxMessage,
    Registration,
    RegistrationChange,
    RegistrationStatus,
    Session,
    SessionChoice,
    SessionStatus,
)
from eventapp.registration import waitlist
from eventapp.registration.errors import InvalidRegistration
from eventapp.registration.services import RegistrationInput, register
from eventapp.registration.waitlist import lock_event

NOW = CONGRESS_DAY - timedelta(days=30)

pytestmark = pytest.mark.usefixtures("english")


def person(n: int) -> RegistrationInput:
    return RegistrationInput(
        salutation="",
        academic_title="",
        first_name="Gisela",
        last_name=f"Schäfer-{n}",
        email=f"gisela{n}@example.org",
        consent_privacy=True,
    )


def _change_elsewhere(statement) -> None:
    """Commit ``statement`` on a connection of its own, as another request would."""
    with db.engine.begin() as connection:
        connection.execute(statement)


def test_a_capacity_lowered_after_the_lookup_is_seen_under_the_lock(make_event):
    event = make_event(capacity=5)
    register(event, person(0), [], "de", NOW)
    db.session.commit()
    event_id = event.id
    db.session.remove()
    with lock_late():
        event = db.session.get(Event, event_id)
        assert event.capacity == 5
        # An organizer takes the free seats away between this request's lookup and its lock.
        _change_elsewhere(update(Event).where(Event.id == event_id).values(capacity=1))
        registration = register(event, person(1), [], "de", NOW)
        db.session.commit()
    assert registration.status == RegistrationStatus.WAITLISTED


@pytest.mark.parametrize("event_changed_too", [False, True])
def test_a_workshop_called_off_after_it_was_read_is_seen_under_the_lock(
    make_event, make_session, monkeypatch, event_changed_too
):
    """PostgreSQL reads the chosen workshops before the event lock, and sends the lock
    and the counts together (``waitlist.lock_for_newcomer``): a workshop called off in
    between is read again under the lock, also when the event changed as well. SQLite
    reads the workshops under its write lock; there the workshop is called off just
    before that lock."""
    event = make_event(capacity=10)
    event_id, workshop_id = event.id, make_session(event, capacity=5).id
    db.session.remove()
    locking = "pipelined" if db.engine.dialect.name == "postgresql" else "lock_event"
    lock = getattr(waitlist, locking)

    def called_off_first(*args, **kwargs):
        _change_elsewhere(
            update(Session).where(Session.id == workshop_id).values(status=SessionStatus.CANCELLED)
        )
        if event_changed_too:
            _change_elsewhere(update(Event).where(Event.id == event_id).values(capacity=20))
        return lock(*args, **kwargs)

    monkeypatch.setattr(waitlist, locking, called_off_first)
    with lock_late():
        event = db.session.get(Event, event_id)
        with pytest.raises(InvalidRegistration) as refused:
            register(event, person(1), [workshop_id], "de", NOW)
        db.session.rollback()
    assert refused.value.field == "session_ids"
    assert db.session.scalar(select(func.count(Registration.id))) == 0


def test_an_unchanged_event_is_locked_without_reading_its_row_again(make_event):
    """Under the lock only the event's stamp is read: reading the whole row into the
    object again cost PostgreSQL more than every other statement there."""
    event_id = make_event(capacity=5).id
    db.session.remove()
    statements: list[str] = []

    def record(_connection, _cursor, statement, *_args):
        statements.append(statement)

    with lock_late():
        event = db.session.get(Event, event_id)
        sa_event.listen(db.engine, "before_cursor_execute", record)
        try:
            locked = lock_event(event_id)
        finally:
            sa_event.remove(db.engine, "before_cursor_execute", record)
        assert locked is event
        assert locked.capacity == 5
        db.session.rollback()
    reads = [s for s in statements if s.lstrip().startswith("SELECT")]
    assert len(reads) == 1
    assert "updated_at" in reads[0] and "event.title" not in reads[0]
    if db.engine.dialect.name == "postgresql":
        assert "FOR UPDATE" in reads[0]


def test_lock_late_reads_without_the_lock_and_says_so_under_it(make_event):
    event_id = make_event().id
    db.session.remove()
    sqlite = db.engine.dialect.name == "sqlite"
    with lock_late():
        db.session.get(Event, event_id)
        if sqlite:
            # Nothing is locked yet: another writer gets through at once.
            _change_elsewhere(update(Event).where(Event.id == event_id).values(capacity=7))
        # Whoever asks under the lock learns that the event was read before it.
        assert begin_writing() is sqlite
        assert begin_writing() is sqlite
        db.session.rollback()
    # Taken up front, the lock covers every read.
    db.session.get(Event, event_id)
    assert begin_writing() is False
    db.session.rollback()


def test_a_write_that_took_the_lock_late_still_counts_as_late(make_event):
    """A write before the seat decision (an idempotency key's claim) takes the lock: the
    event read before it must still be checked."""
    event_id = make_event().id
    db.session.remove()
    with lock_late():
        db.session.get(Event, event_id)
        db.session.execute(update(Event).where(Event.id == event_id).values(capacity=9))
        assert begin_writing() is (db.engine.dialect.name == "sqlite")
        db.session.rollback()


def test_two_workshops_get_their_own_rows_and_the_flush_listeners_work(make_event, make_session):
    event = make_event(capacity=10)
    morning = make_session(event, title="Morgen", capacity=1)
    afternoon = make_session(
        event,
        title="Nachmittag",
        starts_at=event.starts_at + timedelta(hours=5),
        ends_at=event.starts_at + timedelta(hours=6),
        capacity=5,
    )
    chosen = [afternoon.id, morning.id]
    first = register(event, person(1), [morning.id], "de", NOW)
    db.session.commit()
    registration = register(event, person(2), chosen, "de", NOW)
    db.session.commit()
    registration_id, door_version = registration.id, registration.door_version
    morning_id, afternoon_id, first_id = morning.id, afternoon.id, first.id
    db.session.remove()

    rows = db.session.execute(
        select(SessionChoice.id, SessionChoice.session_id, SessionChoice.status).where(
            SessionChoice.registration_id == registration_id
        )
    ).all()
    statuses = {session_id: status for _id, session_id, status in rows}
    assert statuses == {morning_id: ChoiceStatus.WAITLISTED, afternoon_id: ChoiceStatus.CONFIRMED}
    # Each object kept the id of its own row.
    loaded = db.session.get(Registration, registration_id)
    assert {(c.id, c.session_id) for c in loaded.choices} == {(i, s) for i, s, _ in rows}
    assert door_version > 0
    assert loaded.door_version == door_version
    assert loaded.ticket_code and loaded.manage_token and loaded.calendar_token
    assert loaded.ticket_code != db.session.get(Registration, first_id).ticket_code
    change = db.session.execute(
        select(RegistrationChange).where(RegistrationChange.registration_id == registration_id)
    ).scalar_one()
    assert change.kind == ChangeKind.REGISTERED
    assert change.detail["sessions"] == [
        {"id": morning_id, "status": "waitlisted"},
        {"id": afternoon_id, "status": "confirmed"},
    ]
    mail = db.session.execute(
        select(OutboxMessage).where(OutboxMessage.registration_id == registration_id)
    ).scalar_one()
    assert mail.recipient == "gisela2@example.org"
    assert mail.kind == "registration_confirmed"
