"""In a real browser: the live board at the entrance counts a scan without a reload."""

from __future__ import annotations

import json
import urllib.request

import pytest
from playwright.sync_api import expect
from support import api_headers, log_in_browser

from eventapp.extensions import db
from eventapp.models import Role

UPDATE_TIMEOUT_MS = 20_000


def redeem(base: str, headers: dict[str, str], body: dict) -> dict:
    request = urllib.request.Request(
        f"{base}/api/v1/checkin/redeem",
        data=json.dumps(body).encode(),
        headers={**headers, "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


@pytest.mark.e2e
def test_board_counts_entries_and_exits_without_reloading(
    live_server, launch_chromium, make_user, make_event, make_registration
):
    admin = make_user(Role.ADMIN)
    door = make_user(Role.CHECKIN)
    event = make_event(slug="kongress-board", max_occupancy=2)
    guests = [make_registration(event, first_name=n, last_name="Gast") for n in ("Ada", "Bo")]
    codes = [guest.ticket_code for guest in guests]
    headers = api_headers(door, "tablet")
    email = admin.email
    db.session.commit()

    browser = launch_chromium()
    page = browser.new_page(locale="en-GB")
    log_in_browser(page, live_server, email, "/admin/**")
    page.goto(f"{live_server}/checkin/kongress-board/board?lang=en")
    entrance = page.locator('[data-area="entrance"]')
    expect(entrance.locator('[data-field="inside"]')).to_have_text("0")
    expect(entrance).to_have_attribute("data-level", "ok")
    # A reload would lose this mark: the board must redraw in place.
    page.evaluate("window.boardMark = 'still here'")

    for code in codes:
        assert (
            redeem(live_server, headers, {"code": code, "event": "kongress-board"})["status"]
            == "ok"
        )
    expect(entrance.locator('[data-field="inside"]')).to_have_text("2", timeout=UPDATE_TIMEOUT_MS)
    expect(entrance).to_have_attribute("data-level", "full")
    expect(entrance.locator('[data-field="warning"]')).to_contain_text("Maximum reached")
    entrance.locator("details.board-people summary").click()
    expect(entrance.locator("details.board-people li")).to_have_count(2)

    exit_scan = {"code": codes[0], "event": "kongress-board", "direction": "exit"}
    assert redeem(live_server, headers, exit_scan)["status"] == "ok"
    expect(entrance.locator('[data-field="inside"]')).to_have_text("1", timeout=UPDATE_TIMEOUT_MS)
    expect(entrance).to_have_attribute("data-level", "ok")
    # The people list stayed open across the redraw and now names only Bo.
    expect(entrance.locator("details.board-people li")).to_have_count(1)
    expect(entrance.locator("details.board-people li")).to_contain_text("Bo Gast")
    assert page.evaluate("window.boardMark") == "still here"
