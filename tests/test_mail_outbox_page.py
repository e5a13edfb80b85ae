"""The back office's outbox page: every message with its state, attempts, last error and preview."""

from __future__ import annotations

import re

import pytest
from support import free_port, outbox, record

from eventapp.extensions import db
from eventapp.mail.delivery import deliver_due
from eventapp.mail.outbox import MessageKind
from eventapp.mail.services import enqueue
from eventapp.models import OutboxStatus
from eventapp.models.base import utcnow


@pytest.fixture
def config_overrides():
    # Nothing listens on this port: the SMTP server is unreachable.
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": free_port(), "MAIL_SUPPRESS_SEND": False}


def card(page: str, message_id: int) -> str:
    """The listing of one message on the page."""
    match = re.search(
        rf'<li class="card stack" data-message="{message_id}"[^>]*>(.*?)</li>', page, re.S
    )
    assert match, f"message {message_id} is not listed"
    return match.group(1)


def page_of(client, query: str = "") -> str:
    """The page in English: the labels are new texts, the mails render in their own language."""
    return client.get(f"/admin/outbox?lang=en{query}").get_data(as_text=True)


def test_pending_mail_with_an_unreachable_server_shows_why_it_waits(
    admin_client, make_event, make_registration
):
    event = make_event()
    registration = make_registration(event, locale="de")
    record(registration, status="confirmed")
    deliver_due()
    [message] = outbox()
    assert (message.status, message.attempts) == (OutboxStatus.PENDING, 1)

    page = page_of(admin_client)

    listing = card(page, message.id)
    assert 'data-count="pending">1<' in page
    assert 'id="oldest-pending"' in page
    assert "waiting to be sent" in listing
    assert "Registration confirmation" in listing
    assert registration.email in listing
    assert 'data-attempts="1"' in listing
    assert "Connection refused" in listing or "ConnectionRefusedError" in listing
    assert "Next attempt" in listing
    # The preview shows the mail as it would go out: subject and text in its language.
    assert event.title in listing
    assert "Vielen Dank für Ihre Anmeldung" in listing
    assert "registration_confirmed" not in listing


def test_failed_mail_lists_state_attempts_error_and_an_escaped_preview(
    admin_client, make_event, make_registration
):
    registration = make_registration(make_event(), locale="en")
    message = enqueue(
        MessageKind.ANNOUNCEMENT,
        registration,
        {"subject": "Room <b>change</b>", "body": "Meet at <script>alert(1)</script> gate 2."},
    )
    message.status = OutboxStatus.FAILED
    message.attempts = 8
    message.last_error = "SMTPRecipientsRefused: 550 <mailbox unavailable>"
    db.session.commit()

    page = page_of(admin_client)

    listing = card(page, message.id)
    assert 'data-status="failed"' in page
    assert ">failed<" in listing
    assert 'data-attempts="8"' in listing
    assert "550 &lt;mailbox unavailable&gt;" in listing
    assert "Room &lt;b&gt;change&lt;/b&gt;" in listing
    assert "Meet at &lt;script&gt;alert(1)&lt;/script&gt; gate 2." in listing
    assert "<script>alert" not in page
    assert f'name="message_id" value="{message.id}"' in listing


def test_the_state_filter_and_pagination_narrow_the_list(
    admin_client, make_event, make_registration
):
    registration = make_registration(make_event())
    sent = []
    for _ in range(27):
        message = enqueue(MessageKind.REMINDER, registration)
        message.status = OutboxStatus.SENT
        sent.append(message)
    failed = enqueue(MessageKind.CANCELLED, registration)
    failed.status = OutboxStatus.FAILED
    db.session.commit()

    only_failed = page_of(admin_client, "&status=failed")
    assert re.findall(r'data-message="(\d+)"', only_failed) == [str(failed.id)]
    first = page_of(admin_client, "&status=sent")
    second = page_of(admin_client, "&status=sent&page=2")
    shown = re.findall(r'data-message="(\d+)"', first) + re.findall(r'data-message="(\d+)"', second)
    assert sorted(map(int, shown)) == sorted(m.id for m in sent)
    assert "status=sent" in first.split('rel="next"')[0].rsplit("href=", 1)[1]
    everything = page_of(admin_client, "&status=nonsense")
    assert len(re.findall(r'data-message="', everything)) == 25


def test_a_message_whose_registration_was_erased_is_listed_without_a_preview(
    admin_client, make_event, make_registration
):
    registration = make_registration(make_event())
    message = enqueue(MessageKind.REMINDER, registration)
    registration.anonymized_at = utcnow()
    db.session.commit()

    listing = card(page_of(admin_client), message.id)

    assert "<h2" in listing and "Reminder</h2>" in listing
    assert "No preview" in listing
    assert "<details" not in listing
