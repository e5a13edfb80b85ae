"""Organizer accounts: login, logout, roles, rate limits."""

from __future__ import annotations

import pytest
from support import PASSWORD, csrf_token_in

from eventapp.extensions import db
from eventapp.models import Role, User


def login(client, email, password=PASSWORD, **extra):
    return client.post("/login", data={"email": email, "password": password, **extra})


def test_login_with_right_password_starts_a_session(client, make_user):
    user = make_user(Role.CHECKIN)
    response = login(client, user.email)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/checkin/")
    assert client.get("/checkin/").status_code == 200
    assert db.session.get(User, user.id).last_login_at is not None


def test_login_accepts_email_in_other_case(client, make_user):
    user = make_user(Role.CHECKIN)
    assert login(client, "  " + user.email.upper()).status_code == 302


def test_wrong_password_or_unknown_email_is_refused(client, make_user):
    user = make_user(Role.ADMIN)
    assert login(client, user.email, "wrong password").status_code == 401
    assert login(client, "nobody@example.org").status_code == 401
    assert client.get("/checkin/").status_code == 302


def test_inactive_user_cannot_log_in(client, make_user):
    user = make_user(Role.ADMIN, active=False)
    assert login(client, user.email).status_code == 401


def test_empty_login_form_is_an_error_not_a_crash(client):
    assert client.post("/login", data={}).status_code == 422


def test_login_redirects_to_safe_next_only(client, make_user):
    user = make_user(Role.CHECKIN)
    response = login(client, user.email, next="/checkin/")
    assert response.headers["Location"] == "/checkin/"
    client.post("/logout")
    response = login(client, user.email, next="https://evil.example/")
    assert "evil" not in response.headers["Location"]
    client.post("/logout")
    response = login(client, user.email, next="//evil.example/")
    assert "evil" not in response.headers["Location"]


def test_anonymous_visitor_is_sent_to_login_with_next(client):
    response = client.get("/checkin/")
    assert response.status_code == 302
    assert "/login?next=" in response.headers["Location"]


def test_logout_by_post_ends_session(client, make_user):
    user = make_user(Role.CHECKIN)
    login(client, user.email)
    page = client.get("/logout")
    assert page.status_code == 200
    assert b'id="logout-form"' in page.data
    # GET does not log out
    assert client.get("/checkin/").status_code == 200
    assert client.post("/logout").status_code == 302
    assert client.get("/checkin/").status_code == 302


def test_logout_page_without_session_goes_to_login(client):
    response = client.get("/logout")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/login")


@pytest.mark.own_app
class TestRoleRequired:
    @pytest.fixture
    def app(self, app):
        from eventapp.accounts.auth import role_required

        @role_required(Role.ADMIN)
        def admin_only():
            return "secret"

        app.add_url_rule("/_test/admin-only", "test_admin_only", admin_only)
        return app

    def test_wrong_role_gets_403(self, client, make_user):
        user = make_user(Role.CHECKIN)
        login(client, user.email)
        assert client.get("/_test/admin-only").status_code == 403

    def test_right_role_gets_the_page(self, client, make_user):
        user = make_user(Role.ADMIN)
        login(client, user.email)
        response = client.get("/_test/admin-only")
        assert response.status_code == 200
        assert response.data == b"secret"

    def test_anonymous_is_redirected(self, client):
        response = client.get("/_test/admin-only")
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]


class TestCsrf:
    @pytest.fixture
    def config_overrides(self):
        return {"WTF_CSRF_ENABLED": True}

    def test_login_without_csrf_token_is_rejected(self, client, make_user):
        user = make_user(Role.CHECKIN)
        assert login(client, user.email).status_code == 400
        assert client.get("/checkin/").status_code == 302

    def test_login_and_logout_with_csrf_token_work(self, client, make_user):
        user = make_user(Role.CHECKIN)
        token = csrf_token_in(client.get("/login").get_data(as_text=True))
        assert login(client, user.email, csrf_token=token).status_code == 302
        assert client.post("/logout").status_code == 400
        assert client.get("/checkin/").status_code == 200
        token = csrf_token_in(client.get("/logout").get_data(as_text=True))
        assert client.post("/logout", data={"csrf_token": token}).status_code == 302
        assert client.get("/checkin/").status_code == 302


class TestRateLimit:
    @pytest.fixture
    def config_overrides(self):
        return {"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://"}

    def test_login_attempts_are_limited(self, client, make_user):
        user = make_user(Role.CHECKIN)
        # Five wrong passwords from one address for one account, then a wait.
        statuses = [login(client, user.email, "wrong").status_code for _ in range(5)]
        assert statuses == [401] * 5
        response = login(client, user.email)
        assert response.status_code == 429
        # Looking at the form is not limited.
        assert client.get("/login").status_code == 200
