"""In a real browser with a fake camera: staff scan a ticket's QR code at the door."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Page, expect
from support import log_in_browser

from eventapp.extensions import db
from eventapp.models import CheckIn, Registration, Role
from eventapp.tickets.services import qr_png

WIDTH, HEIGHT = 640, 480
SCAN_TIMEOUT_MS = 30_000


def write_y4m(path: Path, png: bytes, frames: int = 20) -> None:
    """A short video of the QR image, as Chromium's fake camera plays it (I420, grey chroma)."""
    qr = Image.open(io.BytesIO(png)).convert("L")
    side = min(HEIGHT - 40, qr.width)
    frame = Image.new("L", (WIDTH, HEIGHT), 255)
    frame.paste(qr.resize((side, side), Image.NEAREST), ((WIDTH - side) // 2, (HEIGHT - side) // 2))
    luma = frame.tobytes()
    chroma = bytes([128]) * ((WIDTH // 2) * (HEIGHT // 2))
    with path.open("wb") as handle:
        handle.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            handle.write(b"FRAME\n" + luma + chroma + chroma)


def scan_with_camera(page: Page, url: str) -> None:
    page.goto(url)
    expect(page.locator("#scanner")).to_have_attribute("data-ready", "true")
    page.click("#camera-toggle")
    expect(page.locator("#scanner")).not_to_have_attribute("data-camera", "off")


@pytest.mark.e2e
def test_staff_scan_a_ticket_with_the_camera_then_see_it_already_used(
    live_server, launch_chromium, tmp_path, make_user, make_event, make_registration
):
    staff = make_user(Role.CHECKIN)
    event = make_event(slug="kongress-e2e")
    guest = make_registration(event, first_name="Greta", last_name="Gastfreund")
    walk_in = make_registration(event, first_name="Hakan", last_name="Handscanner")
    no_ticket = make_registration(event, first_name="Nora", last_name="Namenssuche")
    unlucky = make_registration(event, first_name="Rita", last_name="Funkloch")
    unlucky_id, unlucky_code = unlucky.id, unlucky.ticket_code
    guest_id, code, walk_in_code = guest.id, guest.ticket_code, walk_in.ticket_code
    walk_in_id, no_ticket_id = walk_in.id, no_ticket.id
    email = staff.email
    video = tmp_path / "ticket.y4m"
    write_y4m(video, qr_png(code))
    # Outside a request the test's own transaction would hold SQLite's write lock.
    db.session.commit()

    scanner_url = f"{live_server}/checkin/kongress-e2e?lang=en"
    browser = launch_chromium(
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
    )
    page = browser.new_page(locale="en-GB")
    log_in_browser(page, live_server, email, "/checkin/**")

    scan_with_camera(page, scanner_url)
    result = page.locator("#result")
    expect(result).to_have_attribute("data-status", "ok", timeout=SCAN_TIMEOUT_MS)
    expect(result).to_have_class("scan-result scan-result-ok")
    expect(page.locator("#result-name")).to_have_text("Greta Gastfreund")
    expect(page.locator("#count-checked")).to_have_text("1")

    db.session.expire_all()
    registration = db.session.get(Registration, guest_id)
    assert registration.checked_in_at is not None
    assert db.session.execute(db.select(db.func.count(CheckIn.id))).scalar() == 1
    db.session.commit()

    # Second pass: a fresh page, the same ticket in front of the camera.
    scan_with_camera(page, scanner_url)
    expect(result).to_have_attribute("data-status", "already_checked_in", timeout=SCAN_TIMEOUT_MS)
    expect(result).to_have_class("scan-result scan-result-warn")
    expect(page.locator("#result-title")).to_contain_text("Already checked in")
    page.click("#camera-toggle")
    expect(page.locator("#scanner")).to_have_attribute("data-camera", "off")

    # A handheld scanner types the code and Enter into the focused field.
    expect(page.locator("#scan-input")).to_be_focused()
    page.keyboard.type(walk_in_code)
    page.keyboard.press("Enter")
    expect(result).to_have_attribute("data-status", "ok")
    expect(page.locator("#result-name")).to_have_text("Hakan Handscanner")
    expect(page.locator("#scan-input")).to_have_value("")

    # One letter finds nobody: the page says why instead of listing everyone.
    page.fill("#search-input", "n")
    expect(page.locator("#search-hint")).to_contain_text("at least 2 characters")
    expect(page.locator("#search-results li")).to_have_count(0)

    # A guest without the ticket: found by name, checked in with one tap. Door staff
    # never get the ticket code; the tap sends the registration id.
    page.fill("#search-input", "namens")
    expect(page.locator("#search-hint")).to_be_hidden()
    with page.expect_request("**/api/v1/checkin/redeem") as tap:
        page.locator(f"[data-registration-id='{no_ticket_id}'] button").click()
    sent = tap.value.post_data_json
    assert sent["registration_id"] == no_ticket_id
    assert "code" not in sent
    expect(result).to_have_attribute("data-status", "ok")
    expect(page.locator("#result-name")).to_have_text("Nora Namenssuche")
    expect(page.locator("#count-checked")).to_have_text("3")

    # Flaky network: the server checks Rita in but the answer is lost, twice.
    # The page retries with the same nonce and gets the first answer: ok, once.
    nonces = []

    def lose_answers(route):
        nonces.append(route.request.post_data_json["nonce"])
        if len(nonces) <= 2:
            route.fetch()
            route.abort("internetdisconnected")
        else:
            route.continue_()

    page.route("**/api/v1/checkin/redeem", lose_answers)
    page.fill("#scan-input", unlucky_code)
    page.press("#scan-input", "Enter")
    expect(page.locator("#network")).to_contain_text("retrying")
    expect(result).to_have_attribute("data-status", "ok", timeout=SCAN_TIMEOUT_MS)
    expect(page.locator("#result-name")).to_have_text("Rita Funkloch")
    expect(page.locator("#network")).to_be_hidden()
    assert len(nonces) == 3
    assert len(set(nonces)) == 1

    db.session.expire_all()
    checked_in = db.session.execute(
        db.select(Registration.id).where(Registration.checked_in_at.is_not(None))
    ).scalars()
    assert sorted(checked_in) == sorted([guest_id, walk_in_id, no_ticket_id, unlucky_id])
    assert db.session.execute(db.select(db.func.count(CheckIn.id))).scalar() == 4


@pytest.mark.e2e
def test_staff_register_a_walk_in_from_the_scanner_page(
    live_server, launch_chromium, make_user, make_event, make_registration, tmp_path
):
    staff = make_user(Role.CHECKIN)
    event = make_event(slug="kongress-walk-in", capacity=5)
    make_registration(event, first_name="Greta", last_name="Gastfreund")
    email = staff.email
    db.session.commit()

    page = launch_chromium().new_page(locale="en-GB", viewport={"width": 390, "height": 844})
    log_in_browser(page, live_server, email, "/checkin/**")
    page.goto(f"{live_server}/checkin/kongress-walk-in?lang=en")
    expect(page.locator("#scanner")).to_have_attribute("data-ready", "true")
    # The name search finds nobody, so the walk-in form is the way in.
    page.fill("#search-input", "Wanda")
    expect(page.locator("#search-results .search-empty")).to_have_text("Nobody found.")
    page.click("#walk-in summary")
    page.fill("#first_name", "Wanda")
    page.fill("#last_name", "Würzburger")
    page.fill("#organisation", "Gemeinde Lampertheim")
    page.click("#walk-in-form button[type=submit]")
    # Refused without the privacy confirmation, and the form keeps what was typed.
    expect(page.locator("#privacy_informed-error")).to_be_visible()
    expect(page.locator("#last_name")).to_have_value("Würzburger")
    page.check("#privacy_informed")
    page.click("#walk-in-form button[type=submit]")
    expect(page.locator(".flash-success")).to_have_text(
        "Wanda Würzburger is registered and checked in."
    )
    expect(page.locator("#count-checked")).to_have_text("1")
    page.screenshot(path=str(tmp_path / "walk-in.png"), full_page=True)

    db.session.expire_all()
    walk_in = db.session.execute(
        db.select(Registration).where(Registration.last_name == "Würzburger")
    ).scalar_one()
    assert walk_in.source == "walk_in"
    assert walk_in.checked_in_at is not None
    check_in = db.session.execute(
        db.select(CheckIn).where(CheckIn.registration_id == walk_in.id)
    ).scalar_one()
    # The device named in the page's settings, filled in by the script.
    assert check_in.device.startswith("Browser ")
