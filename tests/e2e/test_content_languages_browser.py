"""The back office's English fields in a real browser: beside the German, stacked on a phone."""

from __future__ import annotations

import pytest
from support import log_in_browser, workshop

from eventapp.extensions import db
from eventapp.models import Role, Session


@pytest.mark.e2e
def test_english_fields_sit_beside_the_german_on_wide_screens_and_below_on_phones(
    live_server, launch_chromium, make_user, make_programme
):
    email = make_user(Role.ADMIN).email
    session_id = workshop(make_programme()).id
    db.session.commit()  # the read above began a transaction; the live server must write
    browser = launch_chromium()

    for width in (1280, 390):
        page = browser.new_page(locale="de-DE", viewport={"width": width, "height": 900})
        log_in_browser(page, live_server, email, "/admin/**")
        page.goto(f"{live_server}/admin/sessions/{session_id}/edit")
        german = page.locator("#title").bounding_box()
        english = page.locator("#title_en").bounding_box()
        assert "(optional)" in page.locator("label[for=title_en] + .optional").inner_text()
        if width == 1280:
            assert english["x"] > german["x"] + german["width"]
            assert abs(english["y"] - german["y"]) < 1
        else:
            assert english["y"] > german["y"] + german["height"]
            assert abs(english["x"] - german["x"]) < 1
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.close()

    # Saved from the browser, the English title reaches an English reader of the programme.
    page = browser.new_page(locale="de-DE", viewport={"width": 1280, "height": 900})
    log_in_browser(page, live_server, email, "/admin/**")
    page.goto(f"{live_server}/admin/sessions/{session_id}/edit")
    page.fill("#title_en", "Workshop A: Participation")
    page.click("#session-form button[type=submit]")
    page.wait_for_url(f"{live_server}/admin/events/**")
    db.session.expire_all()
    session = db.session.get(Session, session_id)
    assert session.title_en == "Workshop A: Participation"
    slug = session.event.slug
    db.session.commit()
    page.goto(f"{live_server}/events/{slug}?lang=en")
    assert page.get_by_role("link", name="Workshop A: Participation").is_visible()
