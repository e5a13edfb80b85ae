"""Mail people can trust and answer: sender, Reply-To, footer, contacts (real SMTP server)."""

from __future__ import annotations

import pytest
from support import smtp_settings, with_workshop

from eventapp.extensions import db
from eventapp.mail.delivery import deliver_due
from eventapp.mail.outbox import OFFICE_KINDS, MessageKind
from eventapp.mail.sender import mail_identity
from eventapp.mail.services import enqueue
from eventapp.selfservice.services import request_email_change

SENDER = "Geschäftsstelle Zukunftsbündnis <noreply@events.example.org>"
OPERATOR = "Geschäftsstelle Zukunftsbündnis Sozialer Zusammenhalt, ProjektStadt"


@pytest.fixture
def config_overrides(smtp_server):
    return smtp_settings(
        smtp_server,
        PUBLIC_BASE_URL="https://events.example.org/kongress",
        MAIL_DEFAULT_SENDER=SENDER,
        MAIL_REPLY_TO="Geschäftsstelle <geschaeftsstelle@events.example.org>",
        MAIL_OPERATOR=OPERATOR,
        MAIL_OPERATOR_ADDRESS="Musterstraße 1, 60311 Frankfurt am Main",
        MAIL_CONTACT_EMAIL="kontakt@events.example.org",
        MAIL_CONTACT_PHONE="069 000000-0",
        MAIL_PRIVACY_CONTACT="Datenschutzbeauftragte, datenschutz@events.example.org",
    )


def payload_for(kind: MessageKind, workshop) -> dict:
    """What each kind's messages carry when the services queue them."""
    match kind:
        case MessageKind.WORKSHOPS_CHANGED:
            return {"detail": {"added": [workshop.id]}}
        case MessageKind.PROGRAMME_CHANGED:
            moved = {"title": workshop.title, "status": "scheduled", "room": "Raum Rhein"}
            return {"session_id": workshop.id, "old": moved, "new": moved}
        case MessageKind.ANNOUNCEMENT:
            return {"subject": "Hinweis zur Anreise", "body": "Bitte nehmen Sie die S-Bahn."}
    return {}


def plain(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")


def footer_of(text: str) -> str:
    """The part after the signature separator of a plain-text body."""
    assert "\n-- \n" in text
    return text.split("\n-- \n", 1)[1]


def test_every_mail_kind_carries_sender_reply_to_and_footer(
    make_programme, make_registration, smtp_server
):
    event, workshop, registration = with_workshop(make_programme, make_registration, locale="de")
    # Mail to the office about a barrier report is not about a registration.
    kinds = [kind for kind in MessageKind if kind not in OFFICE_KINDS]
    for kind in kinds:
        if kind == MessageKind.EMAIL_CHANGE:
            # Only its service queues it: the mail needs the address change it confirms.
            request_email_change(registration, "neue.adresse@example.org")
        else:
            enqueue(kind, registration, payload_for(kind, workshop))
    db.session.commit()

    report = deliver_due()

    assert report.sent == len(kinds)
    received = smtp_server.messages()
    assert len(received) == len(kinds)
    for message in received:
        subject = message["Subject"]
        assert message["From"].addresses[0].addr_spec == "noreply@events.example.org", subject
        assert message["Reply-To"].addresses[0].addr_spec == (
            "geschaeftsstelle@events.example.org"
        ), subject
        text = plain(message)
        html = message.get_body(preferencelist=("html",)).get_content()
        footer = footer_of(text)
        for expected in (
            OPERATOR,
            "Musterstraße 1",
            "60311 Frankfurt am Main",
            "kontakt@events.example.org",
            "https://events.example.org/kongress/impressum",
            "https://events.example.org/kongress/privacy",
            f"weil Sie sich zur Veranstaltung „{event.title}“ angemeldet haben",
        ):
            assert expected in footer, (subject, expected)
        assert 'id="mail-footer"' in html, subject
        assert 'href="https://events.example.org/kongress/impressum"' in html, subject
        assert 'href="https://events.example.org/kongress/privacy"' in html, subject
        assert OPERATOR in html, subject


def test_the_confirmation_names_the_office_and_the_data_protection_officer(
    make_programme, make_registration, smtp_server
):
    _event, _workshop, registration = with_workshop(make_programme, make_registration, locale="en")
    enqueue(MessageKind.REGISTRATION_CONFIRMED, registration)
    db.session.commit()

    deliver_due()

    [message] = smtp_server.messages()
    body = plain(message).split("\n-- \n", 1)[0]
    assert "Your contacts" in body
    assert "the office, kontakt@events.example.org, 069 000000-0" in body
    assert (
        "the data protection officer, Datenschutzbeauftragte, datenschutz@events.example.org"
        in body
    )
    html = message.get_body(preferencelist=("html",)).get_content()
    assert 'href="mailto:kontakt@events.example.org"' in html
    assert "datenschutz@events.example.org" in html


def test_without_a_reply_to_replies_go_to_the_contact_address(app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_REPLY_TO", None)
    with app.test_request_context("/"):
        identity = mail_identity()
    assert identity.reply_to == "kontakt@events.example.org"
    assert identity.sender == SENDER
