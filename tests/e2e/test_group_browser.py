"""A registrant registers a group of three in a browser, then manages it: the issue's test."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import select

from eventapp.extensions import db
from eventapp.models import Registration, RegistrationStatus

pytestmark = pytest.mark.e2e

# Where to keep screenshots for a human to look at (none unless set).
SHOTS = os.environ.get("SCREENSHOTS_DIR")


def shoot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def statuses(event) -> dict[str, RegistrationStatus]:
    db.session.expire_all()
    people = db.session.scalars(select(Registration).where(Registration.event_id == event.id))
    result = {p.first_name: p.status for p in people}
    db.session.rollback()  # release SQLite for the server
    return result


def test_group_of_three_for_two_seats_then_cancel_one_and_the_third_moves_up(
    live_server, launch_chromium, make_event, make_registration
):
    event = make_event(slug="kongress", capacity=4)
    make_registration(event)
    make_registration(event)
    db.session.commit()  # two seats left; release SQLite before the server writes

    page = launch_chromium().new_page(locale="en-GB", viewport={"width": 390, "height": 900})
    violations: list[str] = []
    page.on("console", lambda m: "Content Security Policy" in m.text and violations.append(m.text))
    page.goto(f"{live_server}/events/kongress/register?lang=en")
    page.click("#group-link a")
    assert page.url.endswith("/events/kongress/register/group")
    if SHOTS:
        page.set_viewport_size({"width": 1280, "height": 900})
        shoot(page, "form-1280")
        page.set_viewport_size({"width": 390, "height": 900})

    page.fill("#first_name", "Lea")
    page.fill("#last_name", "Kolb")
    page.fill("#email", "lea@example.org")
    page.fill("#organisation", "Gemeinde Lorsch")
    page.fill("#members-0-first_name", "Ben")
    page.fill("#members-0-last_name", "Ahrens")
    page.fill("#members-0-email", "ben@example.org")
    # One more row, without JavaScript's help: the form comes back with what was typed.
    page.click("#add-row")
    assert page.locator(".member-row").count() == 4
    assert page.input_value("#members-0-first_name") == "Ben"
    page.fill("#members-3-first_name", "Cem")
    page.fill("#members-3-last_name", "Yilmaz")
    page.check("#consent_privacy")
    shoot(page, "form-390")
    page.click("#register-group")

    # The registrant's manage page lists the group: Ben confirmed, Cem waiting first.
    page.wait_for_selector("#group")
    assert page.get_attribute("#manage", "data-status") == "confirmed"
    rows = page.locator(".group-member")
    assert rows.count() == 2
    assert rows.nth(0).get_attribute("data-status") == "confirmed"
    assert rows.nth(1).get_attribute("data-status") == "waitlisted"
    assert rows.nth(1).locator("[data-position='1']").count() == 1
    shoot(page, "manage-390")
    assert statuses(event) == {
        "Jörg": RegistrationStatus.CONFIRMED,
        "Lea": RegistrationStatus.CONFIRMED,
        "Ben": RegistrationStatus.CONFIRMED,
        "Cem": RegistrationStatus.WAITLISTED,
    }

    # Cancel Ben (asked first); Cem moves up.
    rows.nth(0).locator(".cancel-member").click()
    page.click("#confirm-cancel")
    page.wait_for_selector("#group")
    rows = page.locator(".group-member")
    assert rows.nth(0).get_attribute("data-status") == "cancelled"
    assert rows.nth(1).get_attribute("data-status") == "confirmed"
    page.set_viewport_size({"width": 1280, "height": 900})
    shoot(page, "manage-after-cancel-1280")
    final = statuses(event)
    assert final["Ben"] == RegistrationStatus.CANCELLED
    assert final["Cem"] == RegistrationStatus.CONFIRMED
    assert violations == []
