"""A registration with two workshops costs a fixed, small number of SQL statements.

Counted from the request's first statement to its last. BEGIN and COMMIT are not counted
(PostgreSQL's driver sends neither through the cursor; SQLite's ``BEGIN IMMEDIATE`` is
left out here so both count alike); SAVEPOINTs would count. Everything else counts,
also what other packages' flush listeners add (the door version is stamped without one).
On SQLite the statements are those SQLite itself ran (its trace callback): a new
registration's rows go to the driver directly.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from flask_babel import force_locale
from sqlalchemy import event as sa_event
from sqlalchemy import select

from eventapp.extensions import db
from eventapp.models import OutboxMessage, Registration, RegistrationChange, SessionChoice
from eventapp.registration import availability, services
from eventapp.registration.applicant import RegistrationInput

LIMIT = 8


@contextmanager
def statements() -> Iterator[list[str]]:
    seen: list[str] = []

    def note_statement(statement: str) -> None:
        # SQLite reports a statement again where one of its triggers starts (the waiting
        # count's, on registration): the same statement, run once.
        if seen and seen[-1] == statement:
            return
        if not statement.startswith(("BEGIN", "COMMIT", "ROLLBACK")):
            seen.append(statement)

    if db.engine.dialect.name != "sqlite":

        def note(conn, cursor, statement, parameters, context, executemany) -> None:
            note_statement(statement)

        sa_event.listen(db.engine, "before_cursor_execute", note)
        try:
            yield seen
        finally:
            sa_event.remove(db.engine, "before_cursor_execute", note)
        return

    traced = [db.session.connection().connection.driver_connection]
    traced[0].set_trace_callback(note_statement)

    def trace(dbapi_connection, _record, _proxy) -> None:
        traced.append(dbapi_connection)
        dbapi_connection.set_trace_callback(note_statement)

    sa_event.listen(db.engine, "checkout", trace)
    try:
        yield seen
    finally:
        sa_event.remove(db.engine, "checkout", trace)
        for dbapi_connection in traced:
            dbapi_connection.set_trace_callback(None)


def two_workshops(make_event, make_session):
    event = make_event(capacity=50)
    morning = make_session(event, title="Werkstatt am Morgen", capacity=10)
    afternoon = make_session(
        event,
        title="Werkstatt am Nachmittag",
        starts_at=event.starts_at + timedelta(hours=5),
        ends_at=event.starts_at + timedelta(hours=6),
        capacity=10,
    )
    return event, morning, afternoon


def applicant(n: int) -> RegistrationInput:
    return RegistrationInput(
        salutation="",
        academic_title="",
        first_name="Jörg",
        last_name=f"Müller-{n}",
        email=f"person{n}@example.org",
        consent_privacy=True,
        organisation="Stadt Bürstadt",
    )


def test_register_with_two_workshops_as_a_service_call(app, make_event, make_session):
    event, morning, afternoon = two_workshops(make_event, make_session)
    chosen = [morning.id, afternoon.id]
    db.session.expire_all()
    event = db.session.get(type(event), event.id)
    with force_locale("de"), statements() as seen:
        registration = services.register(event, applicant(1), chosen, "de")
        db.session.commit()
    assert registration.id
    assert [c.status.value for c in registration.choices] == ["confirmed", "confirmed"]
    assert len(seen) <= LIMIT, "\n".join(s[:70] for s in seen)


def test_register_with_two_workshops_through_the_api(app, client, make_event, make_session):
    event, morning, afternoon = two_workshops(make_event, make_session)
    body = {
        "first_name": "Jörg",
        "last_name": "Müller",
        "email": "joerg@example.org",
        "consent_privacy": True,
        "session_ids": [morning.id, afternoon.id],
    }
    url = f"/api/v1/events/{event.slug}/registrations"
    db.session.remove()
    with statements() as seen:
        response = client.post(url, json=body)
    assert response.status_code == 201, response.json
    assert [s["status"] for s in response.json["sessions"]] == ["confirmed", "confirmed"]
    assert len(seen) <= LIMIT, "\n".join(s[:70] for s in seen)


def test_the_lock_counts_seats_up_to_the_capacity_and_asks_whether_anyone_waits(app, make_event):
    """Under the event lock the counts stop at what the decision needs: seats taken up to
    the capacity, and whether the waiting list is empty. A count of every confirmed and
    waiting person grew with each newcomer of a rush."""
    event = make_event(capacity=2)
    for n in range(5):
        # Over the capacity, as an organizer may confirm people: five seats taken.
        services.register(event, applicant(n), [], "de", over_capacity=True)
    for n in range(5, 8):
        assert services.register(event, applicant(n), [], "de").status == "waitlisted"
    db.session.commit()

    counts = availability.newcomer_counts(event.id, event.capacity, [], "nobody@example.org")
    assert (counts.confirmed, counts.waitlisted) == (2, True)
    assert availability.seats_left_of(event.capacity, counts.confirmed) == 0

    event.capacity = None
    db.session.commit()
    counts = availability.newcomer_counts(event.id, None, [], "person1@example.org")
    assert counts.confirmed == 0  # no limit: nothing to count
    assert counts.existing_id is not None


def test_the_writes_go_in_one_statement_on_postgresql(app, make_event, make_session):
    """Under the event lock each round trip to the server is time the next person waits:
    PostgreSQL gets the registration, its workshop choices, its history entry and its
    mail in one statement. SQLite, in the same process, takes one INSERT per row."""
    event, morning, afternoon = two_workshops(make_event, make_session)
    chosen = [morning.id, afternoon.id]
    with force_locale("de"), statements() as seen:
        registration = services.register(event, applicant(2), chosen, "de")
        kept = {
            "registration": registration.id,
            "choices": {(c.id, c.session_id, c.registration_id) for c in registration.choices},
            "change": {(c.id, c.registration_id) for c in registration.changes},
        }
        db.session.commit()
    writes = [s for s in seen if s.lstrip().startswith(("INSERT", "WITH"))]
    postgresql = db.engine.dialect.name == "postgresql"
    assert len(writes) == (1 if postgresql else 5), "\n".join(w[:70] for w in writes)
    # The objects kept the ids of their own rows, and the rows point at the registration.
    registration_id = kept["registration"]
    db.session.remove()
    choices = db.session.execute(
        select(SessionChoice.id, SessionChoice.session_id, SessionChoice.registration_id).where(
            SessionChoice.registration_id == registration_id
        )
    ).all()
    assert kept["choices"] == set(choices) and len(choices) == 2
    changes = db.session.execute(
        select(RegistrationChange.id, RegistrationChange.registration_id).where(
            RegistrationChange.registration_id == registration_id
        )
    ).all()
    assert kept["change"] == set(changes) and len(changes) == 1
    mail = db.session.execute(
        select(OutboxMessage).where(OutboxMessage.registration_id == registration_id)
    ).scalar_one()
    assert mail.recipient == "person2@example.org"
    stored = db.session.get(Registration, registration_id)
    assert stored.first_name == "Jörg" and stored.organisation == "Stadt Bürstadt"
    assert stored.ticket_code and stored.manage_token != stored.ticket_code
