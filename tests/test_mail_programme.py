"""Programme changes: who is told when a session moves, changes room or is cancelled."""

from __future__ import annotations

from datetime import timedelta

import icalendar
import pytest
from clock import CONGRESS_DATE, CONGRESS_YEAR, weekday
from support import outbox, part, smtp_settings, with_workshop

from eventapp.extensions import db
from eventapp.mail.delivery import deliver_due
from eventapp.models import RegistrationStatus, Room, Session, SessionKind, SessionStatus


@pytest.fixture
def config_overrides(smtp_server):
    return smtp_settings(smtp_server)


def test_moved_workshop_tells_only_those_who_chose_it(
    make_programme, make_registration, smtp_server
):
    event, workshop, chooser = with_workshop(make_programme, make_registration, locale="en")
    bystander = make_registration(event)
    old_start = workshop.starts_at

    workshop.starts_at = old_start + timedelta(hours=1)
    workshop.ends_at = workshop.ends_at + timedelta(hours=1)
    db.session.commit()

    [message] = outbox()
    assert message.kind == "programme_changed"
    assert message.registration_id == chooser.id
    assert message.payload["old"]["starts_at"] == old_start.isoformat()
    deliver_due()
    [mail] = smtp_server.messages()
    assert [a.addr_spec for a in mail["To"].addresses] == [chooser.email]
    assert bystander.email not in {e.rcpt_tos[0] for e in smtp_server.envelopes}
    text = mail.get_body(("plain",)).get_content()
    # 09:00 UTC is 11:00 in Bürstadt; the workshop moved to 12:00.
    day = f"{weekday(CONGRESS_DATE, 'en')}, May 16, {CONGRESS_YEAR}"
    assert f"Before: Werkstatt A: Teilhabe – {day}, 11:00–12:30" in text
    assert f"Now: Werkstatt A: Teilhabe – {day}, 12:00–13:30" in text
    ics = icalendar.Calendar.from_ical(part(mail, "text/calendar").get_content())
    from eventapp.feeds.ical import session_uid

    [entry] = [e for e in ics.walk("VEVENT") if str(e["UID"]) == session_uid(workshop.id)]
    assert int(entry["SEQUENCE"]) >= 1


def test_cancelled_keynote_tells_every_confirmed_participant(make_programme, make_registration):
    event = make_programme()
    confirmed = [make_registration(event), make_registration(event)]
    make_registration(event, status=RegistrationStatus.WAITLISTED)
    make_registration(event, status=RegistrationStatus.CANCELLED)
    keynote = next(s for s in event.sessions if s.kind == SessionKind.KEYNOTE)

    keynote.status = SessionStatus.CANCELLED
    db.session.commit()

    messages = outbox()
    assert sorted(m.registration_id for m in messages) == sorted(r.id for r in confirmed)
    assert {m.payload["new"]["status"] for m in messages} == {"cancelled"}


def test_a_change_flushed_twice_in_one_transaction_is_one_message(
    make_programme, make_registration
):
    event, workshop, _registration = with_workshop(make_programme, make_registration)
    room = event.rooms[1]
    workshop.starts_at = workshop.starts_at + timedelta(minutes=30)
    workshop.ends_at = workshop.ends_at + timedelta(minutes=30)
    db.session.flush()
    workshop.room = room
    db.session.commit()

    [message] = outbox()
    assert message.payload["old"]["room"] == "Großer Saal"
    assert message.payload["new"]["room"] == "Raum Rhein"
    assert message.payload["new"]["starts_at"] == workshop.starts_at.isoformat()


def test_an_abstract_edit_or_a_break_sends_nothing(make_programme, make_registration, make_session):
    event, workshop, _registration = with_workshop(make_programme, make_registration)
    lunch = make_session(event, title="Mittagspause", kind=SessionKind.BREAK, capacity=None)
    workshop.abstract = "Neu beschrieben."
    lunch.starts_at = lunch.starts_at + timedelta(minutes=15)
    db.session.commit()

    assert outbox() == []


def test_moving_a_keynote_to_another_room_freezes_both_rooms(make_programme, make_registration):
    event = make_programme()
    make_registration(event)
    keynote_id = next(s.id for s in event.sessions if s.kind == SessionKind.KEYNOTE)
    room_id = event.rooms[1].id
    db.session.expire_all()  # the room relationship is not loaded when it is reassigned
    keynote = db.session.get(Session, keynote_id)
    keynote.room = db.session.get(Room, room_id)
    db.session.commit()

    [message] = outbox()
    assert (message.payload["old"]["room"], message.payload["new"]["room"]) == (
        "Großer Saal",
        "Raum Rhein",
    )


def test_a_deleted_workshop_is_announced_as_cancelled_to_those_who_chose_it(
    make_programme, make_registration, smtp_server
):
    event, workshop, chooser = with_workshop(make_programme, make_registration, locale="en")
    make_registration(event)

    db.session.delete(workshop)
    db.session.commit()

    [message] = outbox()
    assert message.registration_id == chooser.id
    assert message.payload["old"]["title"] == "Werkstatt A: Teilhabe"
    assert message.payload["new"]["status"] == "removed"
    deliver_due()
    [mail] = smtp_server.messages()
    assert mail["Subject"].endswith("Werkstatt A: Teilhabe")
    assert "has been cancelled" in mail.get_body(("plain",)).get_content()
