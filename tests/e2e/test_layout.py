"""What the eye catches in a real browser: nothing cut off, the primary action marked."""

from __future__ import annotations

import pytest
from support import log_in_browser

from eventapp.extensions import db
from eventapp.models import Role, Speaker


@pytest.mark.e2e
def test_the_programme_table_shows_every_button_whole_at_desktop_width(
    live_server, launch_chromium, make_user, make_programme
):
    admin = make_user(Role.ADMIN)
    event = make_programme()
    # Long names as in the real programme: several speakers with long titles per session.
    speakers = [
        Speaker(event=event, name=f"Vertretung des Hessischen Wirtschaftsministeriums {n}")
        for n in range(4)
    ]
    db.session.add_all(speakers)
    for session in event.sessions:
        session.speakers = speakers
    email, event_id = admin.email, event.id
    db.session.commit()

    page = launch_chromium().new_page(locale="de-DE", viewport={"width": 1280, "height": 900})
    log_in_browser(page, live_server, email, "/admin/**")
    page.goto(f"{live_server}/admin/events/{event_id}/programme")

    wrap = page.locator(".table-wrap").first
    assert wrap.evaluate("w => w.scrollWidth <= w.clientWidth"), "the table scrolls sideways"
    right_edge = wrap.evaluate("w => w.getBoundingClientRect().right")
    buttons = page.locator("#sessions td.actions .button")
    assert buttons.count() == 3 * len(event.sessions)
    for box in (buttons.nth(i).bounding_box() for i in range(buttons.count())):
        assert box["x"] + box["width"] <= right_edge + 0.5
