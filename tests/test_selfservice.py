"""Participants correct their own data and change their address on the manage page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from support import smtp_settings

from eventapp.extensions import db
from eventapp.mail.delivery import deliver_due
from eventapp.models import (
    AuditEntry,
    ChangeKind,
    EmailChange,
    OutboxMessage,
    RegistrationStatus,
    Sector,
    utcnow,
)

BASE = "https://events.example.org"


@pytest.fixture
def config_overrides(smtp_server):
    return smtp_settings(smtp_server, PUBLIC_BASE_URL=BASE)


def details_url(registration) -> str:
    return f"/registrations/{registration.manage_token}/details?lang=en"


def email_url(registration) -> str:
    return f"/registrations/{registration.manage_token}/email?lang=en"


FORM = {
    "salutation": "ms",
    "academic_title": "Dr.",
    "first_name": "Anna",
    "last_name": "Weber",
    "organisation": "Kreis Bergstraße",
    "sector": "municipality",
    "municipality": "Bürstadt",
    "accessibility_needs": "Stufenloser Zugang",
    "dietary_preference": "vegan",
    "photo_consent": "y",
}


def count(model) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def audit_actions() -> list[str]:
    return list(db.session.execute(select(AuditEntry.action).order_by(AuditEntry.id)).scalars())


def test_the_details_page_shows_the_stored_data_and_is_kept_private(
    client, make_event, make_registration
):
    registration = make_registration(make_event(), organisation="Stadt Lampertheim")

    response = client.get(details_url(registration))

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'value="Stadt Lampertheim"' in html
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert client.get("/registrations/not-a-token/details").status_code == 404


def test_the_manage_page_links_to_the_details_page(client, make_event, make_registration):
    registration = make_registration(make_event())

    html = client.get(f"/registrations/{registration.manage_token}?lang=en").get_data(as_text=True)

    assert f'href="/registrations/{registration.manage_token}/details"' in html


def test_corrected_details_are_saved_with_history_and_audit_seen_by_the_back_office(
    client, admin_client, make_event, make_registration
):
    registration = make_registration(make_event(), photo_consent=True)

    response = client.post(details_url(registration), data={**FORM, "photo_consent": ""})

    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/registrations/{registration.manage_token}")
    db.session.refresh(registration)
    assert (registration.first_name, registration.last_name) == ("Anna", "Weber")
    assert registration.salutation == "ms"
    assert registration.academic_title == "Dr."
    assert registration.sector is Sector.MUNICIPALITY
    assert registration.dietary_preference == "vegan"
    assert registration.photo_consent is False
    assert registration.photo_consent_withdrawn_at is not None
    change = registration.changes[-1]
    assert change.kind is ChangeKind.DETAILS_CHANGED
    assert change.actor == "participant"
    assert "organisation" in change.detail["fields"]
    assert "registration.details_changed" in audit_actions()

    detail = admin_client.get(f"/admin/registrations/{registration.id}?lang=en")
    assert detail.status_code == 200
    assert "Personal details changed" in detail.get_data(as_text=True)
    audit = admin_client.get("/admin/audit?lang=en").get_data(as_text=True)
    assert "Personal details changed" in audit
    assert "Kreis Bergstraße" in audit  # the value after the change

    manage = client.get(f"/registrations/{registration.manage_token}?lang=en")
    assert 'id="photo-withdrawn"' in manage.get_data(as_text=True)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("first_name", "", "This field is required."),
        ("last_name", "x" * 200, "characters"),
        ("organisation", "Stadt\u202eBürstadt", None),
        ("sector", "ministry-of-magic", "Not a valid choice"),
        ("dietary_preference", "anything", "Not a valid choice"),
    ],
)
def test_invalid_details_are_refused_with_a_message_and_change_nothing(
    client, make_event, make_registration, field, value, message
):
    registration = make_registration(make_event(), organisation="Stadt Bürstadt")
    before = (registration.first_name, registration.last_name, registration.organisation)

    response = client.post(details_url(registration), data={**FORM, field: value})

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'id="{field}-error"' in html
    if message:
        assert message in html
    db.session.expire_all()
    assert (registration.first_name, registration.last_name, registration.organisation) == before
    assert [c.kind for c in registration.changes] == []
    assert audit_actions() == []


def test_the_details_form_gives_the_registration_forms_messages(
    client, make_event, make_registration
):
    event = make_event()
    registration = make_registration(event)
    data = {**FORM, "first_name": "", "academic_title": "Dr.\nmed."}

    on_details = client.post(details_url(registration), data=data).get_data(as_text=True)
    on_register = client.post(
        f"/events/{event.slug}/register?lang=en", data={**data, "email": "neu@example.org"}
    ).get_data(as_text=True)

    def errors(html: str) -> dict[str, str]:
        return dict(re.findall(r'id="(first_name|academic_title)-error">([^<]+)<', html))

    assert errors(on_details) == errors(on_register)
    assert set(errors(on_details)) == {"first_name", "academic_title"}


def test_saving_unchanged_details_records_nothing(client, make_event, make_registration):
    registration = make_registration(make_event())
    data = {
        "first_name": registration.first_name,
        "last_name": registration.last_name,
        "organisation": registration.organisation,
    }

    response = client.post(details_url(registration), data=data)

    assert response.status_code == 303
    assert registration.changes == []


def test_a_cancelled_registration_can_still_be_corrected_until_erased(
    client, make_event, make_registration
):
    event = make_event()
    cancelled = make_registration(event, status=RegistrationStatus.CANCELLED, cancelled_at=utcnow())
    erased = make_registration(event, anonymized_at=utcnow(), first_name="", last_name="")

    assert client.post(details_url(cancelled), data=FORM).status_code == 303
    assert cancelled.last_name == "Weber"
    assert client.get(details_url(erased)).status_code == 302
    response = client.post(details_url(erased), data=FORM)
    assert response.status_code == 409
    assert erased.last_name == ""


def test_the_forms_need_their_csrf_token(app, client, make_event, make_registration):
    registration = make_registration(make_event(), organisation="Stadt Bürstadt")
    app.config["WTF_CSRF_ENABLED"] = True  # this test's own app (config_overrides)

    html = client.get(details_url(registration)).get_data(as_text=True)
    for form in ("details-form", "email-form"):
        assert re.search(rf'id="{form}"[^>]*>\s*<input[^>]*name="csrf_token"', html), form
    assert client.post(details_url(registration), data=FORM).status_code in (400, 422)
    response = client.post(email_url(registration), data={"email": "n@example.org"})
    assert response.status_code in (400, 422)

    db.session.expire_all()
    assert registration.organisation == "Stadt Bürstadt"
    assert count(EmailChange) == 0


# --- the address ------------------------------------------------------------------


def confirmation_link(smtp_server, to: str) -> str:
    [envelope] = [e for e in smtp_server.envelopes if to in e.rcpt_tos]
    [message] = [m for m in smtp_server.messages() if m["To"].addresses[0].addr_spec == to]
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert envelope.rcpt_tos == [to]
    return re.search(rf"{BASE}(/email-change/\S+)", text).group(1)


def test_a_new_address_is_confirmed_from_a_link_sent_to_it_and_the_link_works_once(
    client, admin_client, make_event, make_registration, smtp_server
):
    registration = make_registration(make_event(), email="alt@example.org")

    response = client.post(email_url(registration), data={"email": "Neu@Example.org"})

    assert response.status_code == 303
    assert registration.email == "alt@example.org"  # not before it is confirmed
    assert registration.changes[-1].kind is ChangeKind.EMAIL_CHANGE_REQUESTED
    [change] = db.session.execute(select(EmailChange)).scalars()
    assert len(change.token_hash) == 64
    manage = client.get(f"/registrations/{registration.manage_token}?lang=en")
    assert 'data-pending="Neu@example.org"' in manage.get_data(as_text=True)

    assert deliver_due().sent == 1
    path = confirmation_link(smtp_server, "Neu@example.org")
    assert change.token_hash not in path
    mail = smtp_server.messages()[0].get_body(preferencelist=("plain",)).get_content()
    assert registration.manage_token not in mail  # the address is not confirmed yet

    page = client.get(path + "?lang=en")
    assert page.status_code == 200
    assert 'id="confirm-email-button"' in page.get_data(as_text=True)
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert registration.email == "alt@example.org"  # looking changes nothing

    confirmed = client.post(path + "?lang=en")
    assert confirmed.status_code == 303
    db.session.refresh(registration)
    assert registration.email == "Neu@example.org"
    assert registration.email_normalized == "neu@example.org"
    assert [c.kind for c in registration.changes][-2:] == [
        ChangeKind.EMAIL_CHANGE_REQUESTED,
        ChangeKind.EMAIL_CHANGED,
    ]
    assert "registration.email_changed" in audit_actions()
    history = admin_client.get(f"/admin/registrations/{registration.id}?lang=en")
    assert "Email address changed" in history.get_data(as_text=True)

    again = client.post(path + "?lang=en")
    assert again.status_code == 410
    assert 'data-code="link_used"' in again.get_data(as_text=True)
    assert client.get(path).status_code == 410


def test_an_expired_link_is_refused_and_changes_nothing(
    client, make_event, make_registration, smtp_server
):
    registration = make_registration(make_event(), email="alt@example.org")
    client.post(email_url(registration), data={"email": "neu@example.org"})
    deliver_due()
    path = confirmation_link(smtp_server, "neu@example.org")
    change = db.session.execute(select(EmailChange)).scalar_one()
    change.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()

    for response in (client.get(path + "?lang=en"), client.post(path + "?lang=en")):
        assert response.status_code == 410
        assert 'data-code="link_expired"' in response.get_data(as_text=True)
    assert registration.email == "alt@example.org"
    assert client.get("/email-change/made-up-token").status_code == 404


def test_an_address_taken_in_the_meantime_is_refused_with_a_clear_message(
    client, make_event, make_registration, smtp_server
):
    event = make_event()
    registration = make_registration(event, email="alt@example.org")
    client.post(email_url(registration), data={"email": "neu@example.org"})
    deliver_due()
    path = confirmation_link(smtp_server, "neu@example.org")
    make_registration(event, email="neu@example.org")

    response = client.post(path + "?lang=en")

    assert response.status_code == 409
    assert "already registered for this event" in response.get_data(as_text=True)
    db.session.expire_all()
    assert registration.email == "alt@example.org"
    assert db.session.execute(select(EmailChange.confirmed_at)).scalar_one() is None


@pytest.mark.parametrize(
    ("address", "status"),
    [("", 422), ("not-an-address", 422), ("alt@example.org", 422), ("taken@example.org", 409)],
)
def test_a_refused_new_address_sends_nothing(
    client, make_event, make_registration, address, status
):
    event = make_event()
    registration = make_registration(event, email="alt@example.org")
    make_registration(event, email="taken@example.org")

    response = client.post(email_url(registration), data={"email": address})

    assert response.status_code == status
    assert 'id="email-error"' in response.get_data(as_text=True)
    assert count(EmailChange) == 0
    assert count(OutboxMessage) == 0
    assert registration.changes == []


def test_a_newer_request_ends_the_earlier_link_and_its_unsent_mail(
    client, make_event, make_registration, smtp_server
):
    registration = make_registration(make_event(), email="alt@example.org")
    client.post(email_url(registration), data={"email": "erste@example.org"})
    client.post(email_url(registration), data={"email": "zweite@example.org"})

    report = deliver_due()

    # The first mail is discarded: its link no longer works.
    assert report.sent == 1
    assert [e.rcpt_tos for e in smtp_server.envelopes] == [["zweite@example.org"]]
    path = confirmation_link(smtp_server, "zweite@example.org")
    assert client.post(path).status_code == 303
    assert registration.email == "zweite@example.org"


def test_erasing_the_data_removes_asked_for_addresses_and_their_links(
    client, make_event, make_registration
):
    from eventapp.registration.privacy import purge_event

    now = utcnow()
    event = make_event(starts_at=now - timedelta(days=3), ends_at=now - timedelta(days=2))
    registration = make_registration(event, email="alt@example.org")
    response = client.post(email_url(registration), data={"email": "neu@example.org"})
    assert response.status_code == 303

    assert purge_event(event, after_days=1) == 1
    db.session.commit()

    assert count(EmailChange) == 0
