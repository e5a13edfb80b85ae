"""The check-in answers match what the OpenAPI document promises."""

from __future__ import annotations

import pytest
from openapi_core import OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from support import api_headers, login
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from eventapp.models import EventStatus, RegistrationStatus, Role, SessionKind


@pytest.fixture
def openapi(client) -> OpenAPI:
    return OpenAPI.from_dict(client.get("/api/v1/openapi.json").get_json())


@pytest.fixture
def headers(make_user):
    return api_headers(make_user(Role.CHECKIN))


def assert_valid(openapi: OpenAPI, response, payload=None) -> None:
    # The test client's request has had its body read; describe the same request anew.
    sent = response.request
    request = Request(
        EnvironBuilder(
            path=sent.path,
            method=sent.method,
            query_string=sent.query_string.decode(),
            json=payload,
            headers=dict(sent.headers),
        ).get_environ()
    )
    openapi.validate_response(WerkzeugOpenAPIRequest(request), WerkzeugOpenAPIResponse(response))


def test_every_checkin_answer_matches_the_document(
    client, openapi, headers, make_programme, make_registration
):
    event = make_programme(slug="kongress")
    workshop = next(s for s in event.sessions if s.kind == SessionKind.WORKSHOP)
    guest = make_registration(event, first_name="Anna")
    cancelled = make_registration(event, status=RegistrationStatus.CANCELLED)
    answers = []
    for payload in (
        {"code": guest.ticket_code, "event": "kongress", "nonce": "a"},
        {"code": guest.ticket_code, "event": "kongress"},
        {"code": guest.ticket_code, "event": "kongress", "list": workshop.id},
        {"code": cancelled.ticket_code, "event": "kongress"},
        {"code": "nope", "event": "kongress"},
        {"code": "nope", "event": "kongress", "list": "garden"},
        {"code": "nope", "event": "nirgends"},
    ):
        response = client.post("/api/v1/checkin/redeem", json=payload, headers=headers)
        assert_valid(openapi, response, payload)
        answers.append(response.json.get("status", response.status_code))
    assert answers == [
        "ok",
        "already_checked_in",
        "not_registered_for_session",
        "cancelled",
        "unknown",
        422,
        404,
    ]
    response = client.post(
        "/api/v1/checkin/annul",
        json={"code": guest.ticket_code, "event": "kongress"},
        headers=headers,
    )
    assert_valid(openapi, response)
    for path in (
        "/api/v1/events/kongress/checkin/status",
        "/api/v1/events/kongress/checkin/search?q=anna",
    ):
        response = client.get(path, headers=headers)
        assert response.status_code == 200
        assert_valid(openapi, response)
    response = client.get("/api/v1/events/kongress/checkin/status")
    assert response.status_code == 401
    assert_valid(openapi, response)


def test_door_answers_match_the_document(
    client, openapi, headers, make_user, make_event, make_registration
):
    """event_cancelled, the door's search without contact details, and a too short query."""
    make_event(slug="abgesagt", status=EventStatus.CANCELLED)
    event = make_event(slug="kongress")
    guest = make_registration(event, first_name="Anna")
    payload = {"code": "nope", "event": "abgesagt"}
    response = client.post("/api/v1/checkin/redeem", json=payload, headers=headers)
    assert response.json["status"] == "event_cancelled"
    assert_valid(openapi, response, payload)
    for query, status in (("anna", 200), ("a", 422)):
        response = client.get(f"/api/v1/events/kongress/checkin/search?q={query}", headers=headers)
        assert response.status_code == status
        assert_valid(openapi, response)
    admin = api_headers(make_user(Role.ADMIN))
    response = client.get("/api/v1/events/kongress/checkin/search?q=anna", headers=admin)
    assert response.json["results"][0]["ticket_code"] == guest.ticket_code
    assert_valid(openapi, response)
    login(client, make_user(Role.CHECKIN))
    payload = {"registration_id": guest.id, "event": "kongress"}
    response = client.post("/api/v1/checkin/redeem", json=payload)
    assert response.json["status"] == "ok"
    assert_valid(openapi, response, payload)
