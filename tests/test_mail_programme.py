"""Programme change mail: nothing at the edit, then one reviewed digest with the right people.

Each test edits the programme, proves that the edit alone queued no mail, sends the
notice as the organizer's button does, and reads what the SMTP server received.
"""

from __future__ import annotations

from datetime import timedelta

import icalendar
import pytest
from support import outbox, part, smtp_settings, with_workshop

from eventapp.extensions import db
from eventapp.feeds.ical import session_uid
from eventapp.mail.delivery import deliver_due
from eventapp.models import RegistrationStatus, Room, Session, SessionKind, SessionStatus
from eventapp.notices import services


@pytest.fixture
def config_overrides(smtp_server):
    return smtp_settings(smtp_server)


def review_and_send(event) -> None:
    """The edit alone queued nothing; then the organizer sends the notice."""
    assert outbox() == []
    services.send_notice(None, event, services.new_send_key())
    db.session.commit()
    deliver_due()


def plain(mail) -> str:
    text = mail.get_body(("plain",)).get_content()
    return text.replace("\u202f", " ").replace("\u00a0", " ")


def test_moved_workshop_tells_only_those_who_chose_it_in_their_language(
    make_programme, make_registration, smtp_server
):
    event, workshop, chooser = with_workshop(make_programme, make_registration, locale="en")
    bystander = make_registration(event)

    workshop.starts_at = workshop.starts_at + timedelta(hours=1)
    workshop.ends_at = workshop.ends_at + timedelta(hours=1)
    db.session.commit()
    review_and_send(event)

    [mail] = smtp_server.messages()
    assert [a.addr_spec for a in mail["To"].addresses] == [chooser.email]
    assert bystander.email not in {e.rcpt_tos[0] for e in smtp_server.envelopes}
    # 09:00 UTC is 11:00 in Bürstadt; the workshop moved to 12:00.
    assert "11:00 AM–12:30 PM → May 16" in plain(mail)
    assert "12:00 PM–1:30 PM" in plain(mail)
    ics = icalendar.Calendar.from_ical(part(mail, "text/calendar").get_content())
    [entry] = [e for e in ics.walk("VEVENT") if str(e["UID"]) == session_uid(workshop.id)]
    assert int(entry["SEQUENCE"]) >= 1


def test_cancelled_keynote_tells_every_confirmed_participant(
    make_programme, make_registration, smtp_server
):
    event = make_programme()
    confirmed = [make_registration(event), make_registration(event)]
    make_registration(event, status=RegistrationStatus.WAITLISTED)
    make_registration(event, status=RegistrationStatus.CANCELLED)
    keynote = next(s for s in event.sessions if s.kind == SessionKind.KEYNOTE)

    keynote.status = SessionStatus.CANCELLED
    db.session.commit()
    review_and_send(event)

    received = sorted(e.rcpt_tos[0] for e in smtp_server.envelopes)
    assert received == sorted(r.email for r in confirmed)
    assert "Keynote: Zusammenhalt im Quartier" in plain(smtp_server.messages()[0])
    assert {m.payload["items"][0]["kind"] for m in outbox()} == {"cancelled"}


def test_an_abstract_edit_or_a_break_sends_nothing(
    make_programme, make_registration, make_session, smtp_server
):
    event, workshop, _registration = with_workshop(make_programme, make_registration)
    lunch = make_session(event, title="Mittagspause", kind=SessionKind.BREAK, capacity=None)
    workshop.abstract = "Neu beschrieben."
    lunch.starts_at = lunch.starts_at + timedelta(minutes=15)
    db.session.commit()
    review_and_send(event)

    assert outbox() == [] and smtp_server.messages() == []


def test_moving_a_keynote_to_another_room_shows_both_rooms(
    make_programme, make_registration, smtp_server
):
    event = make_programme()
    make_registration(event, locale="de")
    keynote_id = next(s.id for s in event.sessions if s.kind == SessionKind.KEYNOTE)
    room_id = event.rooms[1].id
    db.session.expire_all()  # the room relationship is not loaded when it is reassigned
    keynote = db.session.get(Session, keynote_id)
    keynote.room = db.session.get(Room, room_id)
    db.session.commit()
    review_and_send(event)

    [mail] = smtp_server.messages()
    assert "Raum: Großer Saal → Raum Rhein" in plain(mail)
