"""In a real browser: axe-core finds no serious or critical accessibility problem on any page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page
from support import announcement, log_in_browser

from eventapp.extensions import db
from eventapp.mail.optout import stop_token
from eventapp.mail.outbox import MessageKind
from eventapp.mail.services import enqueue, enqueue_bulk
from eventapp.models import ChoiceStatus, Role, SessionChoice

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")


# A phone and a desktop: some problems (scrolling tables, a wrapped header) show on one only.
VIEWPORTS = ({"width": 390, "height": 844}, {"width": 1280, "height": 900})


def audit(page: Page) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it is now."""
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    return page.evaluate("async () => (await axe.run(document)).violations")


def describe(where: str, violations: list[dict[str, Any]]) -> list[str]:
    """One readable line per violation and offending element."""
    lines = []
    for violation in violations:
        for node in violation["nodes"]:
            summary = " ".join((node.get("failureSummary") or "").split())
            lines.append(
                f"{where}: [{violation['impact']}] {violation['id']} – {violation['help']}"
                f"\n    at {' '.join(node['target'])}: {node['html'][:160]}\n    {summary[:300]}"
            )
    return lines


class Auditor:
    """Visits pages and collects the blocking violations of each, so one run reports all."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.problems: list[str] = []

    def visit(self, page: Page, path: str, status: int = 200, ready: str = "main") -> None:
        response = page.goto(self.base + path)
        # Auditing an error page instead of the real one would prove nothing.
        assert response is not None and response.status == status, (path, response)
        self.check(page, path, ready)

    def check(self, page: Page, where: str, ready: str = "main") -> None:
        page.wait_for_selector(ready)
        for viewport in VIEWPORTS:
            page.set_viewport_size(viewport)
            blocking = [v for v in audit(page) if v["impact"] in BLOCKING]
            self.problems += describe(f"{where} at {viewport['width']}px", blocking)


def new_page(browser: Browser, locale: str = "de-DE") -> Page:
    # The CSP (if any) governs the site's own scripts; axe is the test's instrument and
    # add_script_tag inlines it, so only this context lets it in.
    context = browser.new_context(locale=locale, bypass_csp=True)
    return context.new_page()


@pytest.mark.e2e
def test_no_page_has_a_serious_or_critical_accessibility_violation(
    live_server, launch_chromium, make_programme, make_registration, make_user
):
    event = make_programme()
    workshop = next(s for s in event.sessions if s.title.startswith("Werkstatt A"))
    registration = make_registration(
        event, choices=[SessionChoice(session=workshop, status=ChoiceStatus.CONFIRMED)]
    )
    for n in range(3):
        make_registration(event, first_name=f"Ayşe {n}", organisation="Wohnstadt Hessen")
    admin, staff = make_user(Role.ADMIN), make_user(Role.CHECKIN)
    slug, event_id, session_id = event.slug, event.id, workshop.id
    token, code = registration.manage_token, registration.ticket_code
    registration_id = registration.id
    stop = stop_token(registration)
    bulk_mail = announcement(event, "Anreise", "{greeting}\n\nBitte früh kommen.")
    enqueue_bulk([registration], bulk_mail)
    bulk_mail_id = bulk_mail.id
    admin_email, staff_email = admin.email, staff.email
    enqueue(MessageKind.REGISTRATION_CONFIRMED, registration)
    # Outside a request the test's own transaction would hold SQLite's write lock.
    db.session.commit()

    browser = launch_chromium()
    auditor = Auditor(live_server)

    page = new_page(browser)
    for path in (
        "/",
        f"/events/{slug}",
        f"/events/{slug}/sessions/{session_id}",
        f"/events/{slug}/speakers",
        f"/events/{slug}/register",
        f"/registrations/{token}/confirmation",
        f"/registrations/{token}",
        f"/tickets/{code}",
        "/privacy",
        "/calendar/help",
        "/login",
        "/impressum",
        "/barrierefreiheit",
        "/leichte-sprache",
        "/gebaerdensprache",
        f"/stop/{stop}",
    ):
        auditor.visit(page, path)
    auditor.visit(page, "/no-such-page", status=404)
    auditor.visit(page, "/stop/forged", status=404)

    page.goto(f"{live_server}/events/{slug}/register")
    page.click("form.form button[type=submit]")
    auditor.check(page, "registration form with errors", ready="#form-errors")

    page.goto(f"{live_server}/barrierefreiheit")
    page.click("#barrier-form button[type=submit]")
    auditor.check(page, "barrier form with errors", ready="#barrier-form .error")
    page.fill("#description", "Der Kontrast der Knöpfe ist zu gering.")
    page.click("#barrier-form button[type=submit]")
    auditor.check(page, "barrier report receipt", ready="#report-number")

    english = new_page(browser, locale="en-GB")
    auditor.visit(english, f"/events/{slug}?lang=en")
    for path in ("/impressum", "/barrierefreiheit", "/leichte-sprache", "/gebaerdensprache"):
        auditor.visit(english, f"{path}?lang=en")

    door = new_page(browser)
    log_in_browser(door, live_server, staff_email, "/checkin/**")
    auditor.visit(door, f"/checkin/{slug}", ready="#scanner[data-ready=true]")

    office = new_page(browser)
    log_in_browser(office, live_server, admin_email, "/admin/**")
    for path in (
        "/admin/",
        f"/admin/events/{event_id}/",
        f"/admin/events/{event_id}/registrations",
        f"/admin/events/{event_id}/edit",
        f"/admin/sessions/{session_id}/edit",
        "/admin/settings",
        "/admin/barrier-reports",
        f"/admin/events/{event_id}/mail",
        f"/admin/events/{event_id}/mail/sends",
        f"/admin/events/{event_id}/mail/sends/{bulk_mail_id}",
        "/admin/outbox",
    ):
        auditor.visit(office, path)
    # The outbox page's message cards, with the preview opened.
    office.locator("details.outbox-preview summary").first.click()
    auditor.check(office, "outbox preview", ready="details.outbox-preview[open]")
    # The mail settings with one mail's texts open and previewed.
    auditor.visit(office, f"/admin/events/{event_id}/mail-settings")
    office.click("#text-reminder summary")
    office.click("#text-reminder [name=preview]")
    auditor.check(office, "mail text preview", ready="#previews")
    # The office's pages for one person: correction forms opened, erase step, and a manual
    # registration with errors.
    auditor.visit(office, f"/admin/registrations/{registration_id}/erase")
    auditor.visit(office, f"/admin/registrations/{registration_id}")
    office.click("#details-panel summary")
    office.click("#email-panel summary")
    auditor.check(office, "correction forms", ready="#email-panel[open]")
    auditor.visit(office, f"/admin/events/{event_id}/registrations/new")
    office.click("#office-registration-form button[type=submit]")
    auditor.check(office, "manual registration with errors", ready="#form-errors")

    problems = auditor.problems
    if problems:
        heading = f"{len(problems)} serious or critical problems:"
        pytest.fail("\n".join([heading, *problems]), pytrace=False)
