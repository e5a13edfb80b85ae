"""POST /api/v1/events/<slug>/registrations: 201, 409, 422, 404, 429 and its OpenAPI entry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from support import api_error

from eventapp.extensions import db
from eventapp.models import EventStatus, Registration, SessionKind

BODY = {
    "first_name": "Mehmet",
    "last_name": "Yılmaz",
    "email": "mehmet@example.org",
    "organisation": "Baugenossenschaft Ried",
    "consent_privacy": True,
}


def url(event) -> str:
    return f"/api/v1/events/{event.slug}/registrations"


def count() -> int:
    return db.session.execute(select(func.count(Registration.id))).scalar_one()


def test_created_registration_follows_the_contract(client, make_programme):
    event = make_programme()
    workshop = next(s for s in event.sessions if s.kind == SessionKind.WORKSHOP)
    response = client.post(url(event), json={**BODY, "session_ids": [workshop.id]})
    assert response.status_code == 201
    body = response.get_json()
    registration = db.session.execute(select(Registration)).scalar_one()
    assert body["id"] == registration.id
    assert body["status"] == "confirmed"
    assert (body["first_name"], body["last_name"]) == ("Mehmet", "Yılmaz")
    assert body["email"] == "mehmet@example.org"
    assert body["organisation"] == "Baugenossenschaft Ried"
    assert body["sessions"] == [{"id": workshop.id, "status": "confirmed"}]
    assert datetime.fromisoformat(body["created_at"]).utcoffset() is not None
    assert body["checked_in_at"] is None
    base = "http://events.example.org"
    assert body["manage_url"] == f"{base}/registrations/{registration.manage_token}"
    assert body["ticket_url"].startswith(base) and registration.ticket_code in body["ticket_url"]
    assert body["calendar_url"].startswith(base)
    assert registration.calendar_token in body["calendar_url"]
    assert body["waitlist_position"] is None


def test_waitlisted_registration_has_no_ticket_url(client, make_event, make_registration):
    event = make_event(capacity=1)
    make_registration(event)
    body = client.post(url(event), json=BODY).get_json()
    assert body["status"] == "waitlisted"
    assert body["waitlist_position"] == 1
    assert body["ticket_url"] is None
    assert body["manage_url"]


def test_same_email_twice_is_409(client, make_event):
    event = make_event()
    assert client.post(url(event), json=BODY).status_code == 201
    response = client.post(url(event), json={**BODY, "email": " MEHMET@example.org"})
    assert response.status_code == 409
    assert api_error(response)["code"] == "duplicate"
    assert count() == 1


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"status": EventStatus.CANCELLED}, "cancelled"),
        ({"registration_closes_at": datetime(2021, 1, 1, tzinfo=UTC)}, "closed"),
        ({"registration_opens_at": datetime.now(UTC) + timedelta(days=2)}, "closed"),
        ({"capacity": 1, "waitlist_enabled": False}, "full"),
    ],
)
def test_closed_cancelled_or_full_event_is_409(client, make_event, make_registration, fields, code):
    event = make_event(**fields)
    if fields.get("capacity"):
        make_registration(event)
    before = count()
    response = client.post(url(event), json=BODY)
    assert response.status_code == 409
    assert api_error(response)["code"] == code
    assert count() == before


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({**BODY, "consent_privacy": False}, {"consent_privacy"}),
        ({k: v for k, v in BODY.items() if k != "consent_privacy"}, {"consent_privacy"}),
        ({**BODY, "email": "kein-at-zeichen"}, {"email"}),
        ({**BODY, "first_name": 42, "last_name": ""}, {"first_name", "last_name"}),
        ({**BODY, "session_ids": "1,2"}, {"session_ids"}),
        ({**BODY, "session_ids": [True]}, {"session_ids"}),
        ({**BODY, "sector": "astronaut", "photo_consent": "yes"}, {"sector", "photo_consent"}),
        ({**BODY, "organisation": "x" * 201}, {"organisation"}),
        ({**BODY, "locale": "fr"}, {"locale"}),
        ({**BODY, "session_ids": [987654]}, {"session_ids"}),
    ],
)
def test_invalid_input_is_422_with_field_details(client, make_event, body, fields):
    event = make_event()
    response = client.post(url(event), json=body)
    assert response.status_code == 422
    assert set(api_error(response)["fields"]) == fields
    assert count() == 0


def test_overlapping_workshops_are_422(client, make_programme):
    event = make_programme()
    ids = [s.id for s in event.sessions if s.kind == SessionKind.WORKSHOP]
    response = client.post(url(event), json={**BODY, "session_ids": ids})
    assert response.status_code == 422
    assert api_error(response)["code"] == "overlap"
    assert count() == 0


@pytest.mark.parametrize("data", ["not json", "[1, 2]", "null"])
def test_a_body_that_is_no_json_object_is_422(client, make_event, data):
    response = client.post(url(make_event()), data=data, content_type="application/json")
    assert response.status_code == 422
    assert api_error(response)["code"] == "invalid"


def test_unknown_or_draft_event_is_404(client, make_event):
    assert client.post("/api/v1/events/nope/registrations", json=BODY).status_code == 404
    response = client.post(url(make_event(status=EventStatus.DRAFT)), json=BODY)
    assert response.status_code == 404
    assert api_error(response)["code"]
    assert count() == 0


def test_openapi_documents_the_route_and_its_answers(client):
    document = client.get("/api/v1/openapi.json").get_json()
    operation = document["paths"]["/events/{slug}/registrations"]["post"]
    assert set(operation["responses"]) >= {"201", "404", "409", "422", "429"}
    schemas = document["components"]["schemas"]
    created = schemas["CreatedRegistration"]
    for name in ("id", "status", "sessions", "created_at", "checked_in_at", "manage_url"):
        assert name in created["required"]


def test_created_registration_matches_its_schema(client, make_programme):
    from jsonschema import Draft202012Validator

    event = make_programme()
    document = client.get("/api/v1/openapi.json").get_json()
    body = client.post(url(event), json=BODY).get_json()
    # The whole document as root, so that "#/components/schemas/..." references resolve.
    schema = {**document, "$ref": "#/components/schemas/CreatedRegistration"}
    assert list(Draft202012Validator(schema).iter_errors(body)) == []


class TestRateLimit:
    @pytest.fixture
    def config_overrides(self):
        return {"RATELIMIT_ENABLED": True, "REGISTRATION_RATE_LIMIT": "3 per minute"}

    def test_too_many_registrations_from_one_address_get_a_clear_429(self, client, make_event):
        event = make_event()
        answers = [
            client.post(url(event), json={**BODY, "email": f"p{n}@example.org"}).status_code
            for n in range(3)
        ]
        assert answers == [201, 201, 201]
        response = client.post(url(event) + "?lang=en", json={**BODY, "email": "p9@example.org"})
        assert response.status_code == 429
        assert api_error(response)["code"] == "too_many_requests"
        assert api_error(response)["message"].startswith("Too many registrations")
        assert response.headers.get("Retry-After")
        assert count() == 3
        other = client.post(
            url(event),
            json={**BODY, "email": "p10@example.org"},
            environ_base={"REMOTE_ADDR": "192.0.2.7"},
        )
        assert other.status_code == 201
