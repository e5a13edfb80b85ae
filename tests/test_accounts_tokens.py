"""API tokens and the ``api_auth`` decorator; the accounts CLI."""

from __future__ import annotations

import hashlib
import re
import threading
from datetime import timedelta

import pytest
from flask import g, jsonify
from sqlalchemy import text
from support import PASSWORD, bearer, login_with_csrf

from eventapp.accounts import services
from eventapp.extensions import csrf, db
from eventapp.models import ApiToken, Role, User

pytestmark = pytest.mark.own_app


@pytest.fixture
def app(app):
    from eventapp.accounts.auth import api_auth

    @api_auth(Role.ADMIN, Role.CHECKIN)
    def whoami():
        db.session.commit()  # like every writing view: the token's use is saved with the work
        return jsonify(email=g.api_user.email)

    @api_auth(Role.ADMIN)
    def admin_only():
        return jsonify(ok=True)

    app.add_url_rule(
        "/api/v1/_test/whoami", "test_whoami", csrf.exempt(whoami), methods=["GET", "POST"]
    )
    app.add_url_rule("/api/v1/_test/admin", "test_admin", csrf.exempt(admin_only))
    return app


def test_token_is_stored_only_as_sha256_hash(app, make_user):
    user = make_user(Role.CHECKIN)
    plaintext = services.create_token(user, "door 1")
    db.session.commit()
    row = db.session.execute(db.select(ApiToken)).scalar_one()
    assert row.token_hash == hashlib.sha256(plaintext.encode()).hexdigest()
    assert plaintext not in (row.token_hash, row.prefix, row.name)
    assert plaintext.startswith(row.prefix)
    assert len(plaintext) >= 40


def test_valid_token_authenticates(client, make_user):
    user = make_user(Role.CHECKIN)
    plaintext = services.create_token(user)
    db.session.commit()
    response = client.get("/api/v1/_test/whoami", headers=bearer(plaintext))
    assert response.status_code == 200
    assert response.json == {"email": user.email}


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer "},
        {"Authorization": "Bearer nope"},
        {"Authorization": "Basic x"},
    ],
)
def test_missing_or_invalid_token_is_401_json(client, headers):
    response = client.get("/api/v1/_test/whoami", headers=headers)
    assert response.status_code == 401
    assert set(response.json["error"]) == {"code", "message"}
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_revoked_token_is_401(client, make_user):
    user = make_user(Role.CHECKIN)
    plaintext = services.create_token(user)
    db.session.commit()
    services.revoke_token(services.list_tokens(user)[0])
    db.session.commit()
    assert client.get("/api/v1/_test/whoami", headers=bearer(plaintext)).status_code == 401


def test_token_of_inactive_user_is_401(client, make_user):
    user = make_user(Role.ADMIN)
    plaintext = services.create_token(user)
    user.active = False
    db.session.commit()
    assert client.get("/api/v1/_test/whoami", headers=bearer(plaintext)).status_code == 401


def test_token_without_the_role_is_403(client, make_user):
    user = make_user(Role.CHECKIN)
    plaintext = services.create_token(user)
    db.session.commit()
    response = client.get("/api/v1/_test/admin", headers=bearer(plaintext))
    assert response.status_code == 403
    assert response.json["error"]["code"] == "forbidden"


def test_use_of_token_is_recorded_on_writes(client, make_user):
    user = make_user(Role.CHECKIN)
    plaintext = services.create_token(user)
    db.session.commit()
    client.post("/api/v1/_test/whoami", headers=bearer(plaintext))
    db.session.expire_all()
    assert services.list_tokens(user)[0].last_used_at is not None


def test_use_of_token_is_recorded_once_a_minute(client, make_user):
    user = make_user(Role.CHECKIN)
    plaintext = services.create_token(user)
    db.session.commit()
    client.post("/api/v1/_test/whoami", headers=bearer(plaintext))
    db.session.expire_all()
    first = services.list_tokens(user)[0].last_used_at
    client.post("/api/v1/_test/whoami", headers=bearer(plaintext))
    db.session.expire_all()
    assert services.list_tokens(user)[0].last_used_at == first
    token = services.list_tokens(user)[0]
    token.last_used_at = first - services.LAST_USED_RESOLUTION - timedelta(seconds=1)
    db.session.commit()
    client.post("/api/v1/_test/whoami", headers=bearer(plaintext))
    db.session.expire_all()
    assert services.list_tokens(user)[0].last_used_at > first


def test_a_write_does_not_wait_for_another_recording_the_same_token(app, client, make_user):
    """Scanners sharing a token find it due together: while one request's transaction
    writes the token's time, another goes on without waiting for that row."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("row locks: PostgreSQL only (TEST_DATABASE_URL)")
    user = make_user(Role.CHECKIN)
    plaintext = services.create_token(user)
    db.session.commit()
    token_id = services.list_tokens(user)[0].id
    statuses: list[int] = []

    def write() -> None:
        statuses.append(client.post("/api/v1/_test/whoami", headers=bearer(plaintext)).status_code)

    with db.engine.connect() as other:
        other.execute(
            text("UPDATE api_token SET last_used_at = now() WHERE id = :id"), {"id": token_id}
        )
        thread = threading.Thread(target=write)
        thread.start()
        thread.join(timeout=5)
        went_on = not thread.is_alive()
        other.rollback()
    thread.join()
    assert went_on
    assert statuses == [200]


def test_session_user_may_use_the_api(client, make_user):
    user = make_user(Role.CHECKIN)
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert client.get("/api/v1/_test/whoami").json == {"email": user.email}
    assert client.get("/api/v1/_test/admin").status_code == 403


class TestSessionCsrf:
    @pytest.fixture
    def config_overrides(self):
        return {"WTF_CSRF_ENABLED": True}

    def test_session_write_needs_csrf_header(self, client, make_user):
        user = make_user(Role.CHECKIN)
        token = login_with_csrf(client, user)
        response = client.post("/api/v1/_test/whoami")
        assert response.status_code == 400
        assert response.json["error"]["code"] == "csrf_failed"
        response = client.post("/api/v1/_test/whoami", headers={"X-CSRFToken": "forged"})
        assert response.status_code == 400
        response = client.post("/api/v1/_test/whoami", headers={"X-CSRFToken": token})
        assert response.status_code == 200

    def test_bearer_write_needs_no_csrf(self, client, make_user):
        user = make_user(Role.CHECKIN)
        plaintext = services.create_token(user)
        db.session.commit()
        response = client.post("/api/v1/_test/whoami", headers=bearer(plaintext))
        assert response.status_code == 200


# --- CLI ------------------------------------------------------------------------


def test_cli_creates_user_with_password_from_stdin(runner):
    result = runner.invoke(
        args=["users", "create", "Door@Example.org", "--role", "checkin", "--password-stdin"],
        input="a long password\n",
    )
    assert result.exit_code == 0, result.output
    user = services.user_by_email("door@example.org")
    assert user.role == Role.CHECKIN
    assert services.authenticate("door@example.org", "a long password") is not None
    assert "a long password" not in user.password_hash


def test_cli_creates_user_with_confirmed_prompt(runner):
    result = runner.invoke(
        args=["users", "create", "boss@example.org", "--role", "admin"],
        input="secret password\nsecret password\n",
    )
    assert result.exit_code == 0, result.output
    assert services.user_by_email("boss@example.org").role == Role.ADMIN


def test_cli_refuses_duplicate_user_and_bad_role(runner, make_user):
    user = make_user(Role.ADMIN)
    result = runner.invoke(
        args=["users", "create", user.email, "--role", "admin", "--password-stdin"],
        input="a long password\n",
    )
    assert result.exit_code != 0
    result = runner.invoke(
        args=["users", "create", "x@example.org", "--role", "root", "--password-stdin"],
        input="a long password\n",
    )
    assert result.exit_code != 0
    assert db.session.execute(db.select(db.func.count(User.id))).scalar() == 1


def test_cli_token_create_prints_token_alone_on_last_line(runner, client, make_user):
    user = make_user(Role.CHECKIN)
    result = runner.invoke(args=["tokens", "create", user.email, "--name", "door"])
    assert result.exit_code == 0, result.output
    plaintext = result.output.strip().splitlines()[-1]
    assert re.fullmatch(r"[A-Za-z0-9_\-]+", plaintext)
    response = client.get("/api/v1/_test/whoami", headers=bearer(plaintext))
    assert response.status_code == 200

    listing = runner.invoke(args=["tokens", "list"])
    assert plaintext not in listing.output
    assert "door" in listing.output
    token_id = str(services.list_tokens(user)[0].id)
    assert runner.invoke(args=["tokens", "revoke", token_id]).exit_code == 0
    db.session.expire_all()
    assert client.get("/api/v1/_test/whoami", headers=bearer(plaintext)).status_code == 401


def test_cli_lists_users(runner, make_user):
    user = make_user(Role.CHECKIN)
    result = runner.invoke(args=["users", "list"])
    assert result.exit_code == 0
    assert user.email in result.output


def test_cli_token_for_unknown_user_fails(runner):
    result = runner.invoke(args=["tokens", "create", "nobody@example.org"])
    assert result.exit_code != 0
