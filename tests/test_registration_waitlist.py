"""Cancelling, promotion from waiting lists, workshop changes and the back-office actions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from clock import CONGRESS_DAY
from sqlalchemy import select

from eventapp.extensions import db
from eventapp.models import (
    ChoiceStatus,
    Registration,
    RegistrationChange,
    RegistrationStatus,
)
from eventapp.registration import services
from eventapp.registration.errors import (
    EventFull,
    InvalidRegistration,
    NoSeatFree,
    NotWaitlisted,
    OverlappingSessions,
    RegistrationClosed,
    RegistrationInactive,
)
from eventapp.registration.services import RegistrationInput

# While registration is open: after today, before the congress.
NOW = CONGRESS_DAY - timedelta(days=30)
LATER = NOW + timedelta(days=1)


pytestmark = pytest.mark.usefixtures("english")


def sign_up(event, n, sessions=(), minutes=0) -> Registration:
    person = RegistrationInput(
        first_name="Jonas",
        last_name=f"Becker-{n}",
        email=f"jonas{n}@example.org",
        consent_privacy=True,
    )
    registration = services.register(
        event, person, list(sessions), "de", now=NOW + timedelta(minutes=minutes or n)
    )
    db.session.commit()
    return registration


def changes(registration, kind=None) -> list[RegistrationChange]:
    query = select(RegistrationChange).where(RegistrationChange.registration_id == registration.id)
    if kind:
        query = query.where(RegistrationChange.kind == kind)
    return db.session.execute(query.order_by(RegistrationChange.id)).scalars().all()


def choice_status(registration, session) -> ChoiceStatus | None:
    db.session.refresh(registration)
    return next((c.status for c in registration.choices if c.session_id == session.id), None)


@pytest.fixture
def workshop_day(make_workshop_day):
    return make_workshop_day(capacity=2)


def test_cancel_promotes_first_waiting_person_of_the_event_at_once(make_event):
    event = make_event(capacity=1)
    holder, first, second = (sign_up(event, n) for n in (1, 2, 3))
    admitted = services.cancel_registration(holder, now=LATER)
    db.session.commit()
    assert admitted == [first]
    assert holder.status == RegistrationStatus.CANCELLED
    assert holder.cancelled_at == LATER
    assert first.status == RegistrationStatus.CONFIRMED
    assert first.promoted_at == first.confirmed_at == LATER
    assert second.status == RegistrationStatus.WAITLISTED
    assert services.waitlist_position(second) == 1
    assert [c.kind for c in changes(holder)] == ["registered", "cancelled"]
    assert changes(holder, "cancelled")[0].detail == {
        "previous_status": "confirmed",
        "sessions": [],
    }
    assert [c.kind for c in changes(first)] == ["registered", "promoted"]


def test_cancelling_a_waiting_person_frees_no_seat(make_event):
    event = make_event(capacity=1)
    holder, waiting, last = (sign_up(event, n) for n in (1, 2, 3))
    assert services.cancel_registration(waiting, now=LATER) == []
    assert holder.status == RegistrationStatus.CONFIRMED
    assert services.waitlist_position(last) == 1


def test_cancel_promotes_first_waiting_person_of_each_freed_workshop(workshop_day):
    event, morning, _, afternoon = workshop_day
    event.capacity = 10
    holder = sign_up(event, 1, [morning.id, afternoon.id])
    waiting = sign_up(event, 2, [morning.id])
    after = sign_up(event, 3, [morning.id])
    assert choice_status(waiting, morning) == ChoiceStatus.WAITLISTED
    services.cancel_registration(holder, actor="admin:office@example.org", now=LATER)
    db.session.commit()
    assert holder.choices == []
    assert choice_status(waiting, morning) == ChoiceStatus.CONFIRMED
    assert waiting.choices[0].promoted_at == LATER
    assert choice_status(after, morning) == ChoiceStatus.WAITLISTED
    assert services.workshop_positions(after) == {morning.id: 1}
    [promotion] = changes(waiting, "session_promoted")
    assert promotion.detail == {"session_id": morning.id}
    assert promotion.actor == "admin:office@example.org"
    assert changes(holder, "cancelled")[0].detail["sessions"] == [
        {"id": morning.id, "status": "confirmed"},
        {"id": afternoon.id, "status": "confirmed"},
    ]


def test_promoted_person_gets_free_workshop_seats_in_the_same_step(workshop_day):
    event, morning, parallel, _ = workshop_day
    event.capacity = 1
    holder = sign_up(event, 1, [parallel.id])
    waiting = sign_up(event, 2, [morning.id])
    assert choice_status(waiting, morning) == ChoiceStatus.WAITLISTED
    services.cancel_registration(holder, now=LATER)
    db.session.commit()
    assert waiting.status == RegistrationStatus.CONFIRMED
    assert choice_status(waiting, morning) == ChoiceStatus.CONFIRMED
    [promoted] = changes(waiting, "promoted")
    assert promoted.detail == {"sessions": [{"id": morning.id, "status": "confirmed"}]}
    assert changes(waiting, "session_promoted") == []


def test_cancelling_twice_is_refused(make_event):
    registration = sign_up(make_event(), 1)
    services.cancel_registration(registration, now=LATER)
    with pytest.raises(RegistrationInactive):
        services.cancel_registration(registration, now=LATER)


def test_change_workshops_keeps_kept_places_and_frees_removed_seats(workshop_day):
    event, morning, parallel, afternoon = workshop_day
    event.capacity = 10
    person = sign_up(event, 1, [morning.id])
    waiting = sign_up(event, 2, [morning.id])
    result = services.change_workshops(person, [parallel.id, afternoon.id], now=LATER)
    db.session.commit()
    assert result == {
        "added": sorted([parallel.id, afternoon.id]),
        "removed": [morning.id],
        "waitlisted": [],
    }
    assert choice_status(person, parallel) == ChoiceStatus.CONFIRMED
    assert choice_status(waiting, morning) == ChoiceStatus.CONFIRMED
    assert changes(person, "workshops_changed")[0].detail == result
    again = services.change_workshops(person, [parallel.id, afternoon.id], now=LATER)
    assert again == {"added": [], "removed": [], "waitlisted": []}
    assert len(changes(person, "workshops_changed")) == 1


def test_change_to_a_full_workshop_waitlists_it(workshop_day):
    event, morning, parallel, _ = workshop_day
    event.capacity = 10
    sign_up(event, 1, [morning.id])
    person = sign_up(event, 2, [parallel.id])
    result = services.change_workshops(person, [morning.id], now=LATER)
    assert result["waitlisted"] == [morning.id]
    assert choice_status(person, morning) == ChoiceStatus.WAITLISTED


def test_change_workshops_follows_the_same_rules(workshop_day, make_event, make_session):
    event, morning, parallel, _ = workshop_day
    person = sign_up(event, 1)
    with pytest.raises(OverlappingSessions):
        services.change_workshops(person, [morning.id, parallel.id], now=LATER)
    with pytest.raises(InvalidRegistration):
        services.change_workshops(person, [make_session(make_event()).id], now=LATER)
    with pytest.raises(RegistrationClosed):
        services.change_workshops(person, [morning.id], now=event.starts_at)
    # Organizers may still change workshops after registration closed.
    services.change_workshops(person, [morning.id], actor="admin:x", now=event.starts_at)
    assert choice_status(person, morning) == ChoiceStatus.CONFIRMED


def test_cancelled_registration_cannot_change_workshops(workshop_day):
    event, morning, _, _ = workshop_day
    person = sign_up(event, 1)
    services.cancel_registration(person, now=LATER)
    with pytest.raises(RegistrationInactive):
        services.change_workshops(person, [morning.id], now=LATER)


def test_move_workshop_frees_the_old_seat_and_refuses_a_full_target(workshop_day):
    event, morning, parallel, afternoon = workshop_day
    event.capacity = 10
    mover = sign_up(event, 1, [morning.id])
    waiting = sign_up(event, 2, [morning.id])
    services.move_workshop(mover, morning.id, parallel.id, actor="admin:x", now=LATER)
    db.session.commit()
    assert choice_status(mover, parallel) == ChoiceStatus.CONFIRMED
    assert choice_status(waiting, morning) == ChoiceStatus.CONFIRMED
    with pytest.raises(EventFull):
        services.move_workshop(waiting, morning.id, parallel.id, actor="admin:x", now=LATER)
    with pytest.raises(InvalidRegistration):
        services.move_workshop(waiting, afternoon.id, parallel.id, actor="admin:x", now=LATER)
    assert changes(mover, "workshops_changed")[0].detail == {
        "added": [parallel.id],
        "removed": [morning.id],
        "waitlisted": [],
    }


def test_manual_promotion_never_overbooks(make_event):
    event = make_event(capacity=1)
    holder, waiting, last = (sign_up(event, n) for n in (1, 2, 3))
    with pytest.raises(NoSeatFree):
        services.promote(waiting, actor="admin:x", now=LATER)
    with pytest.raises(NotWaitlisted):
        services.promote(holder, actor="admin:x", now=LATER)
    event.capacity = 2
    db.session.commit()
    services.promote(last, actor="admin:x", now=LATER)
    db.session.commit()
    assert last.status == RegistrationStatus.CONFIRMED
    assert changes(last, "promoted")[0].actor == "admin:x"
    assert services.seats_left(event) == 0
    assert waiting.status == RegistrationStatus.WAITLISTED


def test_manual_workshop_promotion_needs_a_free_seat(workshop_day):
    event, morning, _, _ = workshop_day
    event.capacity = 10
    sign_up(event, 1, [morning.id])
    waiting = sign_up(event, 2, [morning.id])
    with pytest.raises(NoSeatFree):
        services.promote(waiting, actor="admin:x", session_id=morning.id, now=LATER)
    morning.capacity = 2
    db.session.commit()
    services.promote(waiting, actor="admin:x", session_id=morning.id, now=LATER)
    assert choice_status(waiting, morning) == ChoiceStatus.CONFIRMED
    assert changes(waiting, "session_promoted")[0].detail == {"session_id": morning.id}


def test_raised_capacity_goes_to_those_waiting_before_newcomers(make_event):
    event = make_event(capacity=1)
    sign_up(event, 1)
    waiting = sign_up(event, 2)
    event.capacity = 2
    db.session.commit()
    newcomer = sign_up(event, 3)
    assert waiting.status == RegistrationStatus.CONFIRMED
    assert newcomer.status == RegistrationStatus.WAITLISTED


def test_a_raised_workshop_capacity_goes_to_those_waiting_before_newcomers(make_workshop_day):
    # Raised without the programme's editing (which fills at once): the newcomer's own
    # request lets those waiting for the workshop go first.
    event, morning, *_ = make_workshop_day(capacity=5)
    sign_up(event, 1, [morning.id])
    waiting = sign_up(event, 2, [morning.id])
    morning.capacity = 2
    db.session.commit()
    newcomer = sign_up(event, 3, [morning.id])
    assert choice_status(waiting, morning) == ChoiceStatus.CONFIRMED
    assert choice_status(newcomer, morning) == ChoiceStatus.WAITLISTED


def test_fill_from_waitlist_admits_in_arrival_order(make_event):
    event = make_event(capacity=1)
    people = [sign_up(event, n) for n in range(1, 5)]
    event.capacity = 3
    admitted = services.fill_from_waitlist(event, actor="admin:x", now=LATER)
    assert admitted == people[1:3]
    assert services.waitlist_position(people[3]) == 1
