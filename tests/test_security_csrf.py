"""CSRF: every form that changes something refuses a POST without the token, and changes nothing."""

from __future__ import annotations

import pytest
from support import PASSWORD, api_headers, csrf_token_in, login_with_csrf

from eventapp.extensions import db

CSRF_MESSAGE = "was not sent from this site"


@pytest.fixture
def config_overrides():
    return {"WTF_CSRF_ENABLED": True}


def row_counts() -> dict[str, int]:
    """Rows per table, to prove that a refused request wrote nothing."""
    db.session.expire_all()
    return {
        table.name: db.session.execute(db.select(db.func.count()).select_from(table)).scalar_one()
        for table in db.metadata.sorted_tables
    }


def form_posts(app) -> list:
    """Every rule taking POST outside the bearer-token API."""
    return [
        rule
        for rule in app.url_map.iter_rules()
        if "POST" in rule.methods and not rule.rule.startswith("/api/v1")
    ]


def plausible_data(populated) -> dict[str, str]:
    """Field values that the forms would accept, so only the missing token is wrong."""
    return {
        "email": populated.admin.email,
        "password": PASSWORD,
        "first_name": "Anna",
        "last_name": "Beispiel",
        "consent_privacy": "y",
        "lang": "en",
        "next": "/",
        "name": "Neuer Name",
        "title": "Neuer Titel",
        "confirm": "y",
        "subject": "Betreff",
        "body": "Text",
        "registration_id": str(populated.confirmed.id),
        "list": "entrance",
    }


def test_there_are_forms_to_check(app, populated):
    endpoints = {rule.endpoint for rule in form_posts(app)}
    # A guard against a walk that silently checks nothing.
    assert {"accounts.login", "registration.register", "registration.cancel"} <= endpoints
    assert {"admin.event_edit", "checkin.undo", "i18n.switch_language"} <= endpoints


def test_every_form_post_without_token_is_refused_and_changes_nothing(app, populated, route_path):
    client = app.test_client()
    login_with_csrf(client, populated.admin)
    data = plausible_data(populated)
    refused = []
    for rule in form_posts(app):
        path = route_path(rule)
        before = row_counts()
        response = client.post(path, data=data, headers={"Accept-Language": "en"})
        assert response.status_code == 400, (path, response.status_code)
        assert CSRF_MESSAGE in response.get_data(as_text=True), path
        assert row_counts() == before, path
        refused.append(path)
    # Still logged in: the refused logout did not log out.
    assert client.get("/admin/").status_code == 200
    assert len(refused) == len(form_posts(app))


def test_anonymous_form_posts_without_token_are_refused(app, populated, route_path):
    client = app.test_client()
    data = plausible_data(populated)
    for rule in form_posts(app):
        before = row_counts()
        response = client.post(route_path(rule), data=data)
        assert response.status_code == 400, rule.rule
        assert row_counts() == before, rule.rule


def test_a_token_from_another_session_is_refused(app, populated):
    stranger = app.test_client()
    foreign_token = csrf_token_in(stranger.get("/login").get_data(as_text=True))
    client = app.test_client()
    before = row_counts()
    response = client.post(
        f"/events/{populated.event.slug}/register",
        data={**plausible_data(populated), "csrf_token": foreign_token},
    )
    assert response.status_code == 400
    assert row_counts() == before


def test_the_registration_form_works_with_its_token(app, populated):
    client = app.test_client()
    path = f"/events/{populated.event.slug}/register"
    token = csrf_token_in(client.get(path).get_data(as_text=True))
    before = row_counts()
    data = {**plausible_data(populated), "email": "anna@example.org", "csrf_token": token}
    response = client.post(path, data=data)
    assert response.status_code == 303
    assert row_counts()["registration"] == before["registration"] + 1


class TestSessionCookieApiCalls:
    """The scanner page calls the API with the session cookie: writes need X-CSRFToken."""

    def body(self, populated) -> dict[str, str]:
        return {
            "code": populated.confirmed.ticket_code,
            "event": populated.event.slug,
            "list": "entrance",
        }

    @pytest.mark.parametrize("endpoint", ["/api/v1/checkin/redeem", "/api/v1/checkin/annul"])
    def test_cookie_write_without_header_is_refused(self, app, populated, endpoint):
        client = app.test_client()
        login_with_csrf(client, populated.checkin)
        before = row_counts()
        response = client.post(endpoint, json=self.body(populated))
        assert response.status_code == 400
        assert response.get_json()["error"]["code"] == "csrf_failed"
        assert row_counts() == before

    def test_cookie_write_with_wrong_header_is_refused(self, app, populated):
        client = app.test_client()
        login_with_csrf(client, populated.checkin)
        before = row_counts()
        response = client.post(
            "/api/v1/checkin/redeem",
            json=self.body(populated),
            headers={"X-CSRFToken": "forged"},
        )
        assert response.status_code == 400
        assert row_counts() == before

    def test_cookie_write_with_header_token_works(self, app, populated):
        client = app.test_client()
        token = login_with_csrf(client, populated.checkin)
        response = client.post(
            "/api/v1/checkin/redeem", json=self.body(populated), headers={"X-CSRFToken": token}
        )
        assert response.status_code == 200
        assert response.get_json()["status"] == "ok"

    def test_cookie_reads_need_no_header(self, app, populated):
        client = app.test_client()
        login_with_csrf(client, populated.checkin)
        slug = populated.event.slug
        assert client.get(f"/api/v1/events/{slug}/checkin/status").status_code == 200

    def test_bearer_writes_need_no_csrf_token(self, app, populated):
        headers = api_headers(populated.checkin)
        response = app.test_client().post(
            "/api/v1/checkin/redeem", json=self.body(populated), headers=headers
        )
        assert response.status_code == 200
        assert response.get_json()["status"] == "ok"

    def test_the_public_registration_api_takes_no_cookie_authority(self, app, populated):
        """CSRF-exempt, but it acts for nobody: a logged-in admin's cookie changes nothing."""
        client = app.test_client()
        login_with_csrf(client, populated.admin)
        response = client.get(f"/api/v1/events/{populated.event.slug}/registrations")
        # Reading organizer data with the cookie works (GET, same-site only by SameSite=Lax) ...
        assert response.status_code == 200
        # ... and a form-encoded cross-site POST to the public API is not read as JSON.
        before = row_counts()
        response = client.post(
            f"/api/v1/events/{populated.event.slug}/registrations",
            data={"first_name": "A", "last_name": "B", "email": "x@example.org"},
        )
        assert 400 <= response.status_code < 500
        assert row_counts() == before
