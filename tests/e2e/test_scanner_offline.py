"""In a real browser: the scanner keeps working offline and syncs with the original times."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from support import log_in_browser

from eventapp.extensions import db
from eventapp.models import CheckIn, Role, ScanLog, utcnow

SYNC_TIMEOUT_MS = 30_000
A_STAMP = re.compile(r"^[0-9]{16}$")


def stored_tickets(page: Page) -> int:
    """How many tickets the page keeps in IndexedDB (all lists)."""
    return page.evaluate(
        """() => new Promise((resolve) => {
            const open = indexedDB.open("eventapp-checkin");
            open.onsuccess = () => {
                const count = open.result.transaction("tickets").objectStore("tickets").count();
                count.onsuccess = () => resolve(count.result);
            };
        })"""
    )


def open_scanner(context: BrowserContext, base: str, email: str, url: str) -> Page:
    """Log in, open the scanner, let the service worker take over and the data arrive."""
    page = context.new_page()
    log_in_browser(page, base, email, "/checkin/**")
    page.goto(url)
    expect(page.locator("#scanner")).to_have_attribute("data-ready", "true")
    expect(page.locator("#scanner")).to_have_attribute("data-data-version", A_STAMP)
    first_version = page.locator("#scanner").get_attribute("data-data-version")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    # Loaded once more, now through the service worker, which keeps a copy of the page.
    with page.expect_response(lambda r: "/checkin/data" in r.url and "since=" in r.url) as delta:
        page.reload()
    expect(page.locator("#scanner")).to_have_attribute("data-ready", "true")
    assert page.evaluate("!!navigator.serviceWorker.controller")
    # The delta repeats the three rows stamped moments ago (the server's overlap):
    # they replace the stored ones instead of being added.
    body = delta.value.json()
    assert body["full"] is False and len(body["tickets"]) == 3
    expect(page.locator("#scanner")).not_to_have_attribute("data-data-version", first_version)
    expect(page.locator("#scanner")).to_have_attribute("data-data-tickets", "3")
    assert stored_tickets(page) == 3
    return page


def scan(page: Page, code: str) -> None:
    page.fill("#scan-input", code)
    page.press("#scan-input", "Enter")


@pytest.mark.e2e
def test_scanner_works_offline_and_syncs_with_original_times(
    live_server, launch_chromium, make_user, make_event, make_registration
):
    staff = make_user(Role.CHECKIN)
    event = make_event(slug="rathaus")
    guests = [
        make_registration(event, first_name=name, last_name="Funkloch")
        for name in ("Ada", "Bert", "Cem")
    ]
    codes = [guest.ticket_code for guest in guests]
    email = staff.email
    db.session.commit()
    url = f"{live_server}/checkin/rathaus?lang=en"

    browser = launch_chromium()
    first = browser.new_context(locale="en-GB")
    second = browser.new_context(locale="en-GB")
    page = open_scanner(first, live_server, email, url)
    other = open_scanner(second, live_server, email, url)
    # The second device loses the network too, before it learns of the first one's scans.
    second.set_offline(True)

    # The first device loses the network and is reloaded: the page still opens and works.
    first.set_offline(True)
    page.reload()
    expect(page.locator("#scanner")).to_have_attribute("data-ready", "true")
    expect(page.locator("#sync-status")).to_have_attribute("data-online", "false")
    expect(page.locator("#scanner")).to_have_attribute("data-data-version", A_STAMP)
    expect(page.locator("#scanner")).to_have_attribute("data-data-tickets", "3")
    before = utcnow().replace(microsecond=0)
    for n, code in enumerate(codes):
        scan(page, code)
        result = page.locator("#result")
        expect(result).to_have_attribute("data-status", "ok", timeout=SYNC_TIMEOUT_MS)
        expect(result).to_have_attribute("data-offline", "true")
        expect(page.locator("#result-name")).to_have_text(guests[n].name)
        expect(page.locator("#sync-status")).to_have_attribute("data-pending", str(n + 1))
    # Scanned again on this device: it knows, offline too.
    scan(page, codes[0])
    expect(page.locator("#result")).to_have_attribute("data-status", "already_checked_in")
    scanned_by = utcnow()
    assert db.session.execute(db.select(db.func.count(CheckIn.id))).scalar() == 0
    db.session.rollback()  # a read transaction here would keep the server from writing

    page.wait_for_timeout(2500)  # the times sent must be the scans', not the sync's
    back_online = utcnow()
    first.set_offline(False)
    expect(page.locator("#sync-status")).to_have_attribute(
        "data-pending", "0", timeout=SYNC_TIMEOUT_MS
    )
    expect(page.locator("#sync-status")).to_have_attribute("data-online", "true")

    db.session.expire_all()
    check_ins = db.session.execute(db.select(CheckIn)).scalars().all()
    assert len(check_ins) == 3
    for check_in in check_ins:
        assert before - timedelta(seconds=1) <= check_in.checked_in_at <= scanned_by
        assert check_in.checked_in_at < back_online
    status = page.evaluate("fetch('/api/v1/events/rathaus/checkin/status').then(r => r.json())")
    assert status["checked_in"] == 3
    first_time = min(c.checked_in_at for c in check_ins if c.registration_id == guests[0].id)
    db.session.rollback()

    # The second device has old data and no network: it admits the first guest again.
    other.reload()
    expect(other.locator("#scanner")).to_have_attribute("data-ready", "true")
    scan(other, codes[0])
    expect(other.locator("#result")).to_have_attribute("data-status", "ok", timeout=SYNC_TIMEOUT_MS)
    expect(other.locator("#result")).to_have_attribute("data-offline", "true")
    second.set_offline(False)
    expect(other.locator("#sync-status")).to_have_attribute(
        "data-pending", "0", timeout=SYNC_TIMEOUT_MS
    )

    db.session.expire_all()
    assert db.session.execute(db.select(db.func.count(CheckIn.id))).scalar() == 3
    duplicate = db.session.execute(
        db.select(ScanLog).where(ScanLog.duplicate.is_(True))
    ).scalar_one()
    assert duplicate.registration_id == guests[0].id and duplicate.offline
    kept = db.session.execute(
        db.select(CheckIn.checked_in_at).where(CheckIn.registration_id == guests[0].id)
    ).scalar_one()
    assert kept == first_time
    db.session.rollback()

    page.goto(f"{live_server}/checkin/rathaus/log?lang=en")
    expect(page.locator('#scan-log tr[data-duplicate="true"]')).to_have_count(1)
    expect(page.locator('#scan-log tr[data-offline="true"][data-result="ok"]')).to_have_count(3)
    expect(page.locator("#scan-log")).to_contain_text("Duplicate")
