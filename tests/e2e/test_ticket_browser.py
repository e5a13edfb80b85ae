"""The ticket page works in a browser under the site's content security policy."""

from __future__ import annotations

import pytest

from eventapp.extensions import db

pytestmark = pytest.mark.e2e


def test_ticket_prints_without_breaking_the_content_security_policy(
    live_server, launch_chromium, make_event, make_registration
):
    registration = make_registration(make_event(slug="kongress"))
    code = registration.ticket_code
    db.session.commit()  # release SQLite before the server reads

    page = launch_chromium().new_page(locale="de-DE")
    violations: list[str] = []
    page.on("console", lambda m: "Content Security Policy" in m.text and violations.append(m.text))
    page.goto(f"{live_server}/tickets/{code}")
    page.wait_for_load_state("load")
    # Replace the print dialog, which headless Chromium cannot show, with a marker.
    page.evaluate("window.print = () => { document.body.dataset.printed = 'yes'; }")
    page.click("[data-print]")

    assert page.get_attribute("body", "data-printed") == "yes"
    assert page.locator("img[src$='.png'], img[src$='.svg']").count() >= 1
    assert violations == []
