"""The registration API's Idempotency-Key: a retry learns its registration, never makes two."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openapi_core import OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from sqlalchemy import func, select
from support import all_at_once, api_error
from test_registration_concurrency import let_the_server_write, post, registrations_of
from werkzeug.test import EnvironBuilder

from eventapp.extensions import db
from eventapp.models import Registration, RegistrationIdempotencyKey, utcnow
from eventapp.registration import privacy, services

BODY = {
    "first_name": "Mehmet",
    "last_name": "Yılmaz",
    "email": "mehmet@example.org",
    "organisation": "Baugenossenschaft Ried",
    "consent_privacy": True,
}
KEY = "4f1c2a9e-7b43-4d0e-9a51-2c8d6f3b7e10"


def url(event) -> str:
    return f"/api/v1/events/{event.slug}/registrations"


def send(client, event, body=BODY, key: str | None = KEY):
    headers = {} if key is None else {"Idempotency-Key": key}
    return client.post(url(event) + "?lang=en", json=body, headers=headers)


def count() -> int:
    return db.session.execute(select(func.count(Registration.id))).scalar_one()


def test_a_retry_after_a_committed_registration_gets_the_same_registration(client, make_event):
    event = make_event()
    first = send(client, event)
    assert first.status_code == 201

    retry = send(client, event)

    assert retry.status_code == 201
    assert retry.get_json() == first.get_json()
    assert retry.get_json()["manage_url"] == first.get_json()["manage_url"]
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert count() == 1


def test_the_same_body_in_another_key_order_and_spacing_is_the_same_body(client, make_event):
    event = make_event()
    first = send(client, event).get_json()
    reordered = json.dumps(dict(reversed(BODY.items())), indent=4)

    retry = client.post(
        url(event),
        data=reordered,
        content_type="application/json",
        headers={"Idempotency-Key": KEY},
    )

    assert retry.status_code == 201
    assert retry.get_json()["id"] == first["id"]


def test_the_same_key_with_another_body_is_422_and_changes_nothing(client, make_event):
    event = make_event()
    first = send(client, event).get_json()

    other = send(client, event, {**BODY, "email": "someone.else@example.org"})

    assert other.status_code == 422
    assert api_error(other)["code"] == "idempotency_key_reused"
    assert api_error(other)["message"].startswith("This Idempotency-Key was already used")
    assert count() == 1
    # The key still belongs to the first body.
    assert send(client, event).get_json()["id"] == first["id"]


def test_without_the_header_a_second_request_is_a_duplicate_as_before(client, make_event):
    event = make_event()
    assert send(client, event, key=None).status_code == 201

    again = send(client, event, key=None)

    assert again.status_code == 409
    assert api_error(again)["code"] == "duplicate"
    assert count() == 1


def test_a_key_belongs_to_one_event(client, make_event):
    first, second = make_event(), make_event()

    answers = [send(client, first), send(client, second)]

    assert [a.status_code for a in answers] == [201, 201]
    assert answers[0].get_json()["id"] != answers[1].get_json()["id"]
    assert count() == 2
    assert send(client, first).get_json()["id"] == answers[0].get_json()["id"]
    assert send(client, second).get_json()["id"] == answers[1].get_json()["id"]


def test_a_replay_after_cancelling_shows_the_same_registration_as_it_is_now(client, make_event):
    event = make_event()
    first = send(client, event).get_json()
    registration = db.session.get(Registration, first["id"])
    services.cancel_registration(registration)
    db.session.commit()

    retry = send(client, event)

    assert retry.status_code == 201
    body = retry.get_json()
    assert (body["id"], body["manage_url"]) == (first["id"], first["manage_url"])
    assert body["status"] == "cancelled"
    assert body["ticket_url"] is None
    assert count() == 1


def test_a_refused_request_does_not_bind_its_key(client, make_event, make_registration):
    # Only a registration binds a key: a 409 changed nothing, so its retry is decided afresh.
    event = make_event(capacity=1, waitlist_enabled=False)
    seat_holder = make_registration(event)
    refused = send(client, event)
    assert refused.status_code == 409
    assert api_error(refused)["code"] == "full"
    services.cancel_registration(seat_holder)
    db.session.commit()

    retry = send(client, event)

    assert retry.status_code == 201
    assert retry.get_json()["status"] == "confirmed"
    assert "Idempotent-Replayed" not in retry.headers
    # From now on the key holds that registration.
    assert send(client, event).headers["Idempotent-Replayed"] == "true"


def test_an_invalid_body_does_not_bind_its_key(client, make_event):
    event = make_event()
    invalid = send(client, event, {**BODY, "consent_privacy": False})
    assert invalid.status_code == 422
    assert api_error(invalid)["code"] == "invalid"

    created = send(client, event)
    assert created.status_code == 201
    assert send(client, event).get_json()["id"] == created.get_json()["id"]
    assert count() == 1


def test_an_expired_key_starts_anew(client, make_event):
    event = make_event()
    first = send(client, event).get_json()
    record = db.session.execute(select(RegistrationIdempotencyKey)).scalar_one()
    record.created_at = utcnow() - timedelta(hours=25)
    db.session.commit()

    # After its lifetime the key no longer replays: the email address is simply taken ...
    again = send(client, event)
    assert again.status_code == 409
    assert api_error(again)["code"] == "duplicate"
    # ... and the key can carry a new registration.
    other = send(client, event, {**BODY, "email": "neu@example.org"})
    assert other.status_code == 201
    assert other.get_json()["id"] != first["id"]
    stored = db.session.execute(select(RegistrationIdempotencyKey)).scalars().all()
    assert [(r.key, r.registration_id) for r in stored] == [(KEY, other.get_json()["id"])]


def test_purging_the_event_deletes_its_keys(client, make_event):
    event = make_event()
    assert send(client, event).status_code == 201

    privacy.purge_event(event, 0, now=event.ends_at + timedelta(days=1))
    db.session.commit()

    assert db.session.execute(select(RegistrationIdempotencyKey)).scalars().all() == []


@pytest.mark.parametrize(
    "key",
    ["", " ", " leading-space", "trailing-space ", "x" * 201, "Schlüssel", "tab\there"],
)
def test_a_malformed_key_is_422_and_changes_nothing(client, make_event, key):
    event = make_event()

    response = send(client, event, key=key)

    assert response.status_code == 422
    assert api_error(response)["code"] == "invalid_idempotency_key"
    assert count() == 0


@pytest.mark.parametrize("key", ["k", "x" * 200, "a key with ~!@#$%^&*()_+ inside"])
def test_keys_of_one_to_two_hundred_printable_characters_are_taken(client, make_event, key):
    event = make_event()
    first = send(client, event, key=key)
    assert first.status_code == 201
    assert send(client, event, key=key).get_json()["id"] == first.get_json()["id"]


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(key=st.text(max_size=250))
def test_any_key_header_gets_an_answer_not_a_server_error(app, make_event, key):
    # Only latin-1 without line breaks can travel in a header.
    key = key.encode("latin-1", "replace").decode("latin-1").replace("\r", "").replace("\n", "")
    event = make_event()
    response = app.test_client().post(url(event), json=BODY, headers={"Idempotency-Key": key})
    assert response.status_code in {201, 400, 409, 422}
    if response.status_code == 400:
        # NUL in any header is refused before the view, as malformed.
        assert "\x00" in key
        assert api_error(response)["code"] == "bad_request"
    elif response.status_code != 201:
        assert api_error(response)["code"] in {"invalid_idempotency_key", "duplicate"}


def test_replays_and_refusals_match_the_openapi_document(client, make_event):
    event = make_event()
    openapi = OpenAPI.from_dict(client.get("/api/v1/openapi.json").get_json())
    first = send(client, event)
    replay = send(client, event)
    reused = send(client, event, {**BODY, "email": "other@example.org"})
    malformed = send(client, event, key="x" * 201)

    assert [r.status_code for r in (first, replay, reused, malformed)] == [201, 201, 422, 422]
    for response, body, key in (
        (first, BODY, KEY),
        (replay, BODY, KEY),
        (reused, {**BODY, "email": "other@example.org"}, KEY),
        (malformed, BODY, "x" * 201),
    ):
        # The test client has read the request body; the validator gets an unread copy.
        request = EnvironBuilder(
            method="POST", path=url(event), json=body, headers={"Idempotency-Key": key}
        ).get_request()
        openapi.validate_response(
            WerkzeugOpenAPIRequest(request), WerkzeugOpenAPIResponse(response)
        )


def test_the_openapi_document_describes_the_header(client):
    document = client.get("/api/v1/openapi.json").get_json()
    operation = document["paths"]["/events/{slug}/registrations"]["post"]
    [header] = [p for p in operation["parameters"] if p["in"] == "header"]
    assert header["name"] == "Idempotency-Key"
    assert header["required"] is False
    assert header["schema"]["maxLength"] == 200
    assert "Idempotent-Replayed" in operation["responses"]["201"]["headers"]


# --- many requests with one key at once, against a real multi-worker server -----------------

CLIENTS = 30


def with_key(base: str, slug: str, body: dict, key: str = KEY):
    headers = {"Content-Type": "application/json", "Idempotency-Key": key}
    data = json.dumps(body).encode()
    return lambda: post(f"{base}/api/v1/events/{slug}/registrations", data, headers)


@pytest.mark.slow
def test_one_key_sent_thirty_times_at_once_makes_one_registration(live_server, make_event):
    event = make_event()
    calls = [with_key(live_server, event.slug, BODY) for _ in range(CLIENTS)]
    let_the_server_write()

    answers = all_at_once(calls)

    assert [status for status, _ in answers] == [201] * CLIENTS
    [registration] = registrations_of(event)
    assert {json.loads(body)["id"] for _, body in answers} == {registration.id}
    assert {json.loads(body)["manage_url"] for _, body in answers} == {
        f"{live_server}/registrations/{registration.manage_token}"
    }


@pytest.mark.slow
def test_one_key_with_two_bodies_at_once_registers_only_one_of_them(live_server, make_event):
    event = make_event()
    other = {**BODY, "email": "zweite@example.org"}
    calls = [with_key(live_server, event.slug, BODY if n % 2 else other) for n in range(CLIENTS)]
    let_the_server_write()

    answers = all_at_once(calls)

    [registration] = registrations_of(event)
    winners = [json.loads(body) for status, body in answers if status == 201]
    losers = [json.loads(body) for status, body in answers if status != 201]
    # Everyone who sent the winning body gets its registration; the others get 422.
    assert len(winners) == CLIENTS // 2
    assert {w["id"] for w in winners} == {registration.id}
    assert {w["email"] for w in winners} == {registration.email}
    assert len(losers) == CLIENTS // 2
    assert {loser["error"]["code"] for loser in losers} == {"idempotency_key_reused"}
