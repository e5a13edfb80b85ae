"""Organizer API: an event's registrations, paginated, for admins only."""

from __future__ import annotations

import pytest
from openapi_core import OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from support import api_headers

from eventapp.models import RegistrationStatus, Role


@pytest.fixture
def admin_headers(make_user):
    return api_headers(make_user(Role.ADMIN, email="office@example.org"), "script")


@pytest.fixture
def event(make_event, make_registration):
    event = make_event(slug="kongress")
    for n in range(5):
        make_registration(event, email=f"p{n}@example.org", last_name=f"Schäfer {n}")
    make_registration(event, email="w@example.org", status=RegistrationStatus.WAITLISTED)
    return event


def test_admin_pages_through_registrations_in_arrival_order(client, event, admin_headers):
    first = client.get("/api/v1/events/kongress/registrations?per_page=4", headers=admin_headers)
    second = client.get(
        "/api/v1/events/kongress/registrations?per_page=4&page=2", headers=admin_headers
    )

    assert first.status_code == 200
    body = first.get_json()
    assert (body["total"], body["pages"], body["page"], body["per_page"]) == (6, 2, 1, 4)
    emails = [r["email"] for r in body["registrations"] + second.get_json()["registrations"]]
    assert emails == [f"p{n}@example.org" for n in range(5)] + ["w@example.org"]
    assert body["registrations"][0]["last_name"] == "Schäfer 0"
    assert body["registrations"][0]["checked_in_at"] is None


def test_status_filter(client, event, admin_headers):
    response = client.get(
        "/api/v1/events/kongress/registrations?status=waitlisted", headers=admin_headers
    )
    assert [r["email"] for r in response.get_json()["registrations"]] == ["w@example.org"]


@pytest.mark.parametrize(
    "query", ["?page=0", "?page=x", "?per_page=201", "?per_page=-1", "?status=maybe"]
)
def test_bad_paging_or_filter_is_a_422(client, event, admin_headers, query):
    response = client.get(f"/api/v1/events/kongress/registrations{query}", headers=admin_headers)
    assert response.status_code == 422
    assert set(response.get_json()["error"]) == {"code", "message"}


def test_unknown_event_is_a_404(client, admin_headers, app):
    response = client.get("/api/v1/events/nothing/registrations", headers=admin_headers)
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "event_not_found"


def test_without_a_valid_token_401_and_checkin_staff_403(client, event, make_user):
    assert client.get("/api/v1/events/kongress/registrations").status_code == 401
    bad = {"Authorization": "Bearer not-a-token"}
    assert client.get("/api/v1/events/kongress/registrations", headers=bad).status_code == 401
    door = api_headers(make_user(Role.CHECKIN, email="door@example.org"), "script")
    response = client.get("/api/v1/events/kongress/registrations", headers=door)
    assert response.status_code == 403
    assert "@example.org" not in response.get_data(as_text=True)


def test_answer_matches_the_openapi_document(client, event, admin_headers):
    openapi = OpenAPI.from_dict(client.get("/api/v1/openapi.json").get_json())
    response = client.get("/api/v1/events/kongress/registrations", headers=admin_headers)
    assert response.status_code == 200
    openapi.validate_response(
        WerkzeugOpenAPIRequest(response.request), WerkzeugOpenAPIResponse(response)
    )
