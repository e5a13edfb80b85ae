"""The office and people's data: correcting it, registering someone who phoned in, erasing one
person on request, and addresses whose mail failed; mail to a real SMTP server."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from support import audit_actions, login, outbox, smtp_settings

from eventapp.domain import Forbidden
from eventapp.extensions import db
from eventapp.mail.delivery import deliver_due
from eventapp.models import (
    ENTRANCE,
    AuditEntry,
    ChangeKind,
    CheckIn,
    EmailChange,
    OutboxStatus,
    Question,
    QuestionAnswer,
    QuestionKind,
    Registration,
    RegistrationSource,
    RegistrationStatus,
    Role,
    ScanLog,
    utcnow,
)
from eventapp.registration.applicant import RegistrationInput
from eventapp.registration.management import actions


def fresh(registration_id: int) -> Registration:
    db.session.expire_all()
    return db.session.get(Registration, registration_id)


def audit_entries(action: str) -> list[AuditEntry]:
    return list(
        db.session.execute(db.select(AuditEntry).where(AuditEntry.action == action)).scalars()
    )


def detail_url(registration) -> str:
    return f"/admin/registrations/{registration.id}"


def new_url(event) -> str:
    return f"/admin/events/{event.id}/registrations/new"


def phoned_in(**more) -> dict[str, str]:
    return {
        "first_name": "Hannah",
        "last_name": "Becker",
        "email": "h.becker@lampertheim.example",
        "organisation": "Stadt Lampertheim",
        "locale": "en",
        "consent_privacy": "y",
        **more,
    }


# --- correcting a participant's data ---------------------------------------------------


def test_office_corrects_a_participants_data_with_history_and_audit(
    admin_client, make_event, make_registration
):
    registration = make_registration(make_event(), first_name="Jorg", photo_consent=True)
    page = admin_client.get(detail_url(registration)).get_data(as_text=True)
    assert 'id="details-form"' in page and 'value="Jorg"' in page

    response = admin_client.post(
        f"{detail_url(registration)}/details",
        data={"first_name": "Jörg", "last_name": registration.last_name, "sector": "municipality"},
    )

    assert response.status_code == 302
    changed = fresh(registration.id)
    assert (changed.first_name, str(changed.sector)) == ("Jörg", "municipality")
    # The form sent photo consent unticked: withdrawn, with its time.
    assert changed.photo_consent is False and changed.photo_consent_withdrawn_at is not None
    assert changed.changes[-1].kind == ChangeKind.DETAILS_CHANGED
    assert changed.changes[-1].actor.startswith("admin:")
    [entry] = audit_entries("registration.details_changed")
    assert entry.before["first_name"] == "Jorg" and entry.after["first_name"] == "Jörg"


def test_invalid_data_is_refused_at_the_field_and_changes_nothing(
    admin_client, make_event, make_registration
):
    registration = make_registration(make_event(), first_name="Anna")
    response = admin_client.post(
        f"{detail_url(registration)}/details",
        data={"first_name": "", "last_name": "Line\u202ebreak", "sector": "nonsense"},
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="first_name-error"' in page and 'id="last_name-error"' in page
    assert fresh(registration.id).first_name == "Anna"
    assert audit_entries("registration.details_changed") == []


def test_an_address_held_by_another_registration_is_refused(
    admin_client, english, make_event, make_registration
):
    event = make_event()
    registration = make_registration(event, email="one@example.org")
    make_registration(event, email="two@example.org")
    response = admin_client.post(
        f"{detail_url(registration)}/email", data={"email": "Two@example.org"}
    )
    assert response.status_code == 409
    assert 'id="email-error"' in response.get_data(as_text=True)
    assert fresh(registration.id).email == "one@example.org"


class TestBouncedAddressCorrectedAndResent:
    """The whole way with a real SMTP server: a rejected address is marked, corrected, and
    the confirmation goes again to the new address."""

    @pytest.fixture
    def config_overrides(self, smtp_server):
        return smtp_settings(smtp_server)

    def test_failed_mail_is_marked_then_corrected_and_resent(
        self, admin_client, smtp_server, make_event
    ):
        event = make_event(title="Fachkongress Bürstadt")
        smtp_server.reject.add("h.becker@lampertheim.example")
        response = admin_client.post(new_url(event), data=phoned_in())
        assert response.status_code == 302
        registration = db.session.execute(db.select(Registration)).scalar_one()
        deliver_due()
        [failed] = outbox()
        assert failed.status == OutboxStatus.FAILED and smtp_server.envelopes == []

        # Marked in the list (with the filter), counted on the dashboard, a banner on the page.
        listing = admin_client.get(f"/admin/events/{event.id}/registrations?mail_failed=y")
        assert f'data-mail-failed="{registration.id}"' in listing.get_data(as_text=True)
        dashboard = admin_client.get(f"/admin/events/{event.id}/").get_data(as_text=True)
        assert 'id="mail-failed-count" data-count="1"' in dashboard
        page = admin_client.get(detail_url(registration)).get_data(as_text=True)
        assert 'id="mail-failed-banner"' in page and "550" in page
        assert 'href="#email-panel"' in page and '<details id="email-panel" open>' in page

        corrected = admin_client.post(
            f"{detail_url(registration)}/email", data={"email": "hannah.becker@lampertheim.example"}
        )
        assert corrected.status_code == 302
        assert "resend=1" in corrected.headers["Location"]
        offer = admin_client.get(corrected.headers["Location"]).get_data(as_text=True)
        assert 'id="resend-offer"' in offer
        assert 'id="mail-failed-banner"' not in offer  # the failed address is no longer used

        resent = admin_client.post(f"{detail_url(registration)}/resend")
        assert resent.status_code == 302
        deliver_due()

        [envelope] = smtp_server.envelopes
        assert envelope.rcpt_tos == ["hannah.becker@lampertheim.example"]
        [message] = smtp_server.messages()
        assert "Fachkongress Bürstadt" in message["Subject"]
        assert message["Content-Language"] == "en"
        assert audit_actions() == [
            "registration.office_create",
            "registration.email_changed",
            "registration.resend_confirmation",
        ]
        assert fresh(registration.id).changes[-1].kind == ChangeKind.EMAIL_CHANGED
        listing = admin_client.get(f"/admin/events/{event.id}/registrations?mail_failed=y")
        assert "data-mail-failed" not in listing.get_data(as_text=True)


# --- registering someone who phoned in -------------------------------------------------


def test_office_registers_a_person_who_phoned_in(admin_client, make_event):
    event = make_event()
    form = admin_client.get(new_url(event)).get_data(as_text=True)
    assert 'name="over_capacity"' in form and 'name="locale"' in form

    response = admin_client.post(new_url(event), data=phoned_in())

    registration = db.session.execute(db.select(Registration)).scalar_one()
    assert response.headers["Location"].endswith(detail_url(registration))
    assert registration.status == RegistrationStatus.CONFIRMED
    assert (registration.source, registration.locale) == (RegistrationSource.OFFICE, "en")
    assert registration.changes[0].actor.startswith("admin:staff")
    [message] = outbox()
    assert (message.kind, message.recipient) == ("registration_confirmed", registration.email)
    [entry] = audit_entries("registration.office_create")
    assert entry.after["status"] == "confirmed" and "over_capacity" not in entry.after


def test_without_the_privacy_confirmation_nobody_is_registered(admin_client, make_event):
    event = make_event()
    response = admin_client.post(new_url(event), data=phoned_in(consent_privacy=""))
    assert response.status_code == 422
    assert 'id="consent_privacy-error"' in response.get_data(as_text=True)
    assert db.session.execute(db.select(Registration)).first() is None


def test_a_full_event_waitlists_unless_the_organizer_confirms_over_capacity(
    admin_client, make_event, make_registration
):
    event = make_event(capacity=1)
    make_registration(event)
    waiting = admin_client.post(new_url(event), data=phoned_in())
    assert waiting.status_code == 302
    first = db.session.execute(
        db.select(Registration).where(Registration.source == RegistrationSource.OFFICE)
    ).scalar_one()
    assert first.status == RegistrationStatus.WAITLISTED

    over = admin_client.post(
        new_url(event), data=phoned_in(email="second@example.org", over_capacity="y")
    )
    assert over.status_code == 302
    second = db.session.execute(
        db.select(Registration).where(Registration.email == "second@example.org")
    ).scalar_one()
    assert second.status == RegistrationStatus.CONFIRMED
    assert second.changes[0].detail["over_capacity"] is True
    entries = audit_entries("registration.office_create")
    assert [entry.after.get("over_capacity") for entry in entries] == [None, True]


def test_only_organizers_may_register_over_capacity(
    app, english, make_user, make_event, make_registration
):
    event = make_event(capacity=1)
    make_registration(event)
    door = make_user(Role.CHECKIN)
    client = app.test_client()
    login(client, door)
    assert client.get(new_url(event)).status_code == 403
    person = RegistrationInput(
        first_name="Tim", last_name="Roth", email="tim@example.org", consent_privacy=True
    )
    with pytest.raises(Forbidden):
        actions.register_for_person(door, event, person, [], "de", over_capacity=True)
    db.session.rollback()
    assert db.session.execute(db.select(db.func.count(Registration.id))).scalar() == 1


def test_a_taken_address_links_to_the_registration_holding_it(
    admin_client, make_event, make_registration
):
    event = make_event()
    holder = make_registration(event, email="h.becker@lampertheim.example")
    response = admin_client.post(
        new_url(event), data=phoned_in(email="H.Becker@lampertheim.example")
    )
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert f'href="{detail_url(holder)}" id="existing-registration"' in page
    assert db.session.execute(db.select(db.func.count(Registration.id))).scalar() == 1


# --- erasing one person ----------------------------------------------------------------


def test_erasing_one_person_frees_the_seat_keeps_the_counts_and_kills_the_links(
    admin_client, client, make_event, make_registration
):
    event = make_event(capacity=1)
    person = make_registration(
        event, email="erase.me@example.org", first_name="Erika", last_name="Mustermann"
    )
    waiting = make_registration(event, status=RegistrationStatus.WAITLISTED)
    question = Question(event_id=event.id, kind=QuestionKind.SHORT_TEXT, label="Anreise")
    db.session.add(question)
    db.session.flush()
    db.session.add(QuestionAnswer(registration_id=person.id, question_id=question.id, value="Bahn"))
    db.session.add(
        EmailChange(
            registration_id=person.id,
            new_email="new.me@example.org",
            token_hash="a" * 64,
            expires_at=utcnow() + timedelta(days=1),
        )
    )
    db.session.commit()
    admin_client.post(
        f"{detail_url(person)}/details", data={"first_name": "Erica", "last_name": "Mustermann"}
    )
    links = [f"/registrations/{person.manage_token}", f"/tickets/{person.ticket_code}"]
    assert all(client.get(link).status_code == 200 for link in links)

    confirm = admin_client.get(f"{detail_url(person)}/erase").get_data(as_text=True)
    assert 'id="confirm-erase"' in confirm and 'id="erase-cancels"' in confirm
    assert fresh(person.id).anonymized_at is None  # asking changes nothing
    response = admin_client.post(f"{detail_url(person)}/erase")

    assert response.status_code == 302
    erased = fresh(person.id)
    assert erased.anonymized_at is not None and erased.status == RegistrationStatus.CANCELLED
    assert "Erica" not in erased.name and "erase.me" not in erased.email
    assert fresh(waiting.id).status == RegistrationStatus.CONFIRMED  # the seat moved on
    assert db.session.execute(db.select(db.func.count(Registration.id))).scalar() == 2
    assert all(client.get(link).status_code == 404 for link in links)
    assert db.session.execute(db.select(QuestionAnswer)).first() is None
    assert db.session.execute(db.select(EmailChange)).first() is None
    assert all(m.recipient in ("", fresh(waiting.id).email) for m in outbox())
    [entry] = audit_entries("registration.erased")
    assert entry.before["status"] == "confirmed" and entry.after["status"] == "cancelled"
    logged = json.dumps([e.before for e in db.session.execute(db.select(AuditEntry)).scalars()])
    logged += json.dumps([e.after for e in db.session.execute(db.select(AuditEntry)).scalars()])
    assert "Erica" not in logged and "Erika" not in logged and "erase.me" not in logged
    page = admin_client.get(detail_url(person)).get_data(as_text=True)
    assert 'id="erased-note"' in page and 'id="details-form"' not in page


def test_a_checked_in_person_is_erased_without_losing_the_attendance(
    admin_client, make_event, make_registration
):
    event = make_event()
    person = make_registration(event)
    db.session.add(CheckIn(registration_id=person.id, list_key=ENTRANCE, checked_in_at=utcnow()))
    db.session.add(
        ScanLog(
            registration_id=person.id,
            code=person.ticket_code,
            list_key=ENTRANCE,
            event_id=event.id,
            result="ok",
            response={"registration": {"name": person.name}},
        )
    )
    db.session.commit()
    admin_client.post(f"{detail_url(person)}/erase")
    erased = fresh(person.id)
    assert erased.anonymized_at is not None and erased.status == RegistrationStatus.CONFIRMED
    assert db.session.execute(db.select(db.func.count(CheckIn.id))).scalar() == 1
    assert db.session.execute(db.select(ScanLog.response)).scalar_one() == {}


def test_erasing_is_a_post_with_a_csrf_token(app, admin, make_event, make_registration):
    person = make_registration(make_event())
    client = app.test_client()
    login(client, admin)
    app.config["WTF_CSRF_ENABLED"] = True
    page = client.get(f"{detail_url(person)}/erase").get_data(as_text=True)
    assert re.search(r'id="confirm-erase">\s*<input id="csrf_token"', page)
    client.post(f"{detail_url(person)}/erase", data={})
    assert fresh(person.id).anonymized_at is None


# --- the list's mark and filter --------------------------------------------------------


def test_the_list_marks_and_filters_addresses_whose_last_mail_failed(
    admin_client, make_event, make_registration
):
    from eventapp.mail.outbox import new_message

    event = make_event()
    bounced, fine, recovered = (make_registration(event) for _ in range(3))
    for registration, statuses in (
        (bounced, [OutboxStatus.SENT, OutboxStatus.FAILED]),
        (fine, [OutboxStatus.SENT]),
        (recovered, [OutboxStatus.FAILED, OutboxStatus.SENT]),
    ):
        for status in statuses:
            message = new_message("registration_confirmed", registration)
            message.status = status
            message.last_error = "550 5.1.1 mailbox unavailable" if status == "failed" else ""
            db.session.add(message)
    db.session.commit()

    everyone = admin_client.get(f"/admin/events/{event.id}/registrations").get_data(as_text=True)
    assert re.findall(r'data-mail-failed="(\d+)"', everyone) == [str(bounced.id)]
    only = admin_client.get(f"/admin/events/{event.id}/registrations?mail_failed=y")
    assert re.findall(r'data-registration="(\d+)"', only.get_data(as_text=True)) == [
        str(bounced.id)
    ]
    dashboard = admin_client.get(f"/admin/events/{event.id}/").get_data(as_text=True)
    assert 'id="mail-failed-count" data-count="1"' in dashboard


def test_the_office_asks_the_organizers_questions_under_the_same_rules(admin_client, make_event):
    from eventapp.models import QuestionAnswer
    from eventapp.questions.services import QuestionInput, create_question

    event = make_event()
    question = create_question(
        None, event, QuestionInput(kind="short_text", label="Anreise mit?", required=True)
    )
    db.session.commit()
    assert f'name="question_{question.id}"' in admin_client.get(new_url(event)).get_data(
        as_text=True
    )

    refused = admin_client.post(new_url(event), data=phoned_in())
    assert refused.status_code == 422
    assert db.session.execute(db.select(Registration)).first() is None

    done = admin_client.post(new_url(event), data=phoned_in(**{f"question_{question.id}": "Bahn"}))
    assert done.status_code == 302
    answer = db.session.execute(db.select(QuestionAnswer)).scalar_one()
    assert answer.value == "Bahn"
