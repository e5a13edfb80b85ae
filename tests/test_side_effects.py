"""Side effects a reader can see: listeners wired by create_app, links and SQL without requests."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from flask import Flask, has_request_context
from sqlalchemy import event, text
from sqlalchemy.exc import StatementError
from support import outbox, record

from eventapp import create_app
from eventapp.database import read_only, write_transaction
from eventapp.extensions import db
from eventapp.feeds.services import registration_calendar
from eventapp.mail.delivery import deliver_due
from eventapp.mail.outbox import MessageKind, message_kind_for
from eventapp.models import ChangeKind, RegistrationChange, Room, SessionKind
from eventapp.urls import manage_url, public_url

BASE = "https://beteiligung.example.org/kongress"


# --- listeners ---------------------------------------------------------------------------


def test_building_a_second_app_does_not_write_each_mail_twice(
    base_config, make_event, make_registration
):
    registration = make_registration(make_event())
    other = create_app(base_config)
    try:
        record(registration, ChangeKind.REGISTERED, status="confirmed")
        assert [m.kind for m in outbox()] == [MessageKind.REGISTRATION_CONFIRMED]
    finally:
        with other.app_context():
            for engine in db.engines.values():
                engine.dispose()


def test_change_kinds_keep_the_values_the_history_has_always_stored(make_event, make_registration):
    assert [kind.value for kind in ChangeKind] == [
        "registered",
        "cancelled",
        "promoted",
        "session_promoted",
        "workshops_changed",
        "anonymized",
        "announcements_stopped",
        "announcements_resumed",
        "details_changed",
        "email_change_requested",
        "email_changed",
        "manage_link_sent",
        "answers_changed",
    ]
    registration = make_registration(make_event())
    record(registration, ChangeKind.SESSION_PROMOTED, session_id=1)
    stored = db.session.execute(text("SELECT kind FROM registration_change")).scalar_one()
    assert stored == "session_promoted"
    db.session.expire_all()
    assert registration.changes[0].kind is ChangeKind.SESSION_PROMOTED


def test_a_change_kind_outside_the_enum_is_refused(make_event, make_registration):
    registration = make_registration(make_event())
    db.session.add(RegistrationChange(registration=registration, kind="waitlisted"))
    with pytest.raises(StatementError, match="waitlisted"):
        db.session.flush()
    db.session.rollback()


@pytest.mark.parametrize(
    ("kind", "detail", "mail"),
    [
        (ChangeKind.REGISTERED, {"status": "confirmed"}, MessageKind.REGISTRATION_CONFIRMED),
        (ChangeKind.REGISTERED, {"status": "waitlisted"}, MessageKind.WAITLISTED),
        (ChangeKind.PROMOTED, {}, MessageKind.PROMOTED),
        (ChangeKind.CANCELLED, {}, MessageKind.CANCELLED),
        (ChangeKind.WORKSHOPS_CHANGED, {}, MessageKind.WORKSHOPS_CHANGED),
        (ChangeKind.SESSION_PROMOTED, {}, MessageKind.WORKSHOPS_CHANGED),
        (ChangeKind.ANONYMIZED, {}, None),
    ],
)
def test_each_change_kind_calls_for_its_mail(kind, detail, mail):
    assert message_kind_for(RegistrationChange(kind=kind, detail=detail)) == mail


def test_one_flush_raises_a_sessions_sequence_once_whatever_revised_it(make_programme):
    event = make_programme()
    workshop = next(s for s in event.sessions if s.kind == SessionKind.WORKSHOP)
    before, room = workshop.sequence, workshop.room
    # Both revise the entry's SUMMARY or LOCATION: a new revision, one step up.
    workshop.title = "Werkstatt A: Teilhabe im Quartier"
    room.name = "Großer Saal (Erdgeschoss)"
    db.session.commit()
    assert workshop.sequence == before + 1

    other_room = db.session.execute(db.select(Room).where(Room.id != workshop.room_id)).scalar()
    workshop.room = other_room
    db.session.commit()
    assert workshop.sequence == before + 2


# --- links without a request -------------------------------------------------------------


@pytest.fixture
def config_overrides():
    return {"PUBLIC_BASE_URL": BASE}


def test_links_carry_the_public_base_and_its_path_outside_a_request(app):
    assert not has_request_context()
    assert public_url("public.index") == f"{BASE}/"
    assert public_url("feeds.programme", slug="fachkongress", track=None) == (
        f"{BASE}/events/fachkongress/calendar.ics"
    )


def test_links_do_not_follow_the_host_or_prefix_a_request_came_with(
    app, make_event, make_registration
):
    registration = make_registration(make_event())
    outside = manage_url(registration)
    assert outside.startswith(f"{BASE}/")
    with app.test_request_context("/", base_url="http://10.0.0.7:8000/intern"):
        assert manage_url(registration) == outside


@pytest.fixture
def no_fake_requests(monkeypatch) -> None:
    def refuse(*_args, **_kwargs):
        raise AssertionError("a worker must not fake a request")

    monkeypatch.setattr(Flask, "test_request_context", refuse)


def test_mail_delivery_and_the_calendar_attachment_need_no_request(
    app, no_fake_requests, make_programme, make_registration
):
    registration = make_registration(make_programme())
    record(registration, ChangeKind.REGISTERED, status="confirmed")
    report = deliver_due()
    assert (report.sent, report.failed, report.retrying) == (1, 0, 0)
    assert f"{BASE}/".encode() in registration_calendar(registration)


# --- transaction mode --------------------------------------------------------------------


@pytest.fixture
def begins(app) -> Iterator[list[str]]:
    """The BEGIN statements SQLite receives while the test runs."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the transaction mode is SQLite's")
    seen: list[str] = []

    def note(_conn, _cursor, statement, *_args):
        if statement.startswith("BEGIN"):
            seen.append(statement)

    db.session.commit()
    event.listen(db.engine, "before_cursor_execute", note)
    yield seen
    event.remove(db.engine, "before_cursor_execute", note)


def _query() -> None:
    db.session.execute(text("SELECT 1"))
    db.session.commit()


def test_transactions_begin_immediate_unless_the_work_only_reads(begins):
    _query()
    with read_only():
        _query()
        with write_transaction():
            _query()
        _query()
    _query()
    assert begins == ["BEGIN IMMEDIATE", "BEGIN", "BEGIN IMMEDIATE", "BEGIN", "BEGIN IMMEDIATE"]


def test_requests_with_safe_methods_read_and_others_write(begins, client, make_event):
    slug = make_event().slug
    db.session.commit()
    begins.clear()
    assert client.get(f"/events/{slug}").status_code == 200
    db.session.commit()
    reads = list(begins)
    begins.clear()
    body = {
        "first_name": "Mehmet",
        "last_name": "Yılmaz",
        "email": "mehmet@example.org",
        "consent_privacy": True,
    }
    assert client.post(f"/api/v1/events/{slug}/registrations", json=body).status_code == 201
    assert reads and set(reads) == {"BEGIN"}
    assert begins and set(begins) == {"BEGIN IMMEDIATE"}


def test_a_new_thread_writes_whatever_its_starter_declared(app, begins):
    """The inline mail sender's thread must take the write lock even when a GET started it."""

    def work() -> None:
        with app.app_context():
            _query()

    with read_only():
        thread = threading.Thread(target=work)
        thread.start()
        thread.join(timeout=10)
    assert begins == ["BEGIN IMMEDIATE"]
