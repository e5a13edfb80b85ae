"""In a real browser: a person answers the organizer's questions while registering, changes
an answer on the manage page, and the question pages have no serious accessibility problem."""

from __future__ import annotations

import pytest
from support import log_in_browser
from test_accessibility import Auditor, new_page

from eventapp.extensions import db
from eventapp.models import QuestionKind, Registration, Role
from eventapp.questions import services
from eventapp.questions.services import QuestionInput


@pytest.mark.e2e
def test_questions_are_answered_in_the_browser_and_accessible(
    live_server, launch_chromium, make_event, make_user
):
    event = make_event()
    office_question = services.create_question(
        None,
        event,
        QuestionInput(
            QuestionKind.SHORT_TEXT,
            "Dienststelle",
            required=True,
            help_text="Für das Namensschild.",
        ),
    )
    travel = services.create_question(
        None,
        event,
        QuestionInput(
            QuestionKind.ONE_CHOICE, "Anreise", required=True, options_de=["Bahn", "Auto"]
        ),
    )
    services.create_question(
        None,
        event,
        QuestionInput(QuestionKind.MANY_CHOICES, "Interessen", options_de=["Wohnen", "Klima"]),
    )
    services.create_question(None, event, QuestionInput(QuestionKind.YES_NO, "Übernachtung?"))
    admin = make_user(Role.ADMIN)
    slug, event_id, admin_email = event.slug, event.id, admin.email
    travel_keys = [o["key"] for o in travel.options]
    office_id, travel_id = office_question.id, travel.id
    db.session.commit()

    browser = launch_chromium()
    auditor = Auditor(live_server)
    page = new_page(browser)
    page.goto(f"{live_server}/events/{slug}/register")
    page.click("form.form button[type=submit]")
    auditor.check(page, "registration form with unanswered questions", ready="#form-errors")
    assert page.locator(f"#question_{travel_id}-error").is_visible()

    page.fill("#first_name", "Aylin")
    page.fill("#last_name", "Schäfer")
    page.fill("#email", "aylin@example.org")
    page.fill(f"#question_{office_id}", "Amt für Soziales")
    page.check(f'input[name=question_{travel_id}][value="{travel_keys[1]}"]')
    page.check("#consent_privacy")
    page.click("form.form button[type=submit]")
    page.wait_for_url("**/confirmation")
    manage = page.url.removesuffix("/confirmation")

    auditor.visit(page, manage.removeprefix(live_server))
    page.check(f'input[name=question_{travel_id}][value="{travel_keys[0]}"]')
    page.click("#answers button[type=submit]")
    page.wait_for_selector("#answers")
    assert page.locator(f'input[name=question_{travel_id}][value="{travel_keys[0]}"]').is_checked()

    db.session.expire_all()
    person = db.session.execute(db.select(Registration)).scalar_one()
    assert services.stored_answers(person) == {
        office_id: "Amt für Soziales",
        travel_id: travel_keys[0],
    }
    person_id = person.id
    # Outside a request the test's own transaction would hold SQLite's write lock.
    db.session.rollback()

    office = new_page(browser)
    log_in_browser(office, live_server, admin_email, "/admin/**")
    for path in (
        f"/admin/events/{event_id}/questions",
        f"/admin/events/{event_id}/questions/new",
        f"/admin/questions/{travel_id}/edit",
        f"/admin/registrations/{person_id}",
    ):
        auditor.visit(office, path)
    if auditor.problems:
        pytest.fail("\n".join(auditor.problems), pytrace=False)
