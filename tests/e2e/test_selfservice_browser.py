"""Self-service in a browser, with the real CSRF tokens of the live server."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from eventapp.extensions import db
from eventapp.models import ChangeKind, EmailChange, Registration

pytestmark = pytest.mark.e2e


def test_a_participant_corrects_data_asks_for_a_new_address_and_for_the_link(
    live_server, launch_chromium, make_event, make_registration
):
    event = make_event(slug="kongress")
    registration = make_registration(event, email="alt@example.org", photo_consent=True)
    token, registration_id = registration.manage_token, registration.id
    db.session.commit()  # release SQLite before the server reads

    page = launch_chromium().new_page(locale="en-GB")
    page.goto(f"{live_server}/registrations/{token}?lang=en")
    page.click("#details-link")
    page.fill("#organisation", "Kreis Bergstraße")
    page.uncheck("#photo_consent")
    page.click("#save-details")
    page.wait_for_selector("#photo-withdrawn")
    assert "Kreis Bergstraße" in page.inner_text("#manage")

    page.click("#details-link")
    page.fill("#email", "neu@example.org")
    page.click("#send-email-link")
    page.wait_for_selector("#pending-email")

    page.goto(f"{live_server}/events/kongress?lang=en")
    page.click("#resend-hint a")
    page.fill("#email", "alt@example.org")
    page.click("#resend-button")
    page.wait_for_selector(".flash-info")

    db.session.expire_all()
    stored = db.session.get(Registration, registration_id)
    assert stored.organisation == "Kreis Bergstraße"
    assert stored.photo_consent_withdrawn_at is not None
    assert stored.email == "alt@example.org"
    assert [c.kind for c in stored.changes] == [
        ChangeKind.DETAILS_CHANGED,
        ChangeKind.EMAIL_CHANGE_REQUESTED,
        ChangeKind.MANAGE_LINK_SENT,
    ]
    assert db.session.execute(select(EmailChange.new_email)).scalar_one() == "neu@example.org"
