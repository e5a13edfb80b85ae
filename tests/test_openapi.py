"""The OpenAPI document at /api/v1/openapi.json stays true to the routes and the responses."""

from __future__ import annotations

import json
import re

import pytest
from clock import CONGRESS_DATE
from openapi_core import OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from openapi_core.validation.response.exceptions import InvalidData
from openapi_spec_validator import validate as validate_spec

from eventapp.api.openapi import build_document
from eventapp.api.spec import ResponseDoesNotMatchDocument
from eventapp.demo.services import load_demo
from eventapp.extensions import db

API_PREFIX = "/api/v1"
IGNORED_METHODS = {"HEAD", "OPTIONS"}
CONVERTER = re.compile(r"<(?:[a-z_]+(?:\([^)]*\))?:)?(\w+)>")


def api_operations(app) -> set[tuple[str, str]]:
    """(OpenAPI path, method) of every route under /api/v1, from the URL map itself."""
    operations = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(API_PREFIX + "/"):
            continue
        path = CONVERTER.sub(r"{\1}", rule.rule[len(API_PREFIX) :])
        for method in rule.methods - IGNORED_METHODS:
            operations.add((path, method.lower()))
    return operations


def documented_operations(document: dict) -> set[tuple[str, str]]:
    methods = {"get", "put", "post", "delete", "patch"}
    return {
        (path, method)
        for path, item in document["paths"].items()
        for method in item
        if method in methods
    }


@pytest.fixture
def document(client) -> dict:
    response = client.get(f"{API_PREFIX}/openapi.json")
    assert response.status_code == 200
    return response.get_json()


@pytest.fixture
def openapi(document) -> OpenAPI:
    return OpenAPI.from_dict(document)


def assert_valid(openapi: OpenAPI, response) -> None:
    openapi.validate_response(
        WerkzeugOpenAPIRequest(response.request), WerkzeugOpenAPIResponse(response)
    )


def test_every_api_route_and_method_is_documented(app, document):
    routes = api_operations(app)

    assert ("/events/{slug}", "get") in routes  # the walk sees converters and methods
    missing = routes - documented_operations(document)
    assert not missing, f"routes missing from the OpenAPI document: {sorted(missing)}"


def test_document_describes_no_route_that_does_not_exist(app, document):
    phantom = documented_operations(document) - api_operations(app)

    assert not phantom, f"documented but not routed: {sorted(phantom)}"


def test_document_is_a_valid_openapi_3_1_document(document):
    assert document["openapi"].startswith("3.1")
    validate_spec(document)
    OpenAPI.from_dict(document)  # openapi-core checks it too


def test_document_has_the_shared_components(document):
    schemas = document["components"]["schemas"]
    for name in ("Error", "Event", "EventDetail", "Session", "Track", "Speaker"):
        assert name in schemas, name
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_organizer_operations_document_401_and_403(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if operation.get("security"):
                assert {"401", "403"} <= set(operation["responses"]), (method, path)


def test_document_is_assembled_from_the_same_pieces_as_served(app, document):
    assert build_document() == document


def test_events_list_matches_the_document(app, client, openapi):
    load_demo(CONGRESS_DATE)
    db.session.commit()

    response = client.get(f"{API_PREFIX}/events")

    assert response.status_code == 200
    assert len(response.get_json()) >= 3
    assert_valid(openapi, response)


def test_event_detail_matches_the_document(app, client, openapi):
    load_demo(CONGRESS_DATE)
    db.session.commit()

    response = client.get(f"{API_PREFIX}/events/fachkongress-buerstadt")

    assert response.status_code == 200
    assert len(response.get_json()["sessions"]) > 10
    assert_valid(openapi, response)


def test_event_detail_with_nulls_matches_the_document(client, openapi, make_programme):
    make_programme(slug="ohne-grenze", capacity=None, registration_opens_at=None)

    response = client.get(f"{API_PREFIX}/events/ohne-grenze")

    assert response.status_code == 200
    assert response.get_json()["seats_left"] is None
    assert_valid(openapi, response)


def test_not_found_error_matches_the_document(client, openapi):
    response = client.get(f"{API_PREFIX}/events/gibt-es-nicht")

    assert response.status_code == 404
    assert_valid(openapi, response)


def test_an_answer_that_drifts_from_its_model_is_refused(client, make_event, monkeypatch):
    # Guards the guard: the declared models check every answer the API gives.
    from eventapp.api import events

    make_event(slug="kongress")
    original = events.event_json
    monkeypatch.setattr(
        events, "event_json", lambda event, *rest: {**original(event, *rest), "extra": 1}
    )

    with pytest.raises(ResponseDoesNotMatchDocument, match="extra"):
        client.get(f"{API_PREFIX}/events")


def test_production_sends_answers_unchecked(app, client, make_event, monkeypatch):
    # Outside tests and debug mode the answer is not parsed again: the tests above prove
    # the models, and the check cost a fifth of a cached event document's time.
    from eventapp.api import events

    make_event(slug="kongress")
    original = events.event_json
    monkeypatch.setattr(
        events, "event_json", lambda event, *rest: {**original(event, *rest), "extra": 1}
    )
    app.config["TESTING"] = False

    response = client.get(f"{API_PREFIX}/events")

    assert response.status_code == 200
    assert response.get_json()[0]["extra"] == 1


def test_validation_catches_an_undocumented_field(client, openapi, make_event):
    # The document itself, read by an independent validator, is closed as well.
    make_event(slug="kongress")
    response = client.get(f"{API_PREFIX}/events")
    drifted = response.get_json()
    drifted[0]["extra"] = 1
    response.set_data(json.dumps(drifted))

    with pytest.raises(InvalidData) as failure:
        assert_valid(openapi, response)
    assert "extra" in str(failure.value.__cause__)


def test_openapi_document_response_matches_itself(client, openapi):
    response = client.get(f"{API_PREFIX}/openapi.json")

    assert_valid(openapi, response)
