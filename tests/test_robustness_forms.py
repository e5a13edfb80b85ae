"""Never a 500 from the HTML side: random, huge, unicode and malformed form posts and query args."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

import pytest
from clock import CONGRESS_YEAR
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import login

# Few examples per route, many routes: together a few hundred requests, repeatable.
ROBUST = settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

QUERY_NAMES = [
    "track",
    "page",
    "q",
    "lang",
    "status",
    "workshop",
    "sector",
    "list",
    "download",
    "next",
    "sep",
    "object_type",
    "user",
]
nasty = st.one_of(
    st.text(max_size=20),
    st.sampled_from(
        [
            "",
            "\x00",
            "a\x00",
            "\u00b2",
            "\u0663",
            "-1",
            "0",
            "1",
            "2",
            "3",
            "99999999999999999999999999",
            "2147483648",
            "1e9",
            "NaN",
            "x" * 20_000,
            "\u202e\u0627\u0644\u0639\u0631\u0628\u064a\u0629",
            "😀" * 40,
            "<b>&amp;</b>",
            "' OR '1'='1",
            f"{CONGRESS_YEAR}-05-16T10:00",
            "2027-02-30T25:61",
            "9999-12-31T23:59",
            "0001-01-01T00:00",
            "#ff0000",
            "#zzzzzz",
            "y",
            "on",
            "de",
            "en",
            "entrance",
            "confirmed",
            "waitlisted",
            "//evil.example",
        ]
    ),
)


def form_field_names(html: str) -> set[str]:
    return set(re.findall(r'<(?:input|select|textarea|button)\b[^>]*\bname="([^"]+)"', html))


@pytest.fixture
def admin_browser(app, populated):
    client = app.test_client()
    login(client, populated.admin)
    return client


@pytest.fixture
def field_names(app, admin_browser, route_path) -> list[str]:
    """Every field name that a form of the site (as an admin sees it) uses, and some more."""
    names = {"csrf_token", "submit", "confirm", "extra", "session_ids", "slot_0", "slot_1"}
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and rule.endpoint != "static":
            response = admin_browser.get(route_path(rule))
            if response.mimetype == "text/html":
                names |= form_field_names(response.get_data(as_text=True))
            response.close()
    return sorted(names)


def post_rules(app) -> list[str]:
    # Logging out would only make the rest of the run anonymous; it has its own tests.
    return sorted(
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if "POST" in rule.methods
        and not rule.rule.startswith("/api/")
        and rule.endpoint != "accounts.logout"
    )


def get_rules(app) -> list[str]:
    return sorted(
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods and rule.endpoint not in {"static", "public.healthz"}
    )


def rule_of(app, endpoint: str):
    return next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)


def assert_no_server_error(response, what: Any) -> None:
    assert response.status_code < 500, (what, response.status_code)
    response.close()


def test_the_route_lists_are_not_empty(app):
    assert {"registration.register", "accounts.login", "admin.session_create"} <= set(
        post_rules(app)
    )
    assert len(get_rules(app)) > 30


@pytest.mark.parametrize("anonymous", [False, True], ids=["admin", "anonymous"])
def test_no_form_post_gets_a_server_error(
    app, populated, route_path, admin_browser, field_names, anonymous
):
    client = app.test_client() if anonymous else admin_browser
    ids = [str(populated.workshop.id), str(populated.track.id), str(populated.confirmed.id)]
    values = st.one_of(nasty, st.sampled_from(ids), st.lists(nasty, max_size=3))
    endpoints = post_rules(app)

    @given(
        endpoint=st.sampled_from(endpoints),
        data=st.dictionaries(
            st.one_of(st.sampled_from(field_names), st.text(max_size=10)), values, max_size=12
        ),
    )
    def check(endpoint, data):
        response = client.post(route_path(rule_of(app, endpoint)), data=data)
        assert_no_server_error(response, (endpoint, data))

    # More examples than the profile: one draw covers one route of many.
    settings(ROBUST, max_examples=250)(check)()


@pytest.mark.parametrize("endpoint", ["registration.register", "accounts.login"])
def test_public_forms_survive_every_field_mangled(app, populated, route_path, endpoint):
    """The two forms anyone can post, with each of their fields given nasty values."""
    client = app.test_client()
    path = route_path(rule_of(app, endpoint))
    names = sorted(form_field_names(client.get(path).get_data(as_text=True)))

    @given(data=st.fixed_dictionaries({}, optional=dict.fromkeys(names, nasty)))
    def check(data):
        assert_no_server_error(client.post(path, data=data), data)

    settings(ROBUST, max_examples=60)(check)()


def test_manage_pages_survive_mangled_posts(app, populated, route_path):
    client = app.test_client()
    token = populated.confirmed.manage_token

    @given(
        endpoint=st.sampled_from(["registration.change_workshops", "registration.cancel"]),
        data=st.dictionaries(
            st.sampled_from(["slot_0", "slot_1", "slot_2", "confirm", "csrf_token"]),
            st.one_of(nasty, st.just(str(populated.workshop.id))),
        ),
    )
    def check(endpoint, data):
        path = route_path(rule_of(app, endpoint), token=token)
        assert_no_server_error(client.post(path, data=data), (endpoint, data))

    settings(ROBUST, max_examples=40)(check)()


@pytest.mark.parametrize("anonymous", [False, True], ids=["admin", "anonymous"])
def test_no_query_string_gets_a_server_error(app, populated, route_path, admin_browser, anonymous):
    client = app.test_client() if anonymous else admin_browser
    endpoints = get_rules(app)

    @given(
        endpoint=st.sampled_from(endpoints),
        query=st.dictionaries(
            st.one_of(st.sampled_from(QUERY_NAMES), st.text(max_size=8)), nasty, max_size=4
        ),
    )
    def check(endpoint, query):
        # A path may come with a query of its own (the search's ``q``); the drawn one adds to it.
        path, _, own_query = route_path(rule_of(app, endpoint)).partition("?")
        response = client.get(path, query_string={**dict(parse_qsl(own_query)), **query})
        assert_no_server_error(response, (endpoint, query))

    settings(ROBUST, max_examples=300)(check)()


@ROBUST
@given(value=nasty, next_path=nasty)
def test_language_switch_takes_anything(app, value, next_path):
    response = app.test_client().post("/language", data={"lang": value, "next": next_path})
    assert response.status_code in (302, 400)


def test_known_edge_cases_of_the_pages(app, populated, admin_browser):
    """Cases found worth keeping, each once, independently of the random draws."""
    event = populated.event
    huge = "9" * 25
    gets = [
        f"/events/{event.slug}?track=%C2%B2",
        f"/events/{event.slug}/calendar.ics?track=%C2%B2",
        f"/events/{event.slug}/calendar.ics?track={huge}",
        f"/events/{event.slug}/sessions/{huge}",
        f"/events/{event.slug}/speakers/{huge}",
        f"/events/{event.slug}/sessions/{huge}.ics",
        f"/admin/events/{huge}/",
        "/admin/events/2147483648/edit",
        f"/admin/registrations/{huge}",
        f"/admin/sessions/{huge}/attendance.csv",
        f"/admin/events/{event.id}/registrations?page={huge}",
        f"/admin/events/{event.id}/registrations?page=%C2%B2",
        f"/admin/events/{event.id}/registrations?workshop={huge}",
        f"/admin/audit?page={huge}&object_type=%00",
        f"/checkin/{event.slug}/log?list={huge}",
        f"/checkin/{event.slug}/log?list=%C2%B2",
        f"/admin/events/{event.id}/checkin-list.csv?sep=%00",
        "/?q=%00&lang=%00",
        "/tickets/%00",
        "/registrations/%00",
        "/calendar/%00.ics",
    ]
    for path in gets:
        assert_no_server_error(admin_browser.get(path), path)
    posts = [
        ("/admin/outbox/retry", {"message_id": huge}),
        (f"/admin/registrations/{populated.waitlisted.id}/promote", {"session_id": huge}),
        (
            f"/admin/registrations/{populated.confirmed.id}/move",
            {"from_session_id": huge, "to_session_id": "\u00b2"},
        ),
        (f"/checkin/{event.slug}/undo", {"registration_id": huge, "list": huge}),
        (f"/admin/events/{event.id}/sessions/new", {"capacity": huge, "speaker_ids": huge}),
        (f"/admin/events/{event.id}/tracks/new", {"name": "T", "position": huge}),
        (f"/events/{event.slug}/register", {"slot_0": huge, "first_name": "\x00"}),
    ]
    for path, data in posts:
        assert_no_server_error(admin_browser.post(path, data=data), (path, data))
