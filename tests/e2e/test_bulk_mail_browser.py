"""In a real browser: an organizer sends a bulk mail and watches its progress move without
reloading the page, while a worker delivers it to a real SMTP server."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from support import log_in_browser, smtp_settings

from eventapp.extensions import db
from eventapp.mail.delivery import deliver_due
from eventapp.models import Role


@pytest.fixture
def config_overrides(smtp_server):
    return smtp_settings(smtp_server)


@pytest.mark.e2e
def test_the_progress_of_a_send_moves_to_sent_without_reloading(
    live_server, launch_chromium, make_user, make_event, make_registration, smtp_server
):
    admin = make_user(Role.ADMIN)
    event = make_event()
    people = [make_registration(event) for _ in range(3)]
    email, event_id = admin.email, event.id
    addresses = sorted(p.email for p in people)
    # Outside a request SQLite begins IMMEDIATE: end this transaction so the server can write.
    db.session.commit()

    page = launch_chromium().new_page(locale="de-DE")
    log_in_browser(page, live_server, email, "/admin/**")
    page.goto(f"{live_server}/admin/events/{event_id}/mail")
    page.fill("#subject", "Anreise")
    page.fill("#body", "{greeting}\n\nBitte kommen Sie früh.")
    page.click("button[value=preview]")
    expect(page.locator("#recipient-count")).to_have_attribute("data-count", "3")
    page.click("#send-button")
    page.wait_for_url(f"{live_server}/admin/events/{event_id}/mail/sends/*")
    progress = page.locator("#send-progress")
    expect(progress.locator('[data-count="queued"]')).to_have_text("3")
    expect(progress.locator('[data-count="sent"]')).to_have_text("0")
    url = page.url

    db.session.rollback()
    assert deliver_due().sent == 3
    db.session.commit()

    # The page's script asks again every few seconds; the page is not reloaded.
    expect(progress.locator('[data-count="sent"]')).to_have_text("3", timeout=15_000)
    expect(progress.locator('[data-count="queued"]')).to_have_text("0")
    assert page.url == url
    assert sorted(e.rcpt_tos[0] for e in smtp_server.envelopes) == addresses
