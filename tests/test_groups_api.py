"""POST /api/v1/events/<slug>/group-registrations: 201 in order, 404, 409, 422, idempotency,
and its entry in the OpenAPI document (validated against it)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from openapi_core import OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIResponse
from openapi_core.datatypes import RequestParameters
from sqlalchemy import func, select
from support import api_error

from eventapp.extensions import db
from eventapp.models import GroupMembership, Registration, RegistrationSource

REGISTRANT = {
    "first_name": "Lea",
    "last_name": "Kolb",
    "email": "lea@example.org",
    "organisation": "Gemeinde Lorsch",
    "consent_privacy": True,
}
BODY = {
    "registrant": REGISTRANT,
    "members": [
        {"first_name": "Ben", "last_name": "Ahrens", "email": "ben@example.org"},
        {"first_name": "Cem", "last_name": "Yilmaz"},
        {"first_name": "Dana", "last_name": "Vogt", "organisation": "Stadt Bensheim"},
    ],
}


def url(event) -> str:
    return f"/api/v1/events/{event.slug}/group-registrations"


def count() -> int:
    return db.session.execute(select(func.count(Registration.id))).scalar_one()


@pytest.fixture
def openapi(client) -> OpenAPI:
    return OpenAPI.from_dict(client.get("/api/v1/openapi.json").get_json())


class Sent:
    """The request as openapi-core needs it (the test client's one has no body left)."""

    def __init__(self, path: str, body: dict) -> None:
        self.host_url = "http://localhost"
        self.path = f"/api/v1{path}"
        self.full_url_pattern = self.host_url + self.path
        self.method = "post"
        self.parameters = RequestParameters()
        self.content_type = "application/json"
        self.body = json.dumps(body).encode()


def assert_valid(openapi: OpenAPI, response, event, body) -> None:
    """The answer is one the OpenAPI document allows for this operation."""
    request = Sent(f"/events/{event.slug}/group-registrations", body)
    openapi.validate_response(request, WerkzeugOpenAPIResponse(response))


def test_group_is_registered_in_order_with_each_persons_links(client, make_event, openapi):
    event = make_event(capacity=2)
    response = client.post(url(event), json=BODY)
    assert response.status_code == 201
    assert_valid(openapi, response, event, BODY)
    people = response.get_json()["registrations"]
    assert [p["first_name"] for p in people] == ["Lea", "Ben", "Cem", "Dana"]
    assert [p["status"] for p in people] == ["confirmed", "confirmed", "waitlisted", "waitlisted"]
    assert [p["waitlist_position"] for p in people] == [None, None, 1, 2]
    assert people[2]["email"] == "" and people[2]["ticket_url"] is None
    assert people[1]["ticket_url"] is not None
    assert len({p["manage_url"] for p in people}) == 4
    stored = db.session.scalars(select(Registration).order_by(Registration.id)).all()
    assert [p.id for p in stored] == [p["id"] for p in people]
    assert [p.source for p in stored] == [
        RegistrationSource.API,
        RegistrationSource.GROUP,
        RegistrationSource.GROUP,
        RegistrationSource.GROUP,
    ]
    assert db.session.scalar(select(func.count()).select_from(GroupMembership)) == 3


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        (
            {**BODY, "members": [{"first_name": "", "last_name": "Ahrens"}]},
            {"members.0.first_name"},
        ),
        (
            {"registrant": {**REGISTRANT, "email": "no-address"}, "members": BODY["members"]},
            {"registrant.email"},
        ),
        (
            {**BODY, "members": [*BODY["members"][:2], {**BODY["members"][0]}]},
            {"members.2.email"},
        ),
        (
            {**BODY, "members": [{"first_name": "Ben", "last_name": "A", "email": "x@"}]},
            {"members.0.email"},
        ),
        ({**BODY, "members": []}, {"members"}),
        ({"registrant": REGISTRANT}, {"members"}),
        (
            {**BODY, "members": [{"first_name": "Ben", "last_name": "A", "session_ids": [1]}]},
            {"members.0.session_ids"},
        ),
    ],
)
def test_bad_input_is_refused_with_field_paths(client, make_event, openapi, body, fields):
    event = make_event()
    response = client.post(url(event), json=body)
    assert response.status_code == 422
    assert_valid(openapi, response, event, body)
    error = api_error(response)
    assert error["code"] == "invalid"
    assert set(error["fields"]) == fields
    assert count() == 0


def test_more_members_than_the_event_allows_is_refused(client, make_event):
    event = make_event(max_group_size=2)
    response = client.post(url(event), json=BODY)
    assert response.status_code == 422
    assert set(api_error(response)["fields"]) == {"members"}
    assert count() == 0


def test_an_address_already_registered_is_refused(client, make_event, make_registration):
    event = make_event()
    make_registration(event, email="ben@example.org")
    response = client.post(url(event), json=BODY)
    assert response.status_code == 422
    assert set(api_error(response)["fields"]) == {"members.0.email"}
    assert count() == 1


def test_closed_full_and_unknown(client, make_event):
    closed = make_event(registration_closes_at=datetime.now(UTC) - timedelta(days=1))
    response = client.post(url(closed), json=BODY)
    assert response.status_code == 409
    assert api_error(response)["code"] == "closed"
    full = make_event(capacity=2, waitlist_enabled=False)
    response = client.post(url(full), json=BODY)
    assert response.status_code == 409
    assert api_error(response)["code"] == "full"
    assert count() == 0
    assert client.post("/api/v1/events/nope/group-registrations", json=BODY).status_code == 404


def test_not_json_is_a_422(client, make_event):
    event = make_event()
    response = client.post(url(event), data="x", content_type="text/plain")
    assert response.status_code == 422
    assert client.post(url(event), json=[1]).status_code == 422
    assert count() == 0


def test_the_same_idempotency_key_answers_with_the_same_group(client, make_event):
    event = make_event()
    headers = {"Idempotency-Key": "group-key-1"}
    first = client.post(url(event), json=BODY, headers=headers)
    again = client.post(url(event), json=BODY, headers=headers)
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    ids = [p["id"] for p in first.get_json()["registrations"]]
    assert [p["id"] for p in again.get_json()["registrations"]] == ids
    other = client.post(url(event), json={**BODY, "members": BODY["members"][:1]}, headers=headers)
    assert other.status_code == 422
    assert api_error(other)["code"] == "idempotency_key_reused"
    assert count() == 4


def test_operation_is_in_the_openapi_document(client):
    document = client.get("/api/v1/openapi.json").get_json()
    operation = document["paths"]["/events/{slug}/group-registrations"]["post"]
    assert operation["operationId"] == "createGroupRegistration"
    assert {"201", "404", "409", "422"} <= set(operation["responses"])
    schemas = document["components"]["schemas"]
    assert any(name.startswith("GroupRegistrationRequest") for name in schemas)
