""" "Send me my link again": the same answer for every address, the link only to the owner."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from support import smtp_settings

from eventapp.extensions import db
from eventapp.mail.delivery import deliver_due
from eventapp.models import ChangeKind, EventStatus, OutboxMessage, RegistrationStatus
from eventapp.selfservice import limits

BASE = "https://events.example.org"
CLIENT = "198.51.100.30"
OTHER_CLIENT = "198.51.100.31"
PER_ADDRESS = 3  # limits.PER_ADDRESS, the hourly part
PER_CLIENT = 10  # limits.PER_CLIENT


@pytest.fixture
def config_overrides(smtp_server):
    return smtp_settings(
        smtp_server,
        PUBLIC_BASE_URL=BASE,
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI="memory://",
    )


def ask(client, event, email: str, address: str = CLIENT):
    return client.post(
        f"/events/{event.slug}/resend?lang=en",
        data={"email": email},
        environ_base={"REMOTE_ADDR": address},
    )


def queued() -> int:
    return db.session.execute(select(func.count(OutboxMessage.id))).scalar_one()


def test_the_limits_tested_here_are_the_configured_ones():
    assert limits.PER_ADDRESS.startswith(f"{PER_ADDRESS} per hour")
    assert limits.PER_CLIENT.startswith(f"{PER_CLIENT} per hour")


def test_a_registered_address_gets_its_manage_link_saying_who_asked_when(
    client, make_event, make_registration, smtp_server
):
    event = make_event(title="Fachkongress Quartier")
    registration = make_registration(event, email="lea.roth@example.org", locale="de")
    before = datetime.now(UTC)

    response = ask(client, event, "Lea.Roth@Example.org ")

    assert response.status_code == 303
    [change] = registration.changes
    assert change.kind is ChangeKind.MANAGE_LINK_SENT
    assert change.actor == "participant"
    assert deliver_due().sent == 1
    [envelope] = smtp_server.envelopes
    assert envelope.rcpt_tos == ["lea.roth@example.org"]
    [mail] = smtp_server.messages()
    text = mail.get_body(preferencelist=("plain",)).get_content()
    assert f"{BASE}/registrations/{registration.manage_token}" in text
    asked = event.local(change.created_at)
    assert asked.strftime("%d.%m.%Y, %H:%M") in text
    assert asked >= event.local(before) - timedelta(minutes=1)
    assert "Fachkongress Quartier" in mail["Subject"]


def test_the_answer_is_the_same_for_an_unknown_address(client, make_event, make_registration):
    event = make_event()
    make_registration(event, email="known@example.org")

    answers, pages = [], []
    for email in ("known@example.org", "unknown@example.org"):
        answers.append(ask(client, event, email))
        pages.append(client.get(answers[-1].headers["Location"]))
    known, unknown = answers

    assert known.status_code == unknown.status_code == 303
    assert known.headers["Location"] == unknown.headers["Location"]
    # The page repeats the address typed; apart from it, the two answers are one.
    texts = [re.sub(r"\w+@example\.org", "ADDRESS", p.get_data(as_text=True)) for p in pages]
    assert pages[0].status_code == pages[1].status_code == 200
    assert "ADDRESS is registered for this event" in texts[0]
    assert texts[0] == texts[1]
    assert queued() == 1


def test_an_address_of_another_event_or_an_erased_one_gets_nothing(
    client, make_event, make_registration
):
    event, other = make_event(), make_event()
    make_registration(other, email="elsewhere@example.org")
    make_registration(
        event, email="gone@example.org", anonymized_at=datetime.now(UTC), first_name=""
    )

    assert ask(client, event, "elsewhere@example.org").status_code == 303
    assert ask(client, event, "gone@example.org").status_code == 303
    assert queued() == 0


def test_only_cancelled_registrations_get_the_link_of_the_newest(
    client, make_event, make_registration, smtp_server
):
    event = make_event()
    now = datetime.now(UTC)
    older = make_registration(
        event,
        email="back@example.org",
        status=RegistrationStatus.CANCELLED,
        created_at=now - timedelta(days=3),
    )
    newer = make_registration(
        event,
        email="back@example.org",
        status=RegistrationStatus.CANCELLED,
        created_at=now - timedelta(days=1),
    )

    ask(client, event, "back@example.org")
    deliver_due()

    text = smtp_server.messages()[0].get_body(preferencelist=("plain",)).get_content()
    assert newer.manage_token in text
    assert older.manage_token not in text


def test_the_active_registration_wins_over_a_newer_cancelled_one(
    client, make_event, make_registration
):
    event = make_event()
    now = datetime.now(UTC)
    active = make_registration(event, email="a@example.org", created_at=now - timedelta(days=2))
    make_registration(
        event, email="a@example.org", status=RegistrationStatus.CANCELLED, created_at=now
    )

    ask(client, event, "a@example.org")

    assert [c.kind for c in active.changes] == [ChangeKind.MANAGE_LINK_SENT]


@pytest.mark.parametrize("email", ["", "not-an-address", "a@b"])
def test_an_invalid_address_gets_a_message_and_sends_nothing(client, make_event, email):
    event = make_event()

    response = ask(client, event, email)

    assert response.status_code == 422
    assert 'id="email-error"' in response.get_data(as_text=True)
    assert queued() == 0


def test_drafts_have_no_resend_page(client, make_event):
    draft = make_event(status=EventStatus.DRAFT)
    assert client.get(f"/events/{draft.slug}/resend").status_code == 404
    assert ask(client, draft, "x@example.org").status_code == 404


def test_one_address_is_limited_from_any_client(client, make_event, make_registration):
    event = make_event()
    make_registration(event, email="target@example.org")

    for n in range(PER_ADDRESS):
        assert ask(client, event, "target@example.org", address=f"203.0.113.{n}").status_code == 303
    refused = ask(client, event, "Target@example.org", address="203.0.113.99")

    assert refused.status_code == 429
    assert refused.mimetype == "text/html"
    html = refused.get_data(as_text=True)
    assert "The link has been requested too often" in html
    assert "<footer" in html
    assert int(refused.headers["Retry-After"]) > 0
    assert queued() == PER_ADDRESS
    # Another address from the same client is not held back.
    assert ask(client, event, "other@example.org", address="203.0.113.99").status_code == 303


def test_one_client_is_limited_whatever_addresses_it_tries(client, make_event):
    event = make_event()

    for n in range(PER_CLIENT):
        assert ask(client, event, f"guess{n}@example.org").status_code == 303
    refused = ask(client, event, "guess-last@example.org")

    assert refused.status_code == 429
    assert "The link has been requested too often" in refused.get_data(as_text=True)
    assert ask(client, event, "guess-last@example.org", address=OTHER_CLIENT).status_code == 303
    # Looking at the form does not count.
    page = client.get(f"/events/{event.slug}/resend", environ_base={"REMOTE_ADDR": CLIENT})
    assert page.status_code == 200


def test_the_page_is_linked_from_the_event_the_confirmation_and_a_duplicate(
    client, make_event, make_registration
):
    event = make_event()
    registration = make_registration(event, email="dup@example.org")
    link = f'href="/events/{event.slug}/resend"'

    def content(response) -> str:
        """The page without its footer (which links the form on every page of an event)."""
        return response.get_data(as_text=True).split('<footer class="site-footer">')[0]

    assert link in content(client.get(f"/events/{event.slug}?lang=en"))
    confirmation = client.get(f"/registrations/{registration.manage_token}/confirmation")
    assert link in content(confirmation)
    duplicate = client.post(
        f"/events/{event.slug}/register?lang=en",
        data={
            "first_name": "Lea",
            "last_name": "Roth",
            "email": "dup@example.org",
            "consent_privacy": "y",
        },
    )
    assert duplicate.status_code == 409
    assert link in content(duplicate)
    fresh = content(client.get(f"/events/{event.slug}/register?lang=en"))
    assert link not in fresh
