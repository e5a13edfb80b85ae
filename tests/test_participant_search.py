"""One participant search: the back-office list, the admin API and the door find the same."""

from __future__ import annotations

import re

import pytest
from support import api_headers

from eventapp.models import Role


@pytest.fixture
def people(make_event, make_registration):
    event = make_event(slug="kongress")
    mueller = make_registration(
        event, first_name="Anna", last_name="Müller", email="anna@example.org"
    )
    oezdemir = make_registration(
        event, first_name="Bernd", last_name="Özdemir", email="bernd@example.org"
    )
    make_registration(event, first_name="Clara", last_name="Schäfer", email="clara@example.org")
    return event, {"Müller": mueller.id, "Özdemir": oezdemir.id}


def back_office(admin_client, event, query: str) -> list[int]:
    page = admin_client.get(f"/admin/events/{event.id}/registrations", query_string={"q": query})
    assert page.status_code == 200
    return [int(i) for i in re.findall(r'data-registration="(\d+)"', page.get_data(as_text=True))]


def admin_api(client, headers, query: str) -> list[int]:
    response = client.get(
        "/api/v1/events/kongress/registrations", query_string={"q": query}, headers=headers
    )
    assert response.status_code == 200
    return [r["id"] for r in response.get_json()["registrations"]]


def door(client, headers, query: str) -> list[dict]:
    response = client.get(
        "/api/v1/events/kongress/checkin/search", query_string={"q": query}, headers=headers
    )
    assert response.status_code == 200
    return response.get_json()["results"]


# "müller" differs from "Müller" in an ASCII letter, "özdemir" from "Özdemir" in an umlaut,
# which SQLite's lower() does not fold.
@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("müller", "Müller"),
        ("MÜLLER", "Müller"),
        ("özdemir", "Özdemir"),
        ("bernd özdemir", "Özdemir"),
    ],
)
def test_lowercase_search_finds_capitalised_names_in_back_office_admin_api_and_door(
    admin_client, client, make_user, people, query, name
):
    event, ids = people
    admin = api_headers(make_user(Role.ADMIN, email="script@example.org"), "script")
    staff = api_headers(make_user(Role.CHECKIN, email="door@example.org"), "door")

    assert back_office(admin_client, event, query) == [ids[name]]
    assert admin_api(client, admin, query) == [ids[name]]
    assert [r["id"] for r in door(client, admin, query)] == [ids[name]]
    assert [r["id"] for r in door(client, staff, query)] == [ids[name]]


def test_door_staff_get_the_same_people_without_contact_details(client, make_user, people):
    _event, ids = people
    staff = api_headers(make_user(Role.CHECKIN, email="door@example.org"), "door")
    [result] = door(client, staff, "müller")
    assert result["id"] == ids["Müller"]
    assert "email" not in result and "ticket_code" not in result
    # A part of an address finds people only for organizers, the whole address for everyone.
    assert door(client, staff, "anna@example") == []
    assert [r["id"] for r in door(client, staff, "anna@example.org")] == [ids["Müller"]]


def test_admin_api_search_takes_part_of_an_address_and_an_empty_search_lists_everyone(
    client, make_user, people
):
    _event, ids = people
    admin = api_headers(make_user(Role.ADMIN, email="script@example.org"), "script")
    assert admin_api(client, admin, "anna@example") == [ids["Müller"]]
    assert len(admin_api(client, admin, "  ")) == 3
