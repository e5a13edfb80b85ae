"""Staff sessions end on the server, expire when idle, and login limits lock nobody out.

The tests perform the attacks against the app; each attack succeeded before sessions
became revocable, the lifetime short, the CSRF secret new at login, the login limits per
address and account, and weak passwords refused. A few tests guard what must keep working
(the language choice, strong passwords, the limit on one address guessing many accounts).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import create_engine, inspect, text
from support import PASSWORD, OwnContextClient, csrf_token_in, login
from test_migrations import empty_database, flask  # noqa: F401  (the fixture is used by name)
from werkzeug.security import generate_password_hash

from eventapp.accounts import services
from eventapp.config import ConfigurationError, from_environment
from eventapp.config import database_url as normalize
from eventapp.extensions import db
from eventapp.models import Role, User

pytestmark = pytest.mark.usefixtures("own_context_clients")

STRONG_PASSWORD = "Nibelungen lesen im Rathaus"
START = datetime(2027, 5, 16, 6, 0, tzinfo=UTC)


def copy_of_session(app, client, address: str = "192.0.2.66"):
    """Another client (an attacker's) holding the session cookie that ``client`` has now."""
    cookie = client.get_cookie("session")
    assert cookie is not None
    thief = app.test_client()
    thief.environ_base["REMOTE_ADDR"] = address
    thief.set_cookie("session", cookie.value)
    return thief


def logged_in(client) -> bool:
    response = client.get("/admin/")
    assert response.status_code in {200, 302}
    return response.status_code == 200


def fresh(user: User) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


# --- revocation --------------------------------------------------------------------------


def test_a_cookie_copied_before_logout_is_refused_after_logout(app, client, admin):
    login(client, admin)
    thief = copy_of_session(app, client)
    assert logged_in(thief)
    assert client.post("/logout").status_code == 302
    assert not logged_in(thief)
    assert not logged_in(client)


def test_logout_ends_the_session_on_the_other_devices_too(app, admin):
    laptop, phone = app.test_client(), app.test_client()
    login(laptop, admin)
    login(phone, admin)
    laptop.post("/logout")
    assert not logged_in(phone)
    # Logging in again works, with a new session id.
    login(phone, admin)
    assert logged_in(phone)


def test_a_new_password_from_the_cli_ends_every_session(app, client, runner, admin):
    login(client, admin)
    thief = copy_of_session(app, client)
    result = runner.invoke(
        args=["users", "set-password", admin.email, "--password-stdin"],
        input=STRONG_PASSWORD + "\n",
    )
    assert result.exit_code == 0, result.output
    assert "sessions have ended" in result.output
    assert not logged_in(thief)
    assert not logged_in(client)
    # The owner logs in with the new password.
    response = client.post("/login", data={"email": admin.email, "password": STRONG_PASSWORD})
    assert response.status_code == 302
    assert logged_in(client)


def test_deactivation_from_the_cli_ends_every_session_for_good(app, client, runner, admin):
    login(client, admin)
    thief = copy_of_session(app, client)
    result = runner.invoke(args=["users", "deactivate", admin.email])
    assert result.exit_code == 0, result.output
    assert not logged_in(thief)
    assert (
        client.post("/login", data={"email": admin.email, "password": PASSWORD}).status_code == 401
    )
    # Switched on again later, the account does not bring the old cookies back to life.
    fresh(admin).active = True
    db.session.commit()
    assert not logged_in(thief)
    assert not logged_in(client)
    login(client, admin)
    assert logged_in(client)


def test_the_cookie_names_a_random_session_id_not_the_user_id(app, client, admin):
    login(client, admin)
    with client.session_transaction() as session:
        named = session["_user_id"]
    assert named == fresh(admin).session_id
    assert len(named) >= 43  # 256 bits, URL-safe base64


# --- lifetime ------------------------------------------------------------------------------


def test_a_session_idle_longer_than_the_lifetime_is_refused(app, admin):
    with time_machine.travel(START, tick=False) as clock:
        client = app.test_client()
        response = client.post("/login", data={"email": admin.email, "password": PASSWORD})
        assert response.status_code == 302
        cookies = response.headers.getlist("Set-Cookie")
        assert not any(c.startswith("remember_token=") for c in cookies)
        # A stolen copy has no expiry a browser would honour: the server must refuse it.
        early, late = copy_of_session(app, client), copy_of_session(app, client)
        clock.shift(timedelta(hours=11, minutes=59))
        assert logged_in(early)
        clock.shift(timedelta(minutes=2))
        assert not logged_in(late)


def test_activity_slides_the_lifetime(app, client, admin):
    with time_machine.travel(START, tick=False) as clock:
        login(client, admin)
        for _ in range(3):  # 33 hours in all, never 12 without a request
            clock.shift(timedelta(hours=11))
            assert logged_in(client)
        idle = copy_of_session(app, client)
        clock.shift(timedelta(hours=12, minutes=1))
        assert not logged_in(idle)


def test_the_cookie_tells_the_browser_the_lifetime(app, client, admin):
    with time_machine.travel(START, tick=False):
        response = client.post("/login", data={"email": admin.email, "password": PASSWORD})
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "Expires=Sun, 16 May 2027 18:00:00 GMT" in cookie


def test_staff_session_hours_sets_the_lifetime(make_app, monkeypatch, admin):
    monkeypatch.setenv("STAFF_SESSION_HOURS", "1")
    one_hour = make_app()
    one_hour.test_client_class = OwnContextClient
    with time_machine.travel(START, tick=False) as clock:
        client = one_hour.test_client()
        login(client, admin)
        clock.shift(timedelta(minutes=59))
        assert logged_in(client)
        clock.shift(timedelta(minutes=61))
        assert not logged_in(client)


def test_the_lifetime_is_read_from_staff_session_hours(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.delenv("STAFF_SESSION_HOURS", raising=False)
    assert from_environment(str(tmp_path))["PERMANENT_SESSION_LIFETIME"] == timedelta(hours=12)
    monkeypatch.setenv("STAFF_SESSION_HOURS", "8")
    assert from_environment(str(tmp_path))["PERMANENT_SESSION_LIFETIME"] == timedelta(hours=8)
    for wrong in ("0", "-1", "zwölf", "nan", "inf"):
        monkeypatch.setenv("STAFF_SESSION_HOURS", wrong)
        with pytest.raises(ConfigurationError, match="STAFF_SESSION_HOURS"):
            from_environment(str(tmp_path))


# --- a new session (and CSRF secret) at login ---------------------------------------------


class TestNewSessionAtLogin:
    @pytest.fixture
    def config_overrides(self):
        return {"WTF_CSRF_ENABLED": True}

    def test_the_csrf_token_from_before_login_is_refused_after_login(self, app, client, admin):
        # E.g. a token an attacker got into the victim's session before the victim logs in.
        before = csrf_token_in(client.get("/login").get_data(as_text=True))
        data = {"email": admin.email, "password": PASSWORD, "csrf_token": before}
        assert client.post("/login", data=data).status_code == 302
        after = csrf_token_in(client.get("/logout").get_data(as_text=True))
        assert after != before
        assert client.post("/logout", data={"csrf_token": before}).status_code == 400
        assert logged_in(client)
        assert client.post("/logout", data={"csrf_token": after}).status_code == 302
        assert not logged_in(client)

    def test_the_language_choice_survives_login_and_logout(self, app, client, admin):
        client.get("/login?lang=en")
        token = csrf_token_in(client.get("/login").get_data(as_text=True))
        data = {"email": admin.email, "password": PASSWORD, "csrf_token": token}
        assert client.post("/login", data=data).status_code == 302
        page = client.get("/logout").get_data(as_text=True)
        assert '<html lang="en">' in page
        assert client.post("/logout", data={"csrf_token": csrf_token_in(page)}).status_code == 302
        assert '<html lang="en">' in client.get("/login").get_data(as_text=True)


# --- login limits ------------------------------------------------------------------------


def attempt(app, email: str, password: str, address: str, **headers: str):
    return app.test_client().post(
        "/login",
        data={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
        headers=headers,
    )


class TestLoginLimits:
    @pytest.fixture
    def config_overrides(self):
        return {"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://"}

    @pytest.fixture
    def admin(self, make_user):
        # A quick hash: these tests make dozens of attempts, and no limit depends on it.
        return make_user(password_hash=generate_password_hash(PASSWORD, "pbkdf2:sha256:1000"))

    def test_guesses_from_rotating_addresses_do_not_lock_the_owner_out(self, app, admin):
        statuses = [
            attempt(app, admin.email, f"guess {n}", f"198.51.100.{n % 16 + 1}").status_code
            for n in range(48)
        ]
        assert statuses == [401] * 48
        # The owner, from an address of their own, gets in at once.
        assert attempt(app, admin.email, PASSWORD, "203.0.113.7").status_code == 302
        # Each further address gets only three guesses a day at the account under attack
        # (instead of five a minute), and is not told whether the next would have been right.
        address = "198.51.100.99"
        statuses = [attempt(app, admin.email, "guess", address).status_code for _ in range(4)]
        assert statuses == [401, 401, 401, 429]
        assert attempt(app, admin.email, PASSWORD, address).status_code == 429
        # The owner still gets in from anywhere else.
        assert attempt(app, admin.email, PASSWORD, "203.0.113.8").status_code == 302

    def test_one_address_is_slowed_down_more_and_more(self, app, admin):
        address = "198.51.100.1"
        with time_machine.travel(START, tick=False) as clock:
            statuses = [attempt(app, admin.email, "wrong", address).status_code for _ in range(6)]
            assert statuses == [401] * 5 + [429]
            clock.shift(timedelta(seconds=61))
            statuses = [attempt(app, admin.email, "wrong", address).status_code for _ in range(6)]
            assert statuses == [401] * 5 + [429]
            # Ten in the hour: now the hour must pass, not only the minute.
            clock.shift(timedelta(seconds=61))
            assert attempt(app, admin.email, PASSWORD, address).status_code == 429
            clock.shift(timedelta(hours=1))
            assert attempt(app, admin.email, PASSWORD, address).status_code == 302

    def test_one_address_guessing_many_accounts_is_limited(self, app, admin):
        address = "198.51.100.2"
        statuses = [
            attempt(app, f"x{n}@example.org", "wrong", address).status_code for n in range(10)
        ]
        assert statuses == [401] * 10
        assert attempt(app, admin.email, PASSWORD, address).status_code == 429

    def test_correct_logins_never_count(self, app, admin):
        address = "198.51.100.3"
        # More than the five wrong passwords a minute, and the ten of the address.
        statuses = [attempt(app, admin.email, PASSWORD, address).status_code for _ in range(12)]
        assert statuses == [302] * 12
        # The wrong passwords after them still have their whole budget, no more.
        statuses = [attempt(app, admin.email, "wrong", address).status_code for _ in range(6)]
        assert statuses == [401] * 5 + [429]

    def test_posts_that_check_no_password_do_not_count(self, app, admin):
        address = "198.51.100.4"
        for _ in range(12):
            response = app.test_client().post(
                "/login", data={"email": admin.email}, environ_base={"REMOTE_ADDR": address}
            )
            assert response.status_code == 422
        assert attempt(app, admin.email, PASSWORD, address).status_code == 302

    def test_the_limit_page_says_how_long_to_wait_in_the_interface_language(self, app, admin):
        address = "198.51.100.5"
        with time_machine.travel(START, tick=False):
            for _ in range(5):
                attempt(app, admin.email, "wrong", address)
            english = attempt(app, admin.email, "wrong", address, **{"Accept-Language": "en"})
            german = attempt(app, admin.email, "wrong", address, **{"Accept-Language": "de"})
        assert english.status_code == german.status_code == 429
        text = english.get_data(as_text=True)
        assert "Too many failed login attempts. Please wait 1 minute and try again." in text
        assert 0 < int(english.headers["Retry-After"]) <= 61
        # German once the catalogue has "Too many failed login attempts. Please wait …".
        page = german.get_data(as_text=True)
        assert '<html lang="de">' in page
        # Flask-Limiter's own description is no text for people.
        for response in (english, german):
            assert "per 1 minute" not in response.get_data(as_text=True)


class TestOtherRateLimits:
    """Limits without a message of their own get a general one, not "1 per 1 hour"."""

    @pytest.fixture
    def config_overrides(self):
        return {"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://"}

    @pytest.fixture
    def app(self, app):
        from eventapp.extensions import limiter

        @limiter.limit("1 per hour")
        def limited():
            return "ok"

        app.add_url_rule("/_test/limited", "test_limited", limited)
        app.add_url_rule("/api/v1/_test/limited", "test_api_limited", limited)
        return app

    def test_a_page_says_how_long_to_wait(self, client):
        headers = {"Accept-Language": "en"}
        assert client.get("/_test/limited", headers=headers).status_code == 200
        response = client.get("/_test/limited", headers=headers)
        assert response.status_code == 429
        text = response.get_data(as_text=True)
        assert "Please wait 60 minutes and try again." in text
        assert "per 1 hour" not in text

    def test_the_api_says_it_in_its_error_shape(self, client):
        headers = {"Accept-Language": "en"}
        client.get("/api/v1/_test/limited", headers=headers)
        response = client.get("/api/v1/_test/limited", headers=headers)
        assert response.status_code == 429
        assert response.json["error"] == {
            "code": "too_many_requests",
            "message": "Please wait 60 minutes and try again.",
        }


# --- passwords ---------------------------------------------------------------------------

WEAK_PASSWORDS = {
    "elevenchars": "at least 12 characters",
    "password1234": "too common",
    "qwertzuiop12": "too common",
    "123456789012": "too common",
    "hallo1234567": "too common",
    "passwort1234": "too common",
    "quartiersbuero2027": "too common",  # the account's own email address
    "x" * 201: "at most 200 characters",  # the login form would never take it
}


@pytest.mark.parametrize(("password", "message"), WEAK_PASSWORDS.items())
def test_users_create_refuses_short_and_common_passwords(runner, password, message):
    result = runner.invoke(
        args=[
            "users",
            "create",
            "quartiersbuero@buerstadt.example",
            "--role",
            "admin",
            "--password-stdin",
        ],
        input=password + "\n",
    )
    assert result.exit_code != 0
    assert message in result.output
    assert services.user_by_email("quartiersbuero@buerstadt.example") is None


@pytest.mark.parametrize(("password", "message"), WEAK_PASSWORDS.items())
def test_users_set_password_refuses_short_and_common_passwords(
    runner, make_user, password, message
):
    user = make_user(email="quartiersbuero@buerstadt.example")
    before = (user.password_hash, user.session_id)
    result = runner.invoke(
        args=["users", "set-password", user.email, "--password-stdin"], input=password + "\n"
    )
    assert result.exit_code != 0
    assert message in result.output
    user = fresh(user)
    assert (user.password_hash, user.session_id) == before


def test_long_uncommon_passwords_are_taken(runner):
    for email, password in (("a@example.org", PASSWORD), ("b@example.org", STRONG_PASSWORD)):
        result = runner.invoke(
            args=["users", "create", email, "--role", "checkin", "--password-stdin"],
            input=password + "\n",
        )
        assert result.exit_code == 0, result.output
        assert services.authenticate(email, password) is not None


def test_the_services_refuse_weak_passwords_too(app, english, admin):
    with pytest.raises(services.AccountError, match="at least 12 characters"):
        services.create_user("c@example.org", "kurz", Role.ADMIN)
    with pytest.raises(services.AccountError, match="too common"):
        services.set_password(admin, "passwort1234")


# --- the migration -----------------------------------------------------------------------


@pytest.mark.slow
def test_the_migration_gives_every_existing_account_a_session_id_of_its_own(request, tmp_path):
    database = request.getfixturevalue("empty_database")  # from test_migrations
    assert flask(database, "db", "upgrade", "0001", instance=tmp_path).returncode == 0
    engine = create_engine(normalize(database, ""))
    try:
        with engine.begin() as connection:
            for email in ("a@example.org", "b@example.org"):
                connection.execute(
                    text(
                        "INSERT INTO user_account (email, name, password_hash, role, active,"
                        " created_at) VALUES (:email, '', 'x', 'admin', true, :created)"
                    ),
                    {"email": email, "created": "2026-11-01 09:00:00+00:00"},
                )
        upgrade = flask(database, "db", "upgrade", "0002", instance=tmp_path)
        assert upgrade.returncode == 0, upgrade.stderr
        with engine.connect() as connection:
            ids = connection.execute(text("SELECT session_id FROM user_account")).scalars().all()
        assert len(set(ids)) == 2
        assert all(value and len(value) >= 43 for value in ids)

        downgrade = flask(database, "db", "downgrade", "0001", instance=tmp_path)
        assert downgrade.returncode == 0, downgrade.stderr
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM user_account")).scalar() == 2
        columns = {c["name"] for c in inspect(engine).get_columns("user_account")}
        assert "session_id" not in columns
    finally:
        engine.dispose()
