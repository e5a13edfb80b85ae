"""Passwords and tokens: stored as hashes, compared safely; sessions, logout and redirects."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

import pytest
from sqlalchemy import text
from support import PASSWORD, api_headers, csrf_token_in, login_with_csrf

from eventapp.accounts import services
from eventapp.extensions import db
from eventapp.models import ApiToken, Role


def every_stored_value() -> str:
    """All values of all tables as one string, to search for secrets in clear text."""
    db.session.commit()
    values = []
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(text(f'SELECT * FROM "{table.name}"')):
            values.extend(str(v) for v in row)
    return "\n".join(values)


def test_passwords_are_stored_as_salted_slow_hashes(app):
    first = services.create_user("one@example.org", PASSWORD, Role.ADMIN)
    second = services.create_user("two@example.org", PASSWORD, Role.CHECKIN)
    db.session.commit()
    for user in (first, second):
        assert user.password_hash.split(":")[0] in {"scrypt", "pbkdf2"}
    # Salted: the same password gives different hashes.
    assert first.password_hash != second.password_hash
    assert PASSWORD not in every_stored_value()


def test_api_tokens_are_stored_only_as_hashes(app, make_user):
    user = make_user()
    plaintext = services.create_token(user, "Scanner 1")
    db.session.commit()
    stored = every_stored_value()
    assert plaintext not in stored
    # Not even the secret part: only a short prefix is kept to name the token.
    assert plaintext[len(services.TOKEN_PREFIX) :] not in stored
    token = db.session.execute(db.select(ApiToken)).scalar_one()
    assert token.token_hash == services.hash_token(plaintext)
    assert len(token.prefix) <= services.SHOWN_PREFIX_LENGTH


def test_api_tokens_are_long_and_random(app, make_user):
    user = make_user()
    tokens = {services.create_token(user) for _ in range(20)}
    assert len(tokens) == 20
    # 32 random bytes, URL-safe base64 encoded: 256 bits.
    assert all(len(t) - len(services.TOKEN_PREFIX) >= 43 for t in tokens)


def test_registration_secrets_are_random_distinct_and_long(populated):
    registration = populated.confirmed
    values = [registration.manage_token, registration.ticket_code, registration.calendar_token]
    assert len(set(values)) == 3
    for value in values:
        # At least 128 bits of URL-safe base64, not derived from the id.
        assert len(value) >= 22
        assert str(registration.id) != value


def test_an_unknown_email_costs_a_password_check_too(app, monkeypatch):
    """Timing must not tell which emails have accounts: both paths verify a hash."""
    calls = []
    original = services.check_password_hash
    monkeypatch.setattr(services, "check_password_hash", lambda *a: calls.append(a) or original(*a))
    assert services.authenticate("nobody@example.org", "whatever") is None
    assert len(calls) == 1


def test_a_deactivated_account_cannot_use_its_api_token(client, make_user):
    user = make_user(Role.ADMIN)
    headers = api_headers(user)
    assert client.get("/api/v1/events/x/checkin/status", headers=headers).status_code == 404
    user.active = False
    db.session.commit()
    assert client.get("/api/v1/events/x/checkin/status", headers=headers).status_code == 401


class TestSessionCookie:
    def cookie_header(self, client, email: str) -> str:
        response = client.post("/login", data={"email": email, "password": PASSWORD})
        assert response.status_code == 302
        return next(v for v in response.headers.getlist("Set-Cookie") if v.startswith("session="))

    def test_session_cookie_is_http_only_and_same_site_lax(self, client, make_user):
        cookie = self.cookie_header(client, make_user().email)
        assert "HttpOnly" in cookie
        assert "SameSite=Lax" in cookie
        assert "Secure" not in cookie  # the test site is plain http

    def test_session_cookie_is_secure_on_an_https_site(self, make_user, make_app):
        email = make_user().email
        db.session.commit()  # end the read, so that the other app can write
        secure_app = make_app(PUBLIC_BASE_URL="https://events.example.org")
        cookie = self.cookie_header(secure_app.test_client(), email)
        assert "Secure" in cookie


class TestLogout:
    @pytest.fixture
    def config_overrides(self):
        return {"WTF_CSRF_ENABLED": True}

    def test_a_link_to_logout_does_not_log_out(self, client, make_user):
        login_with_csrf(client, make_user())
        assert client.get("/logout").status_code == 200
        assert client.get("/admin/").status_code == 200

    def test_logout_needs_the_token_of_this_session(self, app, make_user):
        user = make_user()
        attacker = app.test_client()
        # A context of its own: the test app's shared ``g`` would hand the token on.
        with app.app_context():
            foreign = csrf_token_in(attacker.get("/login").get_data(as_text=True))
        victim = app.test_client()
        login_with_csrf(victim, user)
        assert victim.post("/logout", data={"csrf_token": foreign}).status_code == 400
        assert victim.get("/admin/").status_code == 200
        own = csrf_token_in(victim.get("/logout").get_data(as_text=True))
        assert victim.post("/logout", data={"csrf_token": own}).status_code == 302
        assert victim.get("/admin/").status_code == 302


OPEN_REDIRECTS = [
    "https://evil.example",
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    " //evil.example",
    "http:/evil.example",
    "javascript:alert(1)",
    "https:evil.example",
    "%2F%2Fevil.example",
    "/%09/evil.example",
    "\x00//evil.example",
]


def location_is_same_site(response) -> bool:
    """Where a browser would go: it drops tabs and newlines and reads backslashes as slashes."""
    location = response.headers["Location"]
    seen = re.sub(r"[\t\n\r]", "", location).lstrip("\x00 ").replace("\\", "/")
    return urlsplit(urljoin("http://events.example.org/here", seen)).netloc == "events.example.org"


@pytest.mark.parametrize("target", OPEN_REDIRECTS)
def test_login_next_cannot_leave_the_site(app, make_user, target):
    client = app.test_client()
    user = make_user()
    response = client.post(
        "/login", query_string={"next": target}, data={"email": user.email, "password": PASSWORD}
    )
    if "\x00" in target:  # refused as malformed before the view
        assert response.status_code == 400
        return
    assert response.status_code == 302
    assert location_is_same_site(response), response.headers["Location"]
    # Once logged in, the GET shortcut takes the same care.
    response = client.get("/login", query_string={"next": target})
    assert location_is_same_site(response)


@pytest.mark.parametrize("target", OPEN_REDIRECTS)
def test_language_switch_cannot_leave_the_site(client, target):
    response = client.post("/language", data={"lang": "en", "next": target})
    assert response.status_code == (400 if "\x00" in target else 302)
    if response.status_code == 400:
        return
    assert location_is_same_site(response), response.headers["Location"]


def test_login_next_keeps_a_same_site_path(client, make_user):
    user = make_user()
    response = client.post(
        "/login",
        query_string={"next": "/admin/outbox?x=1"},
        data={"email": user.email, "password": PASSWORD},
    )
    assert response.headers["Location"] == "/admin/outbox?x=1"


class TestLoginLimit:
    @pytest.fixture
    def config_overrides(self):
        return {"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://"}

    def test_guesses_from_many_addresses_do_not_lock_the_owner_out(self, app, make_user):
        user = make_user()
        statuses = []
        for n in range(21):
            client = app.test_client()
            statuses.append(
                client.post(
                    "/login",
                    data={"email": user.email.upper(), "password": f"guess {n}"},
                    environ_base={"REMOTE_ADDR": f"198.51.100.{n + 1}"},
                ).status_code
            )
        assert statuses == [401] * 21
        # The right password from another address gets in: guesses are counted per address.
        # (tests/test_hardening_sessions.py shows how the guessers are slowed down.)
        response = app.test_client().post(
            "/login",
            data={"email": user.email, "password": PASSWORD},
            environ_base={"REMOTE_ADDR": "203.0.113.9"},
        )
        assert response.status_code == 302

    def test_guesses_at_many_accounts_from_one_address_are_limited(self, app, make_user):
        client = app.test_client()
        statuses = [
            client.post("/login", data={"email": f"x{n}@example.org", "password": "p"}).status_code
            for n in range(10)
        ]
        assert statuses == [401] * 10
        user = make_user()
        response = client.post("/login", data={"email": user.email, "password": PASSWORD})
        assert response.status_code == 429


def test_the_login_form_refuses_a_missing_password_without_a_crash(client, make_user):
    user = make_user()
    response = client.post("/login", data={"email": user.email})
    assert response.status_code == 422
