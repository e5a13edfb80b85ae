"""Never a 500 from the JSON API: requests generated from its OpenAPI document, valid or not."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import api_headers

# Modest and repeatable: the suite runs on SQLite and PostgreSQL on a small machine.
ROBUST = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Text that breaks naive code: NUL, lone surrogates are not encodable, so keep to valid
# code points, but include control characters, right-to-left marks, emoji and long runs.
nasty_text = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        [
            "",
            " ",
            "\x00",
            "a\x00b",
            "\u202e\u0645\u0631\u062d\u0628\u0627",
            "💥" * 50,
            "x" * 5000,
            "' OR 1=1 --",
            "<script>alert(1)</script>",
            "%00",
            "../../etc/passwd",
            "NaN",
            "-1",
            "0",
            "99999999999999999999999",
            "entrance",
        ]
    ),
)
huge_int = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, -1, 2**31, 2**63, -(2**63) - 1, 10**30]),
)
json_scalar = st.one_of(st.none(), st.booleans(), huge_int, st.floats(allow_nan=False), nasty_text)
json_value = st.recursive(
    json_scalar,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=10,
)


def typed_value(schema: dict[str, Any], components: dict[str, Any]) -> st.SearchStrategy:
    """A value near the schema's type (the likely bugs are there), or anything at all."""
    if "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[1]]
    if "oneOf" in schema:
        return st.one_of([typed_value(s, components) for s in schema["oneOf"]])
    kinds = schema.get("type", [])
    kinds = kinds if isinstance(kinds, list) else [kinds]
    options: list[st.SearchStrategy] = [json_value]
    if "enum" in schema:
        options.append(st.sampled_from(schema["enum"]))
    if "const" in schema:
        options.append(st.just(schema["const"]))
    for kind in kinds:
        if kind == "string":
            options += [nasty_text, nasty_text.map(lambda t: t + "@example.org")]
        elif kind == "integer":
            options.append(huge_int)
        elif kind == "boolean":
            options.append(st.booleans())
        elif kind == "array":
            options.append(st.lists(typed_value(schema.get("items", {}), components), max_size=5))
        elif kind == "object":
            options.append(body_for(schema, components))
    return st.one_of(options)


def body_for(schema: dict[str, Any], components: dict[str, Any]) -> st.SearchStrategy:
    """An object with some of the schema's properties, each near its type."""
    if "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[1]]
    properties = schema.get("properties", {})
    return st.fixed_dictionaries(
        {},
        optional={name: typed_value(p, components) for name, p in properties.items()},
    )


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]


@st.composite
def api_requests(draw, document: dict[str, Any], slugs: list[str]) -> dict[str, Any]:
    """One request: method, path with parameters, query string, body, authorization."""
    components = document["components"]["schemas"]
    method, path, operation = draw(st.sampled_from(operations(document)))
    query: dict[str, Any] = {}
    for parameter in operation.get("parameters", []):
        value = draw(st.one_of(typed_value(parameter["schema"], components), nasty_text))
        if parameter["in"] == "path":
            value = draw(st.sampled_from(slugs)) if draw(st.booleans()) else value
            text = value if isinstance(value, str) else json.dumps(value)
            path = path.replace("{" + parameter["name"] + "}", quote(text, safe="") or "x")
        elif draw(st.booleans()):
            query[parameter["name"]] = value if isinstance(value, str) else json.dumps(value)
    body = None
    raw = None
    schema = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
    if schema:
        shape = draw(st.sampled_from(["schema", "any", "raw"]))
        if shape == "schema":
            body = draw(body_for(schema["schema"], components))
        elif shape == "any":
            body = draw(json_value)
        else:
            raw = draw(
                st.one_of(
                    st.binary(max_size=64),
                    st.sampled_from([b"", b"{", b"[1,", b'{"a": NaN}', b"\xff\xfe", b"null"]),
                )
            )
    return {
        "method": method,
        "path": "/api/v1" + path,
        "query": query,
        "body": body,
        "raw": raw,
        "authorized": draw(st.booleans()),
    }


@pytest.fixture
def document(client) -> dict[str, Any]:
    return client.get("/api/v1/openapi.json").get_json()


def assert_no_server_error(response, request: dict[str, Any]) -> None:
    assert response.status_code < 500, (request, response.get_data(as_text=True)[:300])
    if response.status_code >= 400:
        error = response.get_json()["error"]
        assert isinstance(error["code"], str) and error["code"], request
        assert isinstance(error["message"], str), request


def send(client, request: dict[str, Any], headers: dict[str, str]):
    kwargs: dict[str, Any] = {"query_string": request["query"], "method": request["method"]}
    if request["raw"] is not None:
        kwargs["data"] = request["raw"]
        kwargs["content_type"] = "application/json"
    elif request["body"] is not None:
        kwargs["json"] = request["body"]
    return client.open(request["path"], headers=headers, **kwargs)


@pytest.mark.parametrize("role", ["admin", "checkin"])
def test_no_api_request_gets_a_server_error(app, client, populated, document, role):
    user = populated.admin if role == "admin" else populated.checkin
    headers = api_headers(user)
    slugs = [populated.event.slug, "unknown-event"]

    @ROBUST
    @given(request=api_requests(document, slugs))
    def check(request):
        response = send(client, request, headers if request["authorized"] else {})
        assert_no_server_error(response, request)

    check()


@ROBUST
@given(
    header=st.one_of(
        st.text(max_size=60).map(lambda t: "Bearer " + t),
        st.text(max_size=60),
        st.just("Bearer " + "a" * 10_000),
    )
)
def test_any_authorization_header_gets_401_not_500(app, populated, header):
    # Non-latin-1 characters cannot travel in a header; the server never sees them.
    header = (
        header.encode("latin-1", "replace").decode("latin-1").replace("\r", "").replace("\n", "")
    )
    client = app.test_client()
    response = client.get(
        f"/api/v1/events/{populated.event.slug}/checkin/status",
        headers={"Authorization": header},
    )
    # NUL is refused as malformed before anything else looks at the request.
    assert response.status_code == (400 if "\x00" in header else 401)
    assert response.get_json()["error"]["code"]


def test_known_edge_cases_of_the_api(client, populated):
    """Cases found worth keeping, each once, independently of the random draws."""
    headers = api_headers(populated.admin)
    slug = populated.event.slug
    cases = [
        ("POST", "/api/v1/checkin/redeem", {"code": "a\x00b", "event": slug}),
        ("POST", "/api/v1/checkin/redeem", {"code": "x", "event": "a\x00"}),
        ("POST", "/api/v1/checkin/redeem", {"code": "x", "event": slug, "list": 2**70}),
        ("POST", "/api/v1/checkin/annul", {"code": "x", "event": slug, "list": "9" * 30}),
        ("POST", "/api/v1/checkin/redeem", {"code": ["x"], "event": {"a": 1}}),
        ("POST", f"/api/v1/events/{slug}/registrations", {"session_ids": [2**70]}),
        (
            "POST",
            f"/api/v1/events/{slug}/registrations",
            {
                "first_name": "A\x00",
                "last_name": "B",
                "email": "nul@example.org",
                "consent_privacy": True,
                "session_ids": [2**63],
            },
        ),
        ("POST", "/api/v1/checkin/redeem", {"code": "x", "event": slug, "list": "\u00b2"}),
        ("POST", "/api/v1/checkin/redeem", {"code": "x", "event": slug, "list": "9" * 12}),
        ("GET", f"/api/v1/events/{slug}/registrations?page=%C2%B2", None),
        ("GET", f"/api/v1/events/{slug}/checkin/search?q=%00", None),
        ("GET", f"/api/v1/events/{slug}/registrations?page=99999999999999999999", None),
        ("GET", f"/api/v1/events/{slug}/registrations?per_page=0&page=-1", None),
        ("GET", "/api/v1/events/%00", None),
        ("GET", f"/api/v1/events/{slug}?x=%00", None),
        ("POST", "/api/v1/checkin/redeem", {"code\x00": "x", "event": slug}),
        ("GET", "/api/v1/events/" + "x" * 3000, None),
    ]
    for method, path, body in cases:
        response = client.open(path, method=method, json=body, headers=headers)
        assert_no_server_error(response, {"path": path, "body": body})


def test_nul_bytes_are_refused_as_malformed_and_store_nothing(client, populated):
    from support import count

    from eventapp.models import Registration

    before = count(Registration)
    body = {
        "first_name": "Anna\x00",
        "last_name": "Beispiel",
        "email": "anna@example.org",
        "consent_privacy": True,
    }
    response = client.post(f"/api/v1/events/{populated.event.slug}/registrations", json=body)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_request"
    assert count(Registration) == before
    assert client.post("/login", data={"email": "a\x00@example.org"}).status_code == 400


def test_ids_no_column_can_hold_are_simply_not_found(admin_client):
    assert admin_client.get("/admin/events/2147483648/").status_code == 404
    assert admin_client.get("/admin/registrations/99999999999999999999").status_code == 404
