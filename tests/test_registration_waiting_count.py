"""The event keeps how many people wait for a seat (``Event.waiting_count``).

The database keeps the number itself (triggers on ``registration``), whatever changes a
registration's status: the rules, the back office, or a row written directly. A newcomer
put on the waiting list learns their place from it, read with the event locked, instead
of a count of the whole list that grew with every newcomer of a rush.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from clock import CONGRESS_DAY
from sqlalchemy import event as sa_event
from sqlalchemy import func, select

from eventapp.extensions import db
from eventapp.models import Event, Registration, RegistrationStatus
from eventapp.registration import services
from eventapp.registration.services import RegistrationInput

NOW = CONGRESS_DAY - timedelta(days=30)

pytestmark = pytest.mark.usefixtures("english")


def person(n: int) -> RegistrationInput:
    return RegistrationInput(
        first_name="Aylin",
        last_name=f"Demir-{n}",
        email=f"aylin{n}@example.org",
        consent_privacy=True,
    )


def sign_up(event: Event, n: int) -> Registration:
    registration = services.register(event, person(n), [], "de", now=NOW + timedelta(minutes=n))
    db.session.commit()
    return registration


def kept_and_counted(event_id: int) -> tuple[int, int]:
    """The number the event keeps, and the waiting registrations counted."""
    kept = db.session.execute(
        select(Event.__table__.c.waiting_count).where(Event.id == event_id)
    ).scalar_one()
    counted = db.session.execute(
        select(func.count(Registration.id)).where(
            Registration.event_id == event_id,
            Registration.status == RegistrationStatus.WAITLISTED,
        )
    ).scalar_one()
    return kept, counted


def test_the_number_follows_every_change_of_status(app, make_event, make_registration):
    event = make_event(capacity=1)
    event_id = event.id
    first = sign_up(event, 1)
    second, third = sign_up(event, 2), sign_up(event, 3)
    assert [r.status for r in (first, second, third)] == ["confirmed", "waitlisted", "waitlisted"]
    assert kept_and_counted(event_id) == (2, 2)

    services.cancel_registration(second, now=NOW + timedelta(hours=1))  # a waiting one leaves
    db.session.commit()
    assert kept_and_counted(event_id) == (1, 1)

    services.cancel_registration(first, now=NOW + timedelta(hours=2))  # the third moves up
    db.session.commit()
    db.session.refresh(third)
    assert third.status == "confirmed"
    assert kept_and_counted(event_id) == (0, 0)

    # Written directly, as a data fix would: the database keeps the number all the same.
    direct = make_registration(event, status=RegistrationStatus.WAITLISTED)
    assert kept_and_counted(event_id) == (1, 1)
    direct.status = RegistrationStatus.CONFIRMED
    db.session.commit()
    assert kept_and_counted(event_id) == (0, 0)
    direct.status = RegistrationStatus.WAITLISTED
    db.session.commit()
    assert kept_and_counted(event_id) == (1, 1)
    db.session.delete(direct)
    db.session.commit()
    assert kept_and_counted(event_id) == (0, 0)


def test_a_registration_moved_to_another_event_moves_its_count(app, make_event, make_registration):
    one, other = make_event(capacity=1), make_event(capacity=1)
    waiting = make_registration(one, status=RegistrationStatus.WAITLISTED)
    assert (kept_and_counted(one.id), kept_and_counted(other.id)) == ((1, 1), (0, 0))
    waiting.event = other
    db.session.commit()
    assert (kept_and_counted(one.id), kept_and_counted(other.id)) == ((0, 0), (1, 1))


@contextmanager
def statements() -> Iterator[list[str]]:
    seen: list[str] = []

    def note(_conn, _cursor, statement, *_args) -> None:
        seen.append(statement)

    sa_event.listen(db.engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", note)


def test_a_newcomer_learns_their_place_without_the_list_being_counted(client, make_event):
    event = make_event(capacity=1)
    slug = event.slug
    answers = []
    with statements() as seen:
        for n in range(4):
            body = {
                "first_name": "Aylin",
                "last_name": f"Demir-{n}",
                "email": f"aylin{n}@example.org",
                "consent_privacy": True,
            }
            response = client.post(f"/api/v1/events/{slug}/registrations", json=body)
            assert response.status_code == 201, response.get_json()
            answers.append(response.get_json())
    assert [a["status"] for a in answers] == ["confirmed", "waitlisted", "waitlisted", "waitlisted"]
    assert [a["waitlist_position"] for a in answers] == [None, 1, 2, 3]
    counts = [s for s in seen if "count(registration.id)" in s.lower()]
    assert counts == []
    # Later, the place is counted from the list as it is then.
    first_waiting = db.session.get(Registration, answers[1]["id"])
    services.cancel_registration(first_waiting, now=NOW)
    db.session.commit()
    last = db.session.get(Registration, answers[3]["id"])
    assert services.waitlist_position(last) == 2


def test_the_place_after_people_moved_up_in_the_same_request(app, make_event, make_registration):
    """Free seats while people wait: the newcomer's request first admits them, and the
    newcomer's place counts only those still waiting."""
    event = make_event(capacity=3)
    make_registration(event)
    waiting = [make_registration(event, status=RegistrationStatus.WAITLISTED) for _ in range(3)]
    newcomer = services.register(event, person(9), [], "de", now=NOW)
    db.session.commit()
    for registration in waiting:
        db.session.refresh(registration)
    assert [r.status for r in waiting] == ["confirmed", "confirmed", "waitlisted"]
    assert newcomer.status == "waitlisted"
    assert newcomer.arrival_position == 2 == services.waitlist_position(newcomer)
