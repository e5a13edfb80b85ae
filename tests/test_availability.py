"""The availability read model: seats, waiting lists, the registration window, visibility."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event as sa_event
from support import api_headers, choose

from eventapp.extensions import db
from eventapp.models import ChoiceStatus, EventStatus, RegistrationStatus, Role, SessionKind
from eventapp.registration import availability
from eventapp.registration.availability import RegistrationWindow


@pytest.fixture
def booked(make_programme, make_registration):
    """A congress of 3 seats: 2 confirmed, 1 waiting, 1 cancelled; workshop A full-ish."""
    event = make_programme(capacity=3)
    keynote, workshop_a, workshop_b = sorted(event.sessions, key=lambda s: (s.starts_at, s.id))
    first = make_registration(event)
    second = make_registration(event)
    waiting = make_registration(event, status=RegistrationStatus.WAITLISTED)
    make_registration(event, status=RegistrationStatus.CANCELLED)
    choose(first, workshop_a)
    choose(second, workshop_a, ChoiceStatus.WAITLISTED)
    choose(waiting, workshop_b, ChoiceStatus.WAITLISTED)
    return event, keynote, workshop_a, workshop_b


def test_event_numbers_count_seats_waiting_lists_and_sessions(app, booked):
    event, keynote, workshop_a, workshop_b = booked

    numbers = availability.event_availability(event)

    assert (numbers.confirmed, numbers.waitlisted, numbers.cancelled) == (2, 1, 1)
    assert numbers.active == 3
    assert numbers.left == 1
    assert numbers.registration_open and numbers.visible
    assert numbers.sessions[workshop_a.id] == availability.SessionSeats(30, 1, 1)
    assert numbers.sessions[workshop_b.id] == availability.SessionSeats(25, 0, 1)
    assert numbers.session_seats_left == {keynote.id: None, workshop_a.id: 29, workshop_b.id: 25}


def test_seats_left_never_go_below_zero_and_none_means_no_limit(app, make_event, make_registration):
    full = make_event(capacity=1)
    make_registration(full)
    make_registration(full)  # written past the rules, as an organizer may have done
    unlimited = make_event(capacity=None)
    make_registration(unlimited)

    counted = availability.availability_of([full, unlimited])

    assert counted[full.id].left == 0
    assert counted[unlimited.id].left is None
    assert availability.seats_left(full) == 0
    assert availability.seats_left(unlimited) is None


def test_the_locked_path_counts_what_the_read_model_shows(app, booked):
    event, _, workshop_a, workshop_b = booked
    numbers = availability.event_availability(event)

    assert availability.seats_left(event) == numbers.left
    assert availability.confirmed_count(event.id) == numbers.confirmed
    assert availability.session_seats_left(workshop_a) == numbers.sessions[workshop_a.id].left
    assert availability.session_seat_counts([workshop_a.id, workshop_b.id]) == {
        workshop_a.id: 1,
        workshop_b.id: 0,
    }


@pytest.mark.parametrize(
    ("fields", "window"),
    [
        ({}, RegistrationWindow.OPEN),
        ({"status": EventStatus.DRAFT}, RegistrationWindow.DRAFT),
        ({"status": EventStatus.CANCELLED}, RegistrationWindow.CANCELLED),
        ({"registration_opens_at": "tomorrow"}, RegistrationWindow.NOT_YET_OPEN),
        ({"registration_closes_at": "yesterday"}, RegistrationWindow.CLOSED),
        ({"registration_opens_at": None, "registration_closes_at": None}, RegistrationWindow.OPEN),
    ],
)
def test_registration_window_states(app, make_event, fields, window):
    now = datetime.now(UTC)
    moments = {"tomorrow": now + timedelta(days=1), "yesterday": now - timedelta(days=1)}
    event = make_event(**{key: moments.get(value, value) for key, value in fields.items()})

    numbers = availability.event_availability(event, now)

    assert availability.registration_window(event, now) is window
    assert numbers.window is window
    assert numbers.registration_open is (window is RegistrationWindow.OPEN)
    assert numbers.visible is (window is not RegistrationWindow.DRAFT)


def test_registration_closes_when_the_event_starts_without_a_closing_time(app, make_event):
    event = make_event(registration_closes_at=None)

    assert availability.registration_open(event, event.starts_at - timedelta(seconds=1))
    assert not availability.registration_open(event, event.starts_at)


def test_window_is_decided_without_a_request(app, make_event):
    # The decision needs no locale, so the CLI and mail workers can ask it.
    event = make_event(registration_opens_at=datetime.now(UTC) + timedelta(days=1))

    assert availability.registration_window(event) is RegistrationWindow.NOT_YET_OPEN


def test_a_list_of_events_is_counted_in_a_fixed_number_of_queries(
    app, make_programme, make_registration
):
    events = [make_programme() for _ in range(5)]
    for event in events:
        make_registration(event)
    db.session.expire_all()
    events = [db.session.get(type(events[0]), event.id) for event in events]

    def queries_for(batch) -> int:
        statements: list[str] = []

        def count(*args) -> None:
            statements.append(args[2])

        sa_event.listen(db.engine, "before_cursor_execute", count)
        try:
            availability.availability_of(batch)
        finally:
            sa_event.remove(db.engine, "before_cursor_execute", count)
        return len(statements)

    assert queries_for(events[:1]) == queries_for(events) <= 3


def test_door_counts_confirmed_and_back_office_counts_active(
    app, client, booked, make_user, admin_client
):
    # The two screens say "registered" for different things; both come from one count.
    event, *_ = booked
    headers = api_headers(make_user(Role.CHECKIN), "door")

    status = client.get(f"/api/v1/events/{event.slug}/checkin/status", headers=headers).json
    dashboard = admin_client.get(f"/admin/events/{event.id}/").get_data(as_text=True)

    assert status["registered"] == 2 and status["waitlisted"] == 1
    assert 'data-count="registered">3<' in dashboard
    assert 'data-count="confirmed">2 / 3<' in dashboard


def test_workshop_expected_at_the_door_are_its_confirmed_seats(app, client, booked, make_user):
    event, _, workshop_a, _ = booked
    headers = api_headers(make_user(Role.CHECKIN), "door")

    status = client.get(f"/api/v1/events/{event.slug}/checkin/status", headers=headers).json
    lists = {entry["list"]: entry for entry in status["lists"]}

    assert lists[workshop_a.id]["expected"] == 1
    assert all(
        lists[s.id]["expected"] is None for s in event.sessions if s.kind != SessionKind.WORKSHOP
    )
