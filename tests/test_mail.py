"""Mail content: what participants receive, parsed from a real SMTP server."""

from __future__ import annotations

import io
from datetime import timedelta
from email.utils import parsedate_to_datetime

import icalendar
import pytest
import zxingcpp
from clock import CONGRESS_DATE, CONGRESS_YEAR, weekday
from flask import current_app
from PIL import Image
from support import announcement, outbox, part, record, smtp_settings, with_workshop

from eventapp import urls
from eventapp.extensions import db
from eventapp.mail.delivery import deliver_due
from eventapp.mail.services import enqueue_bulk
from eventapp.models import (
    OutboxStatus,
    RegistrationChange,
    RegistrationStatus,
    Session,
)
from eventapp.models.base import utcnow


@pytest.fixture
def config_overrides(smtp_server):
    return smtp_settings(
        smtp_server,
        MAIL_DEFAULT_SENDER="Zukunftsbündnis Sozialer Zusammenhalt <noreply@events.example.org>",
        MAIL_REPLY_TO="geschaeftsstelle@events.example.org",
    )


def sessions_of(event) -> dict[str, Session]:
    return {s.title: s for s in event.sessions}


def links(registration) -> dict[str, str]:
    with current_app.test_request_context("/"):
        return {
            "manage": urls.manage_url(registration),
            "ticket": urls.ticket_url(registration),
            "calendar": urls.calendar_url(registration),
        }


def test_confirmation_carries_inline_qr_links_calendar_and_pdf(
    make_programme, make_registration, smtp_server
):
    event, workshop, registration = with_workshop(
        make_programme, make_registration, locale="en", first_name="Ada", last_name="Lovelace"
    )
    record(registration, "registered", status="confirmed")

    report = deliver_due()

    assert report.sent == 1
    [envelope] = smtp_server.envelopes
    assert envelope.rcpt_tos == [registration.email]
    assert envelope.mail_from == "noreply@events.example.org"
    [message] = smtp_server.messages()
    assert message["To"].addresses[0].addr_spec == registration.email
    assert message["From"].addresses[0].display_name == "Zukunftsbündnis Sozialer Zusammenhalt"
    assert str(message["Reply-To"]) == "geschaeftsstelle@events.example.org"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Message-ID"].endswith("@events.example.org>")
    assert abs(parsedate_to_datetime(message["Date"]) - utcnow()) < timedelta(minutes=5)
    assert event.title in message["Subject"]

    # mixed( alternative( text, related( html, png ) ), ics, pdf )
    assert message.get_content_type() == "multipart/mixed"
    alternative = part(message, "multipart/alternative")
    assert [p.get_content_type() for p in alternative.iter_parts()] == [
        "text/plain",
        "multipart/related",
    ]
    image = part(message, "image/png")
    cid = image["Content-ID"].strip("<>")
    html = message.get_body(preferencelist=("html",)).get_content()
    assert f'src="cid:{cid}"' in html
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(image.get_content())))
    assert [result.text for result in decoded] == [registration.ticket_code]

    text = message.get_body(preferencelist=("plain",)).get_content()
    for url in links(registration).values():
        assert url in text
        assert url in html
    assert "Werkstatt A: Teilhabe" in text

    ics = part(message, "text/calendar")
    assert ics.get_param("method") == "PUBLISH"
    assert ics.get_filename().endswith(".ics")
    calendar = icalendar.Calendar.from_ical(ics.get_content())
    assert calendar["METHOD"] == "PUBLISH"
    from eventapp.feeds.ical import event_uid, session_uid

    uids = {str(entry["UID"]) for entry in calendar.walk("VEVENT")}
    assert uids == {event_uid(event.id), session_uid(workshop.id)}
    for entry in calendar.walk("VEVENT"):
        assert "ORGANIZER" not in entry
        assert "ATTENDEE" not in entry

    pdf = part(message, "application/pdf")
    assert pdf.get_content().startswith(b"%PDF")
    assert outbox()[0].status == OutboxStatus.SENT


def test_subject_and_dates_follow_the_participants_language(
    make_event, make_registration, smtp_server
):
    event = make_event()
    german = make_registration(event, locale="de")
    english = make_registration(event, locale="en")
    record(german, "registered", status="confirmed")
    record(english, "registered", status="confirmed")

    deliver_due()

    by_recipient = {m["To"].addresses[0].addr_spec: m for m in smtp_server.messages()}
    de, en = by_recipient[german.email], by_recipient[english.email]
    assert de["Subject"] != en["Subject"]
    assert f"Mai {CONGRESS_YEAR}" in de["Subject"]
    assert f"May 16, {CONGRESS_YEAR}" in en["Subject"]
    assert de["Content-Language"] == "de"
    assert en["Content-Language"] == "en"
    assert '<html lang="de">' in de.get_body(("html",)).get_content()
    assert weekday(CONGRESS_DATE, "de") in de.get_body(("plain",)).get_content()
    assert weekday(CONGRESS_DATE, "en") in en.get_body(("plain",)).get_content()


def test_waitlisted_mail_gives_the_position_and_no_ticket(
    make_event, make_registration, smtp_server
):
    event = make_event()
    make_registration(event, status=RegistrationStatus.WAITLISTED)
    second = make_registration(event, status=RegistrationStatus.WAITLISTED, locale="en")
    record(second, "registered", status="waitlisted")

    deliver_due()

    [message] = smtp_server.messages()
    text = message.get_body(("plain",)).get_content()
    assert "waiting list: 2" in text
    assert not [p for p in message.walk() if p.get_content_maintype() in {"image", "application"}]
    assert second.ticket_code not in text


def test_promotion_sends_the_ticket(make_event, make_registration, smtp_server):
    registration = make_registration(make_event(), locale="en")
    record(registration, "promoted")

    deliver_due()

    [message] = smtp_server.messages()
    image = part(message, "image/png")
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(image.get_content())))
    assert decoded[0].text == registration.ticket_code
    part(message, "application/pdf")
    part(message, "text/calendar")


def test_cancellation_confirmation_has_no_ticket(make_event, make_registration, smtp_server):
    registration = make_registration(make_event(), status=RegistrationStatus.CANCELLED)
    record(registration, "cancelled", previous_status="confirmed")

    deliver_due()

    [message] = smtp_server.messages()
    assert message.get_content_type() == "multipart/alternative"
    assert registration.ticket_code not in message.get_body(("plain",)).get_content()


def test_workshop_change_names_the_workshops(make_programme, make_registration, smtp_server):
    event, workshop, registration = with_workshop(make_programme, make_registration, locale="en")
    other = sessions_of(event)["Werkstatt B: Lebensqualität"]
    record(registration, "workshops_changed", added=[workshop.id], removed=[other.id])

    deliver_due()

    [message] = smtp_server.messages()
    text = message.get_body(("plain",)).get_content()
    assert "Added: Werkstatt A: Teilhabe" in text
    assert "Removed: Werkstatt B: Lebensqualität" in text
    part(message, "text/calendar")


def test_rolled_back_change_leaves_no_mail(make_event, make_registration):
    registration = make_registration(make_event())
    db.session.add(RegistrationChange(registration=registration, kind="registered"))
    db.session.flush()
    assert len(outbox()) == 1
    db.session.rollback()

    assert outbox() == []


def test_bulk_message_reaches_active_participants_as_escaped_text(
    make_event, make_registration, smtp_server
):
    event = make_event()
    active = make_registration(event)
    cancelled = make_registration(event, status=RegistrationStatus.CANCELLED)

    batch = announcement(event, "Parken am Bürgerhaus", "Bitte <b>nicht</b> parken.")
    queued = enqueue_bulk([active, cancelled], batch)
    db.session.commit()
    deliver_due()

    assert queued == 1
    [message] = smtp_server.messages()
    assert message["Subject"] == "Parken am Bürgerhaus"
    assert "Bitte &lt;b&gt;nicht&lt;/b&gt; parken." in message.get_body(("html",)).get_content()
    assert "Bitte <b>nicht</b> parken." in message.get_body(("plain",)).get_content()


def test_anonymizing_discards_waiting_mail_and_erases_the_address(
    make_event, make_registration, smtp_server
):
    registration = make_registration(make_event())
    record(registration, "registered", status="confirmed")
    registration.anonymized_at = utcnow()
    registration.email = "anonymized@invalid"
    record(registration, "anonymized")

    report = deliver_due()

    [message] = outbox()
    assert message.status == OutboxStatus.DISCARDED
    assert message.recipient == ""
    assert report.sent == 0
    assert smtp_server.envelopes == []


def test_registering_through_the_service_queues_and_sends_the_confirmation(
    make_programme, smtp_server
):
    from eventapp.registration.services import (
        RegistrationInput,
        cancel_registration,
        register,
    )

    event = make_programme()
    workshop = sessions_of(event)["Werkstatt B: Lebensqualität"]
    applicant = RegistrationInput(
        first_name="Grace",
        last_name="Hopper",
        email="grace@example.org",
        consent_privacy=True,
    )
    registration = register(event, applicant, [workshop.id], "en")
    db.session.commit()

    assert [m.kind for m in outbox()] == ["registration_confirmed"]
    deliver_due()
    cancel_registration(registration)
    db.session.commit()
    deliver_due()

    subjects = [m["Subject"] for m in smtp_server.messages()]
    assert subjects[0].startswith("Registration confirmed")
    assert subjects[1].startswith("Registration cancelled")
    assert {e.rcpt_tos[0] for e in smtp_server.envelopes} == {"grace@example.org"}
