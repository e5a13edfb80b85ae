"""Walk-ins at the door: registered and checked in at the entrance in one step.

From the scanner page (a form) and the API for scanner apps; the same rules either way:
a seat or no entry (never the waiting list), the organizer's logged override, no second
registration for a known address, the registration window does not apply at the door.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import UTC, datetime

import pytest
from support import all_at_once, api_headers, csrf_token_in, login, login_with_csrf

from eventapp.accounts import services as accounts
from eventapp.checkin.walk_in import OVER_CAPACITY_ACTION
from eventapp.extensions import db
from eventapp.models import (
    ENTRANCE,
    AuditEntry,
    ChangeKind,
    CheckIn,
    EventStatus,
    OutboxMessage,
    Registration,
    RegistrationChange,
    RegistrationStatus,
    Role,
    ScanLog,
)

PERSON = {
    "first_name": "Greta",
    "last_name": "Öztürk",
    "organisation": "Gemeinde Biblis",
    "privacy_informed": "y",
}


@pytest.fixture
def event(make_event):
    return make_event(slug="kongress", capacity=3)


@pytest.fixture
def staff(make_user):
    return make_user(Role.CHECKIN)


def walk_ins() -> list[Registration]:
    return list(
        db.session.execute(
            db.select(Registration).where(Registration.source == "walk_in")
        ).scalars()
    )


def registrations() -> int:
    return len(db.session.execute(db.select(Registration.id)).all())


def fill(event, make_registration, taken: int) -> None:
    for _ in range(taken):
        make_registration(event)


# --- the page ------------------------------------------------------------------------


def test_scanner_page_offers_the_walk_in_form_without_override_for_door_staff(client, staff, event):
    login(client, staff)
    page = client.get("/checkin/kongress?lang=en").get_data(as_text=True)
    assert 'id="walk-in-form"' in page
    assert 'action="/checkin/kongress/walk-in"' in page
    assert 'name="privacy_informed"' in page
    assert 'name="over_capacity"' not in page


def test_scanner_page_offers_the_override_to_organizers(admin_client, event):
    page = admin_client.get("/checkin/kongress?lang=en").get_data(as_text=True)
    assert 'name="over_capacity"' in page


def test_walk_in_form_registers_and_checks_in_at_the_entrance(client, staff, event):
    login(client, staff)
    response = client.post(
        "/checkin/kongress/walk-in?lang=en", data={**PERSON, "device": "Tablet Eingang"}
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/checkin/kongress")
    (person,) = walk_ins()
    assert person.status == RegistrationStatus.CONFIRMED
    assert (person.first_name, person.last_name) == ("Greta", "Öztürk")
    assert person.organisation == "Gemeinde Biblis"
    assert person.email == ""
    assert person.checked_in_at is not None
    check_in = db.session.execute(db.select(CheckIn)).scalar_one()
    assert (check_in.registration_id, check_in.list_key) == (person.id, ENTRANCE)
    assert check_in.user_id == staff.id
    assert check_in.device == "Tablet Eingang"
    log = db.session.execute(db.select(ScanLog)).scalar_one()
    assert (log.registration_id, log.result, log.user_id) == (person.id, "ok", staff.id)
    assert log.list_key == ENTRANCE
    change = db.session.execute(db.select(RegistrationChange)).scalar_one()
    assert change.kind == ChangeKind.REGISTERED
    assert change.actor == staff.email
    assert change.detail["source"] == "walk_in"
    assert "over_capacity" not in change.detail
    page = client.get("/checkin/kongress?lang=en").get_data(as_text=True)
    assert "Greta Öztürk is registered and checked in." in page


def test_walk_in_with_an_address_gets_it_stored(client, staff, event):
    login(client, staff)
    client.post("/checkin/kongress/walk-in", data={**PERSON, "email": "Greta@Biblis.de"})
    (person,) = walk_ins()
    assert person.email_normalized == "greta@biblis.de"


def test_walk_in_needs_the_privacy_confirmation(client, staff, event):
    login(client, staff)
    data = {key: value for key, value in PERSON.items() if key != "privacy_informed"}
    response = client.post("/checkin/kongress/walk-in?lang=en", data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="privacy_informed-error"' in page
    assert '<details class="scanner-walk-in" id="walk-in" open>' in page
    assert registrations() == 0
    assert db.session.execute(db.select(ScanLog)).first() is None


@pytest.mark.parametrize(
    "change",
    [{"first_name": ""}, {"last_name": "  "}, {"email": "nicht-eine-adresse"}],
)
def test_walk_in_with_bad_input_changes_nothing(client, staff, event, change):
    login(client, staff)
    response = client.post("/checkin/kongress/walk-in?lang=en", data={**PERSON, **change})
    assert response.status_code == 422
    assert "has-error" in response.get_data(as_text=True)
    assert registrations() == 0


def test_full_event_refuses_a_walk_in_and_never_waitlists(client, staff, event, make_registration):
    fill(event, make_registration, 3)
    assert event.waitlist_enabled
    login(client, staff)
    response = client.post("/checkin/kongress/walk-in?lang=en", data=PERSON)
    assert response.status_code == 422
    assert "No seat is left for this event." in response.get_data(as_text=True)
    assert walk_ins() == []
    assert registrations() == 3
    assert db.session.execute(db.select(CheckIn)).first() is None


def test_door_staff_cannot_override_capacity(client, staff, event, make_registration):
    fill(event, make_registration, 3)
    login(client, staff)
    response = client.post(
        "/checkin/kongress/walk-in?lang=en", data={**PERSON, "over_capacity": "y"}
    )
    assert response.status_code == 422
    assert "Only organizers can admit a walk-in over capacity." in response.get_data(as_text=True)
    assert walk_ins() == []


def test_organizer_without_the_override_is_refused_too(admin_client, event, make_registration):
    fill(event, make_registration, 3)
    response = admin_client.post("/checkin/kongress/walk-in?lang=en", data=PERSON)
    assert response.status_code == 422
    assert walk_ins() == []


def test_organizer_override_admits_over_capacity_and_is_recorded(
    admin_client, admin, event, make_registration
):
    fill(event, make_registration, 3)
    response = admin_client.post("/checkin/kongress/walk-in", data={**PERSON, "over_capacity": "y"})
    assert response.status_code == 302
    (person,) = walk_ins()
    assert person.status == RegistrationStatus.CONFIRMED
    assert person.checked_in_at is not None
    change = db.session.execute(
        db.select(RegistrationChange).where(RegistrationChange.registration_id == person.id)
    ).scalar_one()
    assert change.detail["over_capacity"] is True
    entry = db.session.execute(
        db.select(AuditEntry).where(AuditEntry.action == OVER_CAPACITY_ACTION)
    ).scalar_one()
    assert (entry.user_id, entry.object_type, entry.object_id) == (
        admin.id,
        "registration",
        person.id,
    )


def test_override_with_seats_left_is_no_override(admin_client, event):
    admin_client.post("/checkin/kongress/walk-in", data={**PERSON, "over_capacity": "y"})
    (person,) = walk_ins()
    assert person.status == RegistrationStatus.CONFIRMED
    assert db.session.execute(db.select(AuditEntry)).first() is None


def test_known_address_points_to_the_search(client, staff, event, make_registration):
    make_registration(event, email="greta@biblis.de")
    login(client, staff)
    response = client.post(
        "/checkin/kongress/walk-in?lang=en", data={**PERSON, "email": "GRETA@biblis.de"}
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Please find the person with the name search" in page
    assert 'id="email-error"' in page
    assert walk_ins() == []


def test_closed_registration_window_does_not_stop_a_walk_in(client, staff, make_event):
    make_event(
        slug="kongress",
        registration_closes_at=datetime(2021, 1, 1, tzinfo=UTC),
    )
    login(client, staff)
    assert client.post("/checkin/kongress/walk-in", data=PERSON).status_code == 302
    assert len(walk_ins()) == 1


def test_cancelled_event_refuses_walk_ins(client, staff, make_event):
    make_event(slug="kongress", status=EventStatus.CANCELLED)
    login(client, staff)
    response = client.post("/checkin/kongress/walk-in?lang=en", data=PERSON)
    assert response.status_code == 422
    assert "This event has been cancelled." in response.get_data(as_text=True)
    assert registrations() == 0


def test_draft_has_no_walk_ins(client, staff, make_event):
    make_event(slug="kongress", status=EventStatus.DRAFT)
    login(client, staff)
    assert client.post("/checkin/kongress/walk-in", data=PERSON).status_code == 404
    assert registrations() == 0


def test_walk_in_form_needs_login(client, event):
    response = client.post("/checkin/kongress/walk-in", data=PERSON)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    assert registrations() == 0


class TestCsrf:
    @pytest.fixture
    def config_overrides(self):
        return {"WTF_CSRF_ENABLED": True}

    def test_walk_in_without_csrf_token_is_refused(self, client, staff, event):
        login_with_csrf(client, staff)
        response = client.post("/checkin/kongress/walk-in", data=PERSON)
        assert response.status_code == 400
        assert registrations() == 0

    def test_walk_in_with_the_pages_token_goes_through(self, client, staff, event):
        login_with_csrf(client, staff)
        page = client.get("/checkin/kongress").get_data(as_text=True)
        form = page[page.index('id="walk-in-form"') :]
        token = csrf_token_in(form)
        response = client.post("/checkin/kongress/walk-in", data={**PERSON, "csrf_token": token})
        assert response.status_code == 302
        assert len(walk_ins()) == 1


# --- the API -------------------------------------------------------------------------

URL = "/api/v1/events/kongress/checkin/walk-in"
BODY = {
    "first_name": "Greta",
    "last_name": "Öztürk",
    "organisation": "Gemeinde Biblis",
    "privacy_informed": True,
}


def test_api_registers_and_checks_in(client, staff, event):
    headers = api_headers(staff, **{"X-Device": "Scanner 3"})
    response = client.post(URL, json={**BODY, "email": "greta@biblis.de"}, headers=headers)
    assert response.status_code == 201, response.json
    body = response.json
    assert body["status"] == "ok"
    assert body["list"] == "entrance"
    assert body["checked_in_at"] is not None
    registration = body["registration"]
    assert registration["status"] == "confirmed"
    assert registration["email"] == "greta@biblis.de"
    assert registration["checked_in_at"] == body["checked_in_at"]
    assert "ticket_url" not in registration and "manage_url" not in registration
    log = db.session.execute(db.select(ScanLog)).scalar_one()
    assert (log.registration_id, log.device, log.result) == (registration["id"], "Scanner 3", "ok")


def test_api_retry_with_the_same_idempotency_key_registers_once(client, staff, event):
    headers = api_headers(staff, **{"Idempotency-Key": "walk-in-7f3a"})

    first = client.post(URL, json=BODY, headers=headers)
    again = client.post(URL, json=BODY, headers=headers)

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert again.json == first.json
    assert registrations() == 1
    assert len(db.session.execute(db.select(ScanLog)).scalars().all()) == 1
    other = client.post(URL, json={**BODY, "first_name": "Gerd"}, headers=headers)
    assert other.status_code == 422
    assert other.json["error"]["code"] == "idempotency_key_reused"
    assert registrations() == 1
    fresh = client.post(URL, json=BODY, headers=api_headers(staff))
    assert fresh.status_code == 201 and registrations() == 2


def test_api_needs_a_token(client, event):
    assert client.post(URL, json=BODY).status_code == 401
    assert registrations() == 0


def test_api_refuses_without_privacy_confirmation(client, staff, event):
    response = client.post(
        URL, json={**BODY, "privacy_informed": False}, headers=api_headers(staff)
    )
    assert response.status_code == 422
    assert "privacy_informed" in response.json["error"]["fields"]
    assert registrations() == 0


def test_api_refuses_bad_input_with_fields(client, staff, event):
    response = client.post(
        URL, json={**BODY, "first_name": "", "email": 5}, headers=api_headers(staff)
    )
    assert response.status_code == 422
    assert {"first_name", "email"} <= set(response.json["error"]["fields"])
    assert registrations() == 0


def test_api_full_event_is_409_and_override_is_for_admins(
    client, staff, admin, event, make_registration
):
    fill(event, make_registration, 3)
    refused = client.post(URL, json=BODY, headers=api_headers(staff))
    assert refused.status_code == 409
    assert refused.json["error"]["code"] == "full"
    forbidden = client.post(URL, json={**BODY, "over_capacity": True}, headers=api_headers(staff))
    assert forbidden.status_code == 403
    assert forbidden.json["error"]["code"] == "override_not_allowed"
    assert walk_ins() == []
    admitted = client.post(URL, json={**BODY, "over_capacity": True}, headers=api_headers(admin))
    assert admitted.status_code == 201
    assert admitted.json["registration"]["status"] == "confirmed"
    assert db.session.execute(
        db.select(AuditEntry).where(AuditEntry.action == OVER_CAPACITY_ACTION)
    ).scalar_one()


def test_api_known_address_is_409_duplicate(client, staff, event, make_registration):
    make_registration(event, email="greta@biblis.de")
    response = client.post(
        URL, json={**BODY, "email": "greta@biblis.de"}, headers=api_headers(staff)
    )
    assert response.status_code == 409
    assert response.json["error"]["code"] == "duplicate"
    assert walk_ins() == []


def test_api_unknown_event_is_404(client, staff):
    response = client.post(
        "/api/v1/events/nope/checkin/walk-in", json=BODY, headers=api_headers(staff)
    )
    assert response.status_code == 404


def test_api_walk_in_is_in_the_openapi_document(client):
    document = client.get("/api/v1/openapi.json").json
    operation = document["paths"]["/events/{slug}/checkin/walk-in"]["post"]
    assert operation["operationId"] == "registerWalkIn"
    assert {"201", "401", "403", "404", "409", "422"} <= set(operation["responses"])


def test_only_a_walk_in_with_an_address_gets_a_confirmation_mail(client, staff, event):
    login(client, staff)
    client.post("/checkin/kongress/walk-in", data=PERSON)
    assert db.session.execute(db.select(OutboxMessage)).first() is None
    client.post(
        "/checkin/kongress/walk-in",
        data={**PERSON, "first_name": "Hanna", "email": "hanna@biblis.de"},
    )
    (message,) = db.session.execute(db.select(OutboxMessage)).scalars()
    assert message.recipient == "hanna@biblis.de"
    assert message.kind == "registration_confirmed"


# --- at the same moment ----------------------------------------------------------------


def _post_json(url: str, path: str, token: str, payload: dict) -> int:
    request = urllib.request.Request(
        url + path,
        data=json.dumps(payload).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.mark.slow
def test_walk_ins_and_registrations_at_once_never_overbook(
    live_server, make_user, make_event, make_registration
):
    event = make_event(slug="gedraenge", capacity=4)
    make_registration(event)
    tokens = [accounts.create_token(make_user(Role.CHECKIN), f"door {n}") for n in range(6)]
    db.session.commit()  # release the test's transaction: the server writes now
    walk_in_calls = [
        lambda n=n, token=token: _post_json(
            live_server,
            "/api/v1/events/gedraenge/checkin/walk-in",
            token,
            {**BODY, "first_name": f"Tür {n}"},
        )
        for n, token in enumerate(tokens)
    ]
    form_calls = [
        lambda n=n: _post_json(
            live_server,
            "/api/v1/events/gedraenge/registrations",
            "",
            {
                "first_name": "Online",
                "last_name": f"Person {n}",
                "email": f"online{n}@example.org",
                "consent_privacy": True,
            },
        )
        for n in range(4)
    ]
    answers = all_at_once([*walk_in_calls, *form_calls])
    walk_in_answers = answers[: len(walk_in_calls)]
    assert set(walk_in_answers) <= {201, 409}
    assert set(answers[len(walk_in_calls) :]) == {201}  # confirmed or waitlisted
    db.session.expire_all()
    confirmed = db.session.execute(
        db.select(db.func.count(Registration.id)).where(
            Registration.event_id == event.id,
            Registration.status == RegistrationStatus.CONFIRMED,
        )
    ).scalar_one()
    assert confirmed == 4
    door = walk_ins()
    assert len(door) == walk_in_answers.count(201)
    assert all(r.status == RegistrationStatus.CONFIRMED and r.checked_in_at for r in door)
    assert len(db.session.execute(db.select(CheckIn)).all()) == len(door)
