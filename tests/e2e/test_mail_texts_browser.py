"""In a real browser: an organizer previews and saves a mail text; both languages sit side by
side on a desktop and one below the other on a phone."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from support import log_in_browser

from eventapp.extensions import db
from eventapp.models import MailText, Role


@pytest.mark.e2e
def test_organizer_previews_and_saves_a_reminder_text(
    live_server, launch_chromium, make_user, make_event
):
    admin = make_user(Role.ADMIN)
    event = make_event()
    email, event_id = admin.email, event.id
    db.session.commit()  # end the IMMEDIATE transaction, so the server's workers can write

    browser = launch_chromium()
    page = browser.new_page(locale="de-DE", viewport={"width": 1280, "height": 900})
    log_in_browser(page, live_server, email, "/admin/**")
    page.goto(f"{live_server}/admin/events/{event_id}")
    page.click(f"a[href='/admin/events/{event_id}/mail-settings']")

    page.click("#text-reminder summary")
    german, english = page.locator("#reminder-text-de"), page.locator("#reminder-text-en")
    german_box, english_box = german.bounding_box(), english.bounding_box()
    assert german_box and english_box
    assert german_box["y"] == english_box["y"] and german_box["x"] < english_box["x"]

    german.fill("Bis bald, {formal_name}!")
    page.click("#text-reminder [name=preview]")
    expect(page.locator("#previews")).to_contain_text("Bis bald, Frau Dr. Mustermann!")
    expect(page.locator("#previews")).to_contain_text("/registrations/preview")
    assert db.session.execute(db.select(db.func.count(MailText.id))).scalar_one() == 0
    db.session.commit()  # a read begins a write transaction on SQLite too: end it

    page.click("#text-reminder [name=save]")
    expect(page.locator(".flash-success")).to_have_count(1)
    db.session.expire_all()
    saved = db.session.execute(db.select(MailText)).scalar_one()
    assert (saved.kind, saved.locale, saved.text) == ("reminder", "de", "Bis bald, {formal_name}!")
    db.session.commit()

    phone = browser.new_page(locale="de-DE", viewport={"width": 390, "height": 800})
    log_in_browser(phone, live_server, email, "/admin/**")
    phone.goto(f"{live_server}/admin/events/{event_id}/mail-settings")
    phone.click("#text-reminder summary")
    german_box = phone.locator("#reminder-text-de").bounding_box()
    english_box = phone.locator("#reminder-text-en").bounding_box()
    assert german_box and english_box
    assert english_box["y"] > german_box["y"] + german_box["height"]
    assert english_box["x"] + english_box["width"] <= 390
