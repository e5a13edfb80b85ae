"""Programme change notices: edits are recorded, and one reviewed digest per person goes out.

Mail goes to a real SMTP server (aiosmtpd) through the outbox, as in production.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import icalendar
import pytest
from clock import CONGRESS_YEAR
from support import outbox, part, smtp_settings, workshop

from eventapp.extensions import db
from eventapp.feeds.ical import session_uid
from eventapp.mail.delivery import deliver_due
from eventapp.models import (
    AuditEntry,
    ChoiceStatus,
    NoticeState,
    ProgrammeChange,
    RegistrationStatus,
    Room,
    SessionChoice,
    SessionKind,
    SessionStatus,
    Speaker,
)
from eventapp.notices import digest, services

KEY = "first-send-key-0123456789"


@pytest.fixture
def config_overrides(smtp_server):
    return smtp_settings(smtp_server)


def send(event, key: str = KEY):
    """What the organizer's "Send notice" does, then the outbox delivered for real."""
    result = services.send_notice(None, event, key)
    db.session.commit()
    deliver_due()
    return result


def plain(mail) -> str:
    text = mail.get_body(("plain",)).get_content()
    return text.replace("\u202f", " ").replace("\u00a0", " ")


def mails_to(smtp_server, address: str) -> list:
    return [m for m in smtp_server.messages() if m["To"].addresses[0].addr_spec == address]


def changes(*, state: NoticeState | None = None) -> list[ProgrammeChange]:
    stmt = db.select(ProgrammeChange).where(ProgrammeChange.kind != "added")
    if state is not None:
        stmt = stmt.where(ProgrammeChange.state == state)
    return list(db.session.execute(stmt.order_by(ProgrammeChange.id)).scalars())


def chooser(make_registration, event, *sessions, **fields):
    return make_registration(
        event,
        choices=[SessionChoice(session=s, status=ChoiceStatus.CONFIRMED) for s in sessions],
        **fields,
    )


# --- recording --------------------------------------------------------------------------


def test_an_edit_sends_nothing_until_reviewed(make_programme, make_registration, smtp_server):
    event = make_programme()
    person = chooser(make_registration, event, workshop(event))
    moved = workshop(event)
    moved.starts_at += timedelta(hours=1)
    moved.ends_at += timedelta(hours=1)
    db.session.commit()

    deliver_due()
    assert outbox() == [] and smtp_server.messages() == []
    [change] = changes(state=NoticeState.PENDING)
    assert (change.session_id, change.kind, change.created_by_id) == (moved.id, "changed", None)
    assert change.before["starts_at"] < change.after["starts_at"]
    assert digest.plan(event.id).people == [person.id]


def test_a_title_or_abstract_alone_records_nothing_but_the_feed_still_moves(make_programme):
    event = make_programme()
    session = workshop(event)
    session.title = "Werkstatt A: Teilhabe im Quartier"
    session.abstract = "Neu beschrieben."
    db.session.commit()

    assert changes() == []
    assert session.sequence == 1


def test_a_change_flushed_twice_in_one_transaction_is_one_record(make_programme):
    event = make_programme()
    session = workshop(event)
    session.starts_at += timedelta(minutes=30)
    session.ends_at += timedelta(minutes=30)
    db.session.flush()
    session.room = event.rooms[1]
    db.session.commit()

    [change] = changes()
    assert (change.before["room"], change.after["room"]) == ("Großer Saal", "Raum Rhein")
    assert change.after["starts_at"] == session.starts_at.isoformat()


def test_renaming_or_removing_a_room_records_a_change_for_its_sessions(make_programme):
    event = make_programme()
    rhein = event.rooms[1]
    rhein.name = "Raum Main"
    db.session.commit()
    [renamed] = changes()
    assert (renamed.before["room"], renamed.after["room"]) == ("Raum Rhein", "Raum Main")

    db.session.delete(db.session.get(Room, rhein.id))
    db.session.commit()
    removed = changes()[-1]
    assert (removed.session_id, removed.after["room"]) == (renamed.session_id, "")


def test_removing_a_speaker_records_a_change_of_their_sessions(make_programme):
    event = make_programme()
    keynote = next(s for s in event.sessions if s.kind == SessionKind.KEYNOTE)
    db.session.delete(event.speakers[0])
    db.session.commit()

    [change] = changes()
    assert change.session_id == keynote.id
    assert (change.before["speakers"], change.after["speakers"]) == (["Dr. Erika Beispiel"], [])


def test_cancelled_and_reinstated_before_the_notice_tells_nobody(
    make_programme, make_registration, smtp_server
):
    event = make_programme()
    make_registration(event)
    keynote = next(s for s in event.sessions if s.kind == SessionKind.KEYNOTE)
    for status in (SessionStatus.CANCELLED, SessionStatus.SCHEDULED):
        keynote.status = status
        db.session.commit()

    assert [c.kind for c in changes()] == ["cancelled", "reinstated"]
    assert send(event).recipients == 0 and smtp_server.messages() == []


def test_creating_a_session_is_recorded_but_not_offered_for_review(make_programme, make_session):
    event = make_programme()
    new = make_session(event, title="Podium", kind=SessionKind.PANEL, capacity=None)
    [added] = db.session.execute(
        db.select(ProgrammeChange).where(ProgrammeChange.session_id == new.id)
    ).scalars()
    assert (added.kind, added.state, added.after["title"]) == ("added", "pending", "Podium")
    assert digest.pending_count(event.id) == 0


def test_a_session_created_and_removed_before_anyone_was_told_sends_nothing(
    make_programme, make_registration, make_session, smtp_server
):
    event = make_programme()
    make_registration(event)
    podium = make_session(event, title="Podium", kind=SessionKind.PANEL, capacity=None)
    podium_id = podium.id
    podium.room = event.rooms[1]
    db.session.commit()
    db.session.delete(podium)
    db.session.commit()

    assert digest.pending_count(event.id) == 0
    recorded = db.select(ProgrammeChange.kind, ProgrammeChange.state).where(
        ProgrammeChange.session_id == podium_id
    )
    assert sorted(db.session.execute(recorded).all()) == [
        ("added", NoticeState.SETTLED),
        ("changed", NoticeState.SETTLED),
        ("removed", NoticeState.SETTLED),
    ]
    assert send(event).batch is None
    assert outbox() == [] and smtp_server.messages() == []


def test_a_new_workshop_someone_chose_is_news_when_it_moves(
    make_programme, make_registration, make_session
):
    event = make_programme()
    new = make_session(event, title="Werkstatt C: Umwelt")
    person = chooser(make_registration, event, new)
    new.starts_at += timedelta(hours=1)
    new.ends_at += timedelta(hours=1)
    db.session.commit()

    assert digest.plan(event.id).people == [person.id]


# --- audience and digest -----------------------------------------------------------------


def test_three_changes_reach_one_person_as_one_digest_and_nobody_else(
    make_programme, make_registration, make_session, smtp_server
):
    event = make_programme()
    a, b = workshop(event, "A"), workshop(event, "B")
    afternoon = make_session(
        event,
        title="Werkstatt C: Umwelt",
        starts_at=event.starts_at + timedelta(hours=5),
        ends_at=event.starts_at + timedelta(hours=6),
        room=event.rooms[0],
    )
    person = chooser(make_registration, event, a, afternoon, locale="de")
    other = chooser(make_registration, event, b)
    speaker = Speaker(event=event, name="Prof. Jana Vogel", organisation="TU Darmstadt")
    db.session.add(speaker)
    db.session.commit()

    a.starts_at += timedelta(hours=1)  # time
    a.ends_at += timedelta(hours=1)
    db.session.commit()
    afternoon.room = event.rooms[1]  # room
    db.session.commit()
    a.speakers = [speaker]  # speakers
    db.session.commit()

    assert len(changes()) == 3
    result = send(event)
    assert result.recipients == 1
    [mail] = smtp_server.messages()
    assert mail["To"].addresses[0].addr_spec == person.email
    assert mails_to(smtp_server, other.email) == []
    assert mail["Subject"].endswith(event.title) and mail["Content-Language"] == "de"
    text = plain(mail)
    assert f"Zeit: 16.05.{CONGRESS_YEAR}, 11:00–12:30 → 16.05.{CONGRESS_YEAR}, 12:00–13:30" in text
    assert "Raum: Großer Saal → Raum Rhein" in text
    assert "Referierende: – → Prof. Jana Vogel" in text
    # One entry per session: workshop A's time and speakers together.
    assert text.count("* Werkstatt A: Teilhabe") == 1
    ics = icalendar.Calendar.from_ical(part(mail, "text/calendar").get_content())
    uids = {str(e["UID"]) for e in ics.walk("VEVENT")}
    assert session_uid(a.id) in uids and session_uid(afternoon.id) in uids
    [message] = outbox()
    assert (message.kind, message.batch_id) == ("programme_changes", result.batch.id)
    assert {c.state for c in changes()} == {NoticeState.SENT}


def test_a_session_moved_and_moved_back_drops_out(make_programme, make_registration, smtp_server):
    event = make_programme()
    a = workshop(event)
    chooser(make_registration, event, a)
    for hours in (1, -1):
        a.starts_at += timedelta(hours=hours)
        a.ends_at += timedelta(hours=hours)
        db.session.commit()

    assert len(changes()) == 2
    result = send(event)
    assert result.recipients == 0 and smtp_server.messages() == []
    assert {c.state for c in changes()} == {NoticeState.SENT}


def test_a_break_or_a_workshop_nobody_chose_causes_no_mail(
    make_programme, make_registration, make_session, smtp_server
):
    event = make_programme()
    make_registration(event)
    lunch = make_session(event, title="Mittagspause", kind=SessionKind.BREAK, capacity=None)
    make_registration(event)  # after the break was added: the break is known
    lunch.starts_at += timedelta(minutes=15)
    workshop(event, "B").status = SessionStatus.CANCELLED
    db.session.commit()

    assert len(changes()) == 2
    assert send(event).recipients == 0
    assert smtp_server.messages() == []


def test_no_notice_needed_sends_nothing(make_programme, make_registration, smtp_server, admin):
    event = make_programme()
    chooser(make_registration, event, workshop(event))
    workshop(event).room = event.rooms[1]
    db.session.commit()
    [change] = changes()

    assert services.dismiss_change(admin, change) is True
    db.session.commit()
    assert services.dismiss_change(admin, change) is False
    assert (change.state, change.decided_by_id) == (NoticeState.DISMISSED, admin.id)
    assert change.decided_at is not None
    assert send(event).batch is None
    assert outbox() == [] and smtp_server.messages() == []
    actions = db.session.execute(db.select(AuditEntry.action)).scalars().all()
    assert actions == ["programme_change.dismiss"]


def test_a_removed_workshop_notifies_the_people_who_had_chosen_it(
    make_programme, make_registration, smtp_server
):
    event = make_programme()
    a = workshop(event)
    person = chooser(make_registration, event, a, locale="en")
    bystander = chooser(make_registration, event, workshop(event, "B"))
    db.session.delete(a)
    db.session.commit()

    [change] = changes()
    assert (change.kind, change.audience) == ("removed", [person.id])
    send(event)
    [mail] = smtp_server.messages()
    assert mail["To"].addresses[0].addr_spec == person.email
    assert mails_to(smtp_server, bystander.email) == []
    text = plain(mail)
    assert "* Werkstatt A: Teilhabe – Removed from the programme" in text
    assert "Großer Saal" in text


def test_an_event_venue_change_reaches_everyone_active(
    make_programme, make_registration, smtp_server
):
    event = make_programme()
    confirmed = make_registration(event)
    waiting = make_registration(event, status=RegistrationStatus.WAITLISTED)
    make_registration(event, status=RegistrationStatus.CANCELLED)
    make_registration(event, anonymized_at=datetime.now(UTC), email="erased@example.org")
    event.venue = "Stadthalle Bürstadt"
    event.address = "Rathausstraße 2, 68642 Bürstadt"
    db.session.commit()

    [change] = changes()
    assert (change.kind, change.session_id) == ("event", None)
    send(event)
    received = sorted(m["To"].addresses[0].addr_spec for m in smtp_server.messages())
    assert received == sorted([confirmed.email, waiting.email])
    text = plain(smtp_server.messages()[0])
    assert "Veranstaltungsort: Bürgerhaus Bürstadt → Stadthalle Bürstadt" in text


def test_an_english_participant_gets_the_english_digest(
    make_programme, make_registration, smtp_server
):
    event = make_programme()
    english = chooser(make_registration, event, workshop(event), locale="en")
    german = chooser(make_registration, event, workshop(event), locale="de")
    workshop(event).room = event.rooms[1]
    db.session.commit()

    send(event)
    [en] = mails_to(smtp_server, english.email)
    [de] = mails_to(smtp_server, german.email)
    assert en["Subject"] == f"Programme changes: {event.title}"
    assert en["Content-Language"] == "en"
    assert "Room: Großer Saal → Raum Rhein" in plain(en)
    assert "These changes concern your personal programme" in plain(en)
    assert "Raum: Großer Saal → Raum Rhein" in plain(de)


def test_a_send_key_used_twice_queues_once(make_programme, make_registration):
    event = make_programme()
    chooser(make_registration, event, workshop(event))
    workshop(event).room = event.rooms[1]
    db.session.commit()

    first = services.send_notice(None, event, KEY)
    db.session.commit()
    workshop(event).room = event.rooms[0]  # a later change, the old form posted again
    db.session.commit()
    again = services.send_notice(None, event, KEY)
    db.session.commit()

    assert (first.already_sent, again.already_sent) == (False, True)
    assert again.batch.id == first.batch.id
    assert len(outbox()) == 1
    assert digest.pending_count(event.id) == 1


def test_a_queued_single_change_message_of_earlier_versions_still_renders(
    make_programme, make_registration, smtp_server
):
    from eventapp.mail.outbox import MessageKind, new_message

    event = make_programme()
    a = workshop(event)
    person = chooser(make_registration, event, a, locale="en")
    old = {"title": a.title, "status": "scheduled", "room": "Großer Saal"}
    payload = {"session_id": a.id, "old": old, "new": {**old, "room": "Raum Rhein"}}
    db.session.add(new_message(MessageKind.PROGRAMME_CHANGED, person, payload))
    db.session.commit()

    deliver_due()
    [mail] = smtp_server.messages()
    assert "A session of" in plain(mail) and "Raum Rhein" in plain(mail)


def test_a_walk_in_without_an_address_is_not_written_to(
    make_programme, make_registration, smtp_server
):
    event = make_programme()
    a = workshop(event, "A")
    person = chooser(make_registration, event, a)
    chooser(make_registration, event, a, email="", email_normalized="")
    a.starts_at += timedelta(hours=1)
    a.ends_at += timedelta(hours=1)
    db.session.commit()

    send(event)

    assert [m["To"].addresses[0].addr_spec for m in smtp_server.messages()] == [person.email]
    assert [message.recipient for message in outbox()] == [person.email]
