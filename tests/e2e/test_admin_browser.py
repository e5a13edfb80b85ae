"""In a real browser: an organizer adds a session, and the public sees it at once."""

from __future__ import annotations

import pytest
from clock import CONGRESS_YEAR
from playwright.sync_api import expect
from support import log_in_browser

from eventapp.extensions import db
from eventapp.models import Role

TITLE = "Podium Nachbarschaft und Ehrenamt"


@pytest.mark.e2e
def test_organizer_creates_a_session_that_shows_in_the_programme_and_its_feed(
    live_server, launch_chromium, make_user, make_programme
):
    admin = make_user(Role.ADMIN)
    event = make_programme()
    email, event_id, slug = admin.email, event.id, event.slug
    track_id, room_id = event.tracks[1].id, event.rooms[1].id
    speaker_id = event.speakers[0].id
    # Outside a request every transaction here begins IMMEDIATE on SQLite: end it, so the
    # server's workers can write.
    db.session.commit()

    page = launch_chromium().new_page(locale="de-DE")
    log_in_browser(page, live_server, email, "/admin/**")

    page.goto(f"{live_server}/admin/events/{event_id}/programme")
    page.click(f"a[href='/admin/events/{event_id}/sessions/new']")
    page.fill("#title", TITLE)
    page.select_option("#kind", "panel")
    page.fill("#abstract", "Wie Ehrenamt das Quartier trägt.")
    page.fill("#starts_at", f"{CONGRESS_YEAR}-05-16T14:00")
    page.fill("#ends_at", f"{CONGRESS_YEAR}-05-16T15:00")
    page.select_option("#track_id", str(track_id))
    page.select_option("#room_id", str(room_id))
    page.select_option("#speaker_ids", [str(speaker_id)])
    page.click("#session-form button[type=submit]")

    page.wait_for_url(f"{live_server}/admin/events/{event_id}/programme")
    expect(page.locator("#sessions")).to_contain_text(TITLE)
    expect(page.locator(".flash-success")).to_have_count(1)

    page.goto(f"{live_server}/events/{slug}")
    expect(page.locator("main")).to_contain_text(TITLE)

    feed = page.request.get(f"{live_server}/events/{slug}/calendar.ics")
    assert feed.ok
    assert feed.headers["content-type"].startswith("text/calendar")
    ics = feed.text().replace("\r\n ", "")  # unfold long lines (RFC 5545)
    assert f"SUMMARY:{TITLE}" in ics
    assert f"DTSTART;TZID=Europe/Berlin:{CONGRESS_YEAR}0516T140000" in ics
