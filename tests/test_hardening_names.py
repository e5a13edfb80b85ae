"""Names and titles: control characters are refused where people type them, and mail
headers and calendar feeds stay intact whatever is stored.
"""

from __future__ import annotations

import email
import email.policy
import re

import icalendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import announcement, outbox, record
from test_admin import event_form
from test_admin_programme import session_form

from eventapp.extensions import db
from eventapp.mail.addresses import MAIL_POLICY, address_header
from eventapp.mail.delivery import deliver_due
from eventapp.mail.services import enqueue_bulk
from eventapp.models import Event, OutboxStatus, Registration, Session
from eventapp.text import parse_email

REFUSED = {
    "CR": "\r",
    "LF": "\n",
    "BEL": "\x07",
    "ESC": "\x1b",
    "RLO": "\u202e",
}
FIELDS = ("first_name", "last_name", "organisation")
BODY = {
    "first_name": "Anna",
    "last_name": "Beispiel",
    "email": "anna@example.org",
    "organisation": "Stadt Bürstadt",
    "consent_privacy": True,
}
# What broke the To: header: quotes, and a long last name ending in an address.
ATTACK = {
    "first_name": 'Max "Mad" Muster',
    "last_name": "Mustermann-Lüdenscheidt-Oberhausen-Wanne-Eickel von und zu "
    "<attacker@evil.example>,",
}
EN = {"Accept-Language": "en"}


def registrations() -> list[Registration]:
    return list(db.session.execute(db.select(Registration)).scalars())


# --- refused where they are typed ---------------------------------------------------------


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("char", REFUSED.values(), ids=REFUSED.keys())
def test_control_characters_in_participant_fields_are_refused_by_the_api(
    client, make_event, field, char
):
    event = make_event()
    body = {**BODY, field: f"Anna{char}Bcc: x@evil.example"}
    response = client.post(f"/api/v1/events/{event.slug}/registrations", json=body, headers=EN)
    assert response.status_code == 422
    message = response.get_json()["error"]["fields"][field]
    assert "control characters" in message and f"U+{ord(char):04X}" in message
    assert registrations() == []


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("char", REFUSED.values(), ids=REFUSED.keys())
def test_control_characters_in_participant_fields_are_refused_by_the_form(
    client, make_event, field, char
):
    event = make_event()
    data = {**BODY, "consent_privacy": "y", field: f"Anna{char}Bcc: x@evil.example"}
    response = client.post(f"/events/{event.slug}/register?lang=en", data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Line breaks, control characters and text direction overrides are not allowed" in page
    assert f"U+{ord(char):04X}" in page
    assert registrations() == []


def test_line_breaks_stay_allowed_in_accessibility_needs(client, make_event):
    event = make_event()
    body = {**BODY, "accessibility_needs": "Rollstuhl\r\nInduktionsschleife"}
    response = client.post(f"/api/v1/events/{event.slug}/registrations", json=body)
    assert response.status_code == 201


# --- the display name never becomes an address ----------------------------------------------


@pytest.fixture
def smtp_config(smtp_server):
    return {
        "MAIL_SERVER": smtp_server.host,
        "MAIL_PORT": smtp_server.port,
        "MAIL_SUPPRESS_SEND": False,
    }


class TestMailHeaders:
    @pytest.fixture
    def config_overrides(self, smtp_config):
        return smtp_config

    def test_a_name_with_quotes_and_an_address_reaches_exactly_one_recipient(
        self, client, make_event, smtp_server
    ):
        event = make_event()
        body = {**BODY, **ATTACK, "email": "victim@example.org"}
        response = client.post(f"/api/v1/events/{event.slug}/registrations", json=body)
        assert response.status_code == 201

        assert deliver_due().sent == 1

        assert [e.rcpt_tos for e in smtp_server.envelopes] == [["victim@example.org"]]
        [message] = smtp_server.messages()
        [to] = message["To"].addresses
        assert to.addr_spec == "victim@example.org"
        assert to.display_name.replace(" ", "") == (
            f"{ATTACK['first_name']} {ATTACK['last_name']}".replace(" ", "")
        )
        raw = smtp_server.envelopes[0].content.decode()
        header = re.search(r"^To:.*?(?=^\S)", raw, re.M | re.S).group(0)
        assert "attacker@evil.example" not in header
        assert email.utils.getaddresses([message["To"]]) == [(to.display_name, to.addr_spec)]

    def test_a_stored_name_with_a_line_break_does_not_stop_the_mail(
        self, make_event, make_registration, smtp_server
    ):
        # Written before line breaks were refused.
        registration = make_registration(
            make_event(), first_name="Max\r\nBcc: x@evil.example", last_name="Muster"
        )
        record(registration, status="confirmed")

        assert deliver_due().sent == 1

        assert [e.rcpt_tos for e in smtp_server.envelopes] == [[registration.email]]
        [message] = smtp_server.messages()
        assert message["Bcc"] is None
        assert [a.addr_spec for a in message["To"].addresses] == [registration.email]

    def test_a_stored_title_with_a_line_break_does_not_fail_the_mail(
        self, make_event, make_registration, smtp_server
    ):
        event = make_event(title="Fachkongress\r\nBcc: x@evil.example")
        registration = make_registration(event, locale="en")
        record(registration, status="confirmed")

        report = deliver_due()

        assert report.sent == 1, outbox()[0].last_error
        [message] = smtp_server.messages()
        assert message["Bcc"] is None
        assert (
            message["Subject"]
            .strip()
            .startswith("Registration confirmed: Fachkongress Bcc: x@evil.example on")
        )

    def test_a_stored_bulk_subject_with_a_line_break_is_sent_on_one_line(
        self, make_event, make_registration, smtp_server
    ):
        event = make_event()
        registration = make_registration(event)
        batch = announcement(event, "Anreise\r\nBcc: x@evil.example", "Bitte früh kommen.")
        enqueue_bulk([registration], batch)
        db.session.commit()

        assert deliver_due().sent == 1

        [message] = smtp_server.messages()
        assert message["Subject"] == "Anreise Bcc: x@evil.example"
        assert message["Bcc"] is None
        assert [m.status for m in outbox()] == [OutboxStatus.SENT]


names = st.lists(
    st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from(['"', "<", ">", ",", "@", ";", ":", "\\", "(", ")", "=?", "?=", " "]),
        st.just("<attacker@evil.example>"),
    ),
    max_size=60,
).map("".join)


@settings(max_examples=300, derandomize=True, deadline=None)
@given(first=names, last=names)
def test_any_name_gives_a_to_header_with_exactly_the_one_recipient(first, last):
    recipient = parse_email("victim@example.org")
    message = email.message.EmailMessage(policy=MAIL_POLICY)
    message.set_raw("To", address_header(f"{first} {last}", recipient))
    message.set_content("x")
    for policy in (MAIL_POLICY, MAIL_POLICY.clone(utf8=True)):
        raw = message.as_bytes(policy=policy).decode("utf-8")
        received = email.message_from_string(raw, policy=email.policy.default)
        assert [a.addr_spec for a in received["To"].addresses] == ["victim@example.org"]
        assert all(len(line) <= 998 for line in raw.splitlines())


# --- feeds ----------------------------------------------------------------------------------


def store_titles(event: Event, session: Session) -> None:
    """Titles with line breaks and control characters, as older versions let them in."""
    event.title = "Fachkongress\r\nBEGIN:VEVENT\x07"
    session.title = "Werkstatt\nEND:VCALENDAR\x1b\u202e"
    db.session.commit()


def test_feeds_answer_with_a_stored_title_holding_line_breaks(
    client, make_programme, make_registration
):
    event = make_programme()
    session = event.sessions[0]
    registration = make_registration(event)
    store_titles(event, session)

    for url in (
        "/calendar.ics",
        f"/events/{event.slug}/calendar.ics",
        f"/events/{event.slug}/sessions/{session.id}.ics",
        f"/calendar/{registration.calendar_token}.ics",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        calendar = icalendar.Calendar.from_ical(response.data)
        summaries = [str(c["SUMMARY"]) for c in calendar.walk("VEVENT")]
        assert summaries, url
        for summary in summaries:
            assert not re.search(r"[\x00-\x1f\x7f\u202e]", summary), (url, summary)
        assert not re.search(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", response.data), url
        # The stored text shows as text, not as calendar structure.
        lines = response.data.split(b"\r\n")
        assert lines.count(b"BEGIN:VCALENDAR") == 1
        assert lines.count(b"BEGIN:VEVENT") == len(summaries), url


def test_a_session_page_links_a_one_line_title_to_google_calendar(client, make_programme):
    event = make_programme()
    session = event.sessions[0]
    store_titles(event, session)
    response = client.get(f"/events/{event.slug}/sessions/{session.id}")
    assert response.status_code == 200
    assert "text=Werkstatt%20END%3AVCALENDAR" in response.get_data(as_text=True)


# --- the back office ------------------------------------------------------------------------


def test_an_event_title_with_a_line_break_is_refused(admin_client):
    response = admin_client.post(
        "/admin/events/new?lang=en", data=event_form(title="Besuch\r\nin Fürth")
    )
    assert response.status_code == 422
    assert "Line breaks, control characters" in response.get_data(as_text=True)
    assert db.session.execute(db.select(Event)).first() is None


@pytest.mark.parametrize("char", REFUSED.values(), ids=REFUSED.keys())
def test_a_session_title_with_a_control_character_is_refused(admin_client, make_programme, char):
    event = make_programme()
    before = len(event.sessions)
    response = admin_client.post(
        f"/admin/events/{event.id}/sessions/new?lang=en",
        data=session_form(event, title=f"Werkstatt C{char}Umwelt"),
    )
    assert response.status_code == 422
    assert "text direction overrides are not allowed" in response.get_data(as_text=True)
    db.session.expire_all()
    assert len(db.session.get(Event, event.id).sessions) == before


def test_a_bulk_mail_subject_with_a_line_break_is_refused(
    admin_client, make_event, make_registration
):
    event = make_event()
    make_registration(event)
    url = f"/admin/events/{event.id}/mail?lang=en"
    data = {"status": "active", "subject": "Anreise\r\nBcc: x@evil.example", "body": "Hallo"}

    preview = admin_client.post(url, data={**data, "action": "preview"})
    assert preview.status_code == 422
    assert "Line breaks, control characters" in preview.get_data(as_text=True)
    assert 'id="mail-preview"' not in preview.get_data(as_text=True)

    send = admin_client.post(url, data={**data, "action": "send", "previewed": "0" * 64})
    assert send.status_code == 422
    assert outbox() == []
