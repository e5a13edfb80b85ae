"""One domain error family: services refuse without HTTP, the API answers in one shape."""

from __future__ import annotations

import pytest
from support import api_error, api_headers

from eventapp.checkin.services import InvalidList, SearchTooShort
from eventapp.domain import Conflict, DomainError, EventNotFound, Forbidden, NotFound
from eventapp.errors import http_status
from eventapp.feeds.services import UnknownTrack
from eventapp.models import EventStatus
from eventapp.programme.editing import AdminError
from eventapp.registration.errors import (
    DuplicateRegistration,
    EventFull,
    InvalidRegistration,
    OverlappingSessions,
)
from eventapp.registration.idempotency import IdempotencyKeyReused

EN = {"Accept-Language": "en"}
BODY = {
    "first_name": "Anna",
    "last_name": "Berg",
    "email": "a@example.org",
    "consent_privacy": True,
}


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (InvalidRegistration("x"), 422),
        (OverlappingSessions("x"), 422),
        (IdempotencyKeyReused("x"), 422),
        (EventFull("x"), 409),
        (DuplicateRegistration("x"), 409),
        (Conflict("x"), 409),
        (NotFound("x"), 404),
        (Forbidden("x"), 403),
        (InvalidList("x"), 422),
        (AdminError("x", "slug"), 422),
        (DomainError("x"), 422),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, Exception) else str(value),
)
def test_the_status_of_a_domain_error_follows_its_kind(error, status):
    assert not hasattr(error, "status")  # services carry no HTTP
    assert http_status(error) == status


def test_every_feature_error_belongs_to_the_one_family(app):
    with app.test_request_context():
        errors = [EventNotFound(), SearchTooShort(), UnknownTrack(3), AdminError("x")]
    assert all(isinstance(error, DomainError) for error in errors)
    assert [error.code for error in errors] == [
        "event_not_found",
        "query_too_short",
        "track_not_found",
        "refused",
    ]


def test_a_field_error_lists_its_field():
    error = AdminError("Taken.", "slug")
    assert error.fields == {"slug": "Taken."}


def test_an_unknown_event_is_phrased_the_same_on_every_api_route(client, make_user, make_event):
    draft = make_event(slug="entwurf", status=EventStatus.DRAFT)
    headers = {**api_headers(make_user()), **EN}
    answers = [
        client.get("/api/v1/events/gibt-es-nicht", headers=EN),
        client.get(f"/api/v1/events/{draft.slug}", headers=EN),
        client.post("/api/v1/events/gibt-es-nicht/registrations", json=BODY, headers=EN),
        client.get("/api/v1/events/gibt-es-nicht/checkin/status", headers=headers),
        client.get("/api/v1/events/gibt-es-nicht/checkin/search?q=anna", headers=headers),
        client.get("/api/v1/events/gibt-es-nicht/registrations", headers=headers),
        client.post(
            "/api/v1/checkin/redeem", json={"code": "abc", "event": "nope"}, headers=headers
        ),
    ]
    assert {response.status_code for response in answers} == {404}
    assert {(api_error(r)["code"], api_error(r)["message"]) for r in answers} == {
        ("event_not_found", "There is no event at this address.")
    }


def test_a_wrong_body_to_an_unknown_event_is_404_not_422(client, make_user):
    """The address is checked before the body, as it was before requests had models."""
    headers = {**api_headers(make_user()), **EN}
    answers = [
        client.post("/api/v1/events/gibt-es-nicht/registrations", json=[1], headers=EN),
        client.post("/api/v1/events/gibt-es-nicht/registrations", json={}, headers=EN),
        client.get("/api/v1/events/gibt-es-nicht/registrations?page=0", headers=headers),
    ]
    assert [response.status_code for response in answers] == [404, 404, 404]
    assert {api_error(r)["code"] for r in answers} == {"event_not_found"}


def test_api_messages_follow_the_language_asked_for(client, make_event):
    url = f"/api/v1/events/{make_event().slug}/registrations"
    german, english = (
        client.post(url, json=[1], headers={"Accept-Language": language})
        for language in ("de", "en")
    )
    assert german.status_code == english.status_code == 422
    assert api_error(english)["message"] == "The body must be a JSON object."
    assert api_error(german)["message"] == "Der Inhalt der Anfrage muss ein JSON-Objekt sein."
