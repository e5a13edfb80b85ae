"""In a real browser: an organizer moves a session to another room, reviews and sends the notice,
and the participant's mail shows the old room and the new one."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from support import log_in_browser, smtp_settings, workshop
from test_accessibility import BLOCKING, audit, describe

from eventapp.extensions import db
from eventapp.mail.delivery import deliver_due
from eventapp.models import ChoiceStatus, Role, SessionChoice


@pytest.fixture
def config_overrides(smtp_server):
    # The test's own app delivers what the live server queued, to the real SMTP server.
    return smtp_settings(smtp_server)


@pytest.mark.e2e
def test_organizer_moves_a_room_reviews_sends_and_the_participant_sees_before_and_after(
    live_server, launch_chromium, make_user, make_programme, make_registration, smtp_server
):
    admin = make_user(Role.ADMIN)
    event = make_programme()
    moved = workshop(event)
    participant = make_registration(
        event, locale="de", choices=[SessionChoice(session=moved, status=ChoiceStatus.CONFIRMED)]
    )
    email, event_id, session_id = admin.email, event.id, moved.id
    new_room_id, address = event.rooms[1].id, participant.email
    # End the test's transaction so that the server's workers can write (SQLite).
    db.session.commit()

    # axe-core is inlined by the test, so only this context lets it past the CSP.
    page = launch_chromium().new_context(locale="de-DE", bypass_csp=True).new_page()
    log_in_browser(page, live_server, email, "/admin/**")
    page.goto(f"{live_server}/admin/sessions/{session_id}/edit")
    page.select_option("#room_id", str(new_room_id))
    page.click("#session-form button[type=submit]")
    page.wait_for_url(f"{live_server}/admin/events/{event_id}/programme")

    # Nothing is queued by the edit; the programme page points to the review.
    assert deliver_due().sent == 0
    page.click("#pending-changes-note a")
    page.wait_for_url(f"{live_server}/admin/events/{event_id}/changes")
    expect(page.locator("#pending-changes")).to_contain_text("Großer Saal")
    expect(page.locator("#pending-changes .after")).to_have_text("Raum Rhein")
    expect(page.locator("[data-preview=de] pre")).to_contain_text("Raum Rhein")
    problems = describe("review page", [v for v in audit(page) if v["impact"] in BLOCKING])
    assert problems == []
    page.click("#send-form button[type=submit]")
    page.wait_for_url(f"{live_server}/admin/events/{event_id}/changes")
    expect(page.locator(".flash-success")).to_have_count(1)
    expect(page.locator("#no-changes")).to_be_visible()

    db.session.rollback()  # see what the server committed
    assert deliver_due().sent == 1
    [mail] = smtp_server.messages()
    assert mail["To"].addresses[0].addr_spec == address
    text = mail.get_body(("plain",)).get_content()
    assert "Raum: Großer Saal → Raum Rhein" in text
    html = mail.get_body(("html",)).get_content()
    assert "<s>Großer Saal</s> → <strong>Raum Rhein</strong>" in html
