"""The registration rules in the service: window, capacity, waiting lists, workshops, duplicates."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from clock import CONGRESS_DAY
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from eventapp.errors import http_status
from eventapp.extensions import db
from eventapp.models import (
    ChoiceStatus,
    EventStatus,
    Registration,
    RegistrationChange,
    RegistrationStatus,
    Sector,
    SessionKind,
    SessionStatus,
)
from eventapp.registration import services
from eventapp.registration.errors import (
    DuplicateRegistration,
    EventCancelled,
    EventFull,
    InvalidRegistration,
    OverlappingSessions,
    RegistrationClosed,
)
from eventapp.registration.services import RegistrationInput, register

# While registration is open: after today, before the congress.
NOW = CONGRESS_DAY - timedelta(days=30)


pytestmark = pytest.mark.usefixtures("english")


def applicant(n: int = 1, **fields) -> RegistrationInput:
    values = {
        "first_name": "Aylin",
        "last_name": f"Schäfer-{n}",
        "email": f"aylin{n}@example.org",
        "consent_privacy": True,
        "organisation": "Stadt Bürstadt",
        "sector": Sector.MUNICIPALITY,
    }
    values.update(fields)
    return RegistrationInput(**values)


def sign_up(event, n=1, sessions=(), now=NOW, **fields) -> Registration:
    registration = register(event, applicant(n, **fields), list(sessions), "de", now=now)
    db.session.commit()
    return registration


def kinds(registration) -> list[str]:
    return [
        c.kind
        for c in db.session.execute(
            select(RegistrationChange)
            .where(RegistrationChange.registration_id == registration.id)
            .order_by(RegistrationChange.id)
        ).scalars()
    ]


def test_registration_is_confirmed_with_consent_time_and_notice_version(app, make_event):
    event = make_event()
    registration = sign_up(event, email="  Aylin1@Example.ORG ")
    assert registration.status == RegistrationStatus.CONFIRMED
    assert registration.email_normalized == "aylin1@example.org"
    assert registration.privacy_consent_at == NOW
    assert registration.privacy_notice_version == app.config["PRIVACY_NOTICE_VERSION"]
    assert registration.confirmed_at == NOW
    assert registration.locale == "de"
    assert kinds(registration) == ["registered"]
    assert registration.changes[0].detail == {
        "status": "confirmed",
        "sessions": [],
        "source": "form",
    }


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"status": EventStatus.DRAFT}, RegistrationClosed),
        ({"status": EventStatus.CANCELLED}, EventCancelled),
        ({"registration_opens_at": NOW + timedelta(days=1)}, RegistrationClosed),
        ({"registration_closes_at": NOW - timedelta(seconds=1)}, RegistrationClosed),
        (
            {
                "registration_closes_at": None,
                "starts_at": NOW - timedelta(hours=1),
                "ends_at": NOW + timedelta(hours=5),
            },
            RegistrationClosed,
        ),
    ],
    ids=["draft", "cancelled", "not-yet-open", "closed", "started-without-closing-time"],
)
def test_registration_outside_its_window_is_refused(make_event, fields, error):
    event = make_event(**fields)
    with pytest.raises(error) as caught:
        register(event, applicant(), [], "de", now=NOW)
    assert http_status(caught.value) == 409
    db.session.rollback()
    assert db.session.execute(select(Registration)).first() is None


def test_invalid_input_is_refused_field_by_field(make_event):
    event = make_event()
    bad = applicant(first_name=" ", email="no-address", consent_privacy=False)
    with pytest.raises(InvalidRegistration) as caught:
        register(event, bad, [], "de", now=NOW)
    assert caught.value.code == "invalid"
    assert set(caught.value.fields) == {"first_name", "email", "consent_privacy"}


def test_full_event_waitlists_in_arrival_order(make_event):
    event = make_event(capacity=2)
    people = [sign_up(event, n, now=NOW + timedelta(seconds=n)) for n in range(1, 6)]
    assert [p.status for p in people] == ["confirmed"] * 2 + ["waitlisted"] * 3
    assert [services.waitlist_position(p) for p in people] == [None, None, 1, 2, 3]
    assert services.seats_left(event) == 0
    assert kinds(people[2]) == ["registered"]
    assert people[2].changes[0].detail["status"] == "waitlisted"


def test_full_event_without_waitlist_refuses(make_event):
    event = make_event(capacity=1, waitlist_enabled=False)
    sign_up(event, 1)
    with pytest.raises(EventFull) as caught:
        register(event, applicant(2), [], "de", now=NOW)
    assert caught.value.code == "full"
    assert http_status(caught.value) == 409


def test_full_workshop_waitlists_only_that_workshop(make_event, make_session):
    event = make_event(capacity=10)
    small = make_session(event, capacity=1)
    later = make_session(
        event,
        title="Werkstatt am Nachmittag",
        starts_at=event.starts_at + timedelta(hours=5),
        ends_at=event.starts_at + timedelta(hours=6),
        capacity=None,
    )
    first = sign_up(event, 1, sessions=[small.id])
    second = sign_up(event, 2, sessions=[small.id, later.id])
    assert second.status == RegistrationStatus.CONFIRMED
    statuses = {c.session_id: c.status for c in second.choices}
    assert statuses == {small.id: ChoiceStatus.WAITLISTED, later.id: ChoiceStatus.CONFIRMED}
    assert services.workshop_positions(second) == {small.id: 1}
    assert services.session_seats_left(small) == 0
    assert services.session_seats_left(later) is None
    assert first.choices[0].status == ChoiceStatus.CONFIRMED


def test_event_waitlisted_person_does_not_take_workshop_seats(make_event, make_session):
    event = make_event(capacity=1)
    workshop = make_session(event, capacity=5)
    sign_up(event, 1)
    waiting = sign_up(event, 2, sessions=[workshop.id])
    assert waiting.choices[0].status == ChoiceStatus.WAITLISTED
    assert services.workshop_positions(waiting) == {workshop.id: None}
    assert services.session_seats_left(workshop) == 5


def test_overlapping_workshops_are_refused(make_programme):
    event = make_programme()
    a, b = [s for s in event.sessions if s.kind == SessionKind.WORKSHOP]
    with pytest.raises(OverlappingSessions) as caught:
        register(event, applicant(), [a.id, b.id], "de", now=NOW)
    assert caught.value.field == "session_ids"
    assert http_status(caught.value) == 422


def test_workshop_slots_group_parallel_workshops(make_programme, make_session):
    event = make_programme()
    afternoon = make_session(
        event,
        title="Werkstatt C",
        starts_at=event.starts_at + timedelta(hours=5),
        ends_at=event.starts_at + timedelta(hours=6),
    )
    slots = services.workshop_slots(event)
    assert [len(slot) for slot in slots] == [2, 1]
    assert slots[1] == [afternoon]


@pytest.mark.parametrize("which", ["keynote", "other-event", "cancelled", "unknown", "twice"])
def test_only_workshops_of_this_event_that_take_place_can_be_chosen(
    make_programme, make_event, make_session, which
):
    event = make_programme()
    workshop = next(s for s in event.sessions if s.kind == SessionKind.WORKSHOP)
    keynote = next(s for s in event.sessions if s.kind == SessionKind.KEYNOTE)
    ids = {
        "keynote": [keynote.id],
        "other-event": [make_session(make_event()).id],
        "cancelled": [make_session(event, status=SessionStatus.CANCELLED).id],
        "unknown": [999_999],
        "twice": [workshop.id, workshop.id],
    }[which]
    with pytest.raises(InvalidRegistration) as caught:
        register(event, applicant(), ids, "de", now=NOW)
    assert caught.value.field == "session_ids"


def test_same_email_twice_is_refused_while_the_first_is_active(make_event):
    event = make_event()
    first = sign_up(event, 1)
    with pytest.raises(DuplicateRegistration) as caught:
        register(event, applicant(1, email="AYLIN1@example.org "), [], "de", now=NOW)
    assert caught.value.field == "email"
    db.session.rollback()
    services.cancel_registration(first, now=NOW)
    db.session.commit()
    again = sign_up(event, 1)
    assert again.id != first.id
    assert again.status == RegistrationStatus.CONFIRMED


def test_same_email_may_register_for_another_event(make_event):
    sign_up(make_event(), 1)
    assert sign_up(make_event(), 1).status == RegistrationStatus.CONFIRMED


def test_resubmitted_form_returns_the_registration_it_created(make_event):
    event = make_event()
    first = register(event, applicant(), [], "de", now=NOW, submission_key="k" * 32)
    db.session.commit()
    again = register(event, applicant(), [], "de", now=NOW, submission_key="k" * 32)
    assert again.id == first.id
    with pytest.raises(DuplicateRegistration):
        register(event, applicant(), [], "de", now=NOW, submission_key="other")


def test_the_unique_index_catches_what_the_check_misses(make_event, make_registration, monkeypatch):
    # The check under the event lock gives the message; should it ever miss, the partial
    # unique index still refuses the second active registration of the address.
    event = make_event()
    make_registration(event, email="aylin1@example.org")
    real_lock = services.lock_for_newcomer

    def miss_the_holder(*args):
        locked, counts = real_lock(*args)
        return locked, dataclasses.replace(counts, existing_id=None)

    monkeypatch.setattr(services, "lock_for_newcomer", miss_the_holder)
    with pytest.raises(IntegrityError):
        register(event, applicant(1), [], "de", now=NOW)
    db.session.rollback()
    assert len(db.session.execute(select(Registration)).scalars().all()) == 1


def test_people_without_an_address_may_be_registered_side_by_side_when_allowed(app, make_event):
    event = make_event()
    first = register(event, applicant(1, email=""), [], "de", now=NOW, email_required=False)
    second = register(event, applicant(2, email=" "), [], "de", now=NOW, email_required=False)
    db.session.commit()

    assert (first.email, second.email) == ("", "")
    assert {first.status, second.status} == {RegistrationStatus.CONFIRMED}
    with pytest.raises(InvalidRegistration) as refused:
        register(event, applicant(3, email=""), [], "de", now=NOW)
    assert "email" in refused.value.fields
    with pytest.raises(InvalidRegistration) as refused:
        register(event, applicant(4, email="not-an-address"), [], "de", email_required=False)
    assert "email" in refused.value.fields


def test_an_organizer_override_confirms_beyond_capacity_and_says_so(app, make_event):
    event = make_event(capacity=1)
    sign_up(event, 1)
    waiting = sign_up(event, 2)
    assert waiting.status == RegistrationStatus.WAITLISTED

    override = register(
        event, applicant(3), [], "de", now=NOW, actor="office", source="office", over_capacity=True
    )
    db.session.commit()

    assert override.status == RegistrationStatus.CONFIRMED
    assert override.source == "office"
    assert override.changes[0].detail["over_capacity"] is True
    # With a seat free the override changes nothing and is not recorded.
    roomy = make_event(slug="roomy", capacity=5)
    normal = register(roomy, applicant(4), [], "de", now=NOW, over_capacity=True)
    assert "over_capacity" not in normal.changes[0].detail
