""" "Forgot password" with a real SMTP server: the link arrives, works once, expires, tells
nobody which addresses have accounts, and ends every session of the account."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from support import PASSWORD, audit_actions, count, login, outbox, smtp_settings

from eventapp.accounts import services
from eventapp.extensions import db
from eventapp.mail.delivery import deliver_due
from eventapp.mail.outbox import MessageKind
from eventapp.models import OutboxStatus, PasswordReset, Role, User, utcnow

pytestmark = pytest.mark.usefixtures("own_context_clients")

STRONG = "Apfelbaum singt im Nebel"
LINK = re.compile(r"http://events\.example\.org/login/reset/([A-Za-z0-9_-]+)")


@pytest.fixture
def config_overrides(smtp_server):
    return smtp_settings(smtp_server)


@pytest.fixture
def person(make_user) -> User:
    return make_user(Role.CHECKIN, name="Pia Pforte", email="pia@example.org")


def ask(client, email: str, lang: str = "de"):
    return client.post("/login/reset", data={"email": email}, headers={"Accept-Language": lang})


def received_link(smtp_server, n: int = -1) -> str:
    text = smtp_server.messages()[n].get_body(preferencelist=("plain",)).get_content()
    return LINK.search(text).group(1)


def page(response) -> str:
    return re.sub(r'name="csrf_token" value="[^"]*"', "", response.get_data(as_text=True))


def reloaded(user: User) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


def test_the_login_page_links_to_forgot_password(client):
    assert 'href="/login/reset"' in client.get("/login").get_data(as_text=True)


def test_the_link_arrives_by_mail_and_sets_a_new_password_once(app, person, smtp_server):
    logged_in = app.test_client()
    login(logged_in, person)

    response = ask(app.test_client(), "PIA@example.org")
    assert response.status_code == 200
    assert deliver_due().sent == 1

    message = smtp_server.messages()[0]
    assert message["To"].addresses[0].addr_spec == "pia@example.org"
    assert message["Content-Language"] == "de"
    token = received_link(smtp_server)
    # Only the hash is stored with the link.
    reset = db.session.execute(db.select(PasswordReset)).scalar_one()
    assert reset.token_hash == services.hash_token(token) and token not in reset.token_hash
    assert reset.expires_at - reset.created_at == timedelta(hours=1)

    browser = app.test_client()
    page = browser.get(f"/login/reset/{token}")
    assert page.status_code == 200
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert page.headers["Cache-Control"] == "no-store"
    done = browser.post(
        f"/login/reset/{token}", data={"new_password": STRONG, "new_password_repeat": STRONG}
    )

    assert done.status_code == 302 and done.headers["Location"] == "/login"
    assert services.authenticate("pia@example.org", STRONG) is not None
    assert services.authenticate("pia@example.org", PASSWORD) is None
    assert logged_in.get("/checkin/").status_code == 302  # every session has ended
    assert "user.password_reset" in audit_actions()
    # Used up: the second time the page says so and changes nothing.
    again = browser.post(
        f"/login/reset/{token}", data={"new_password": PASSWORD, "new_password_repeat": PASSWORD}
    )
    assert again.status_code == 404
    assert 'id="reset-invalid"' in again.get_data(as_text=True)
    assert services.authenticate("pia@example.org", STRONG) is not None
    # The outbox never held the link's token, and the seed it is made from is gone too.
    assert all(token not in str(row.payload) for row in outbox())
    assert all("seed" not in row.payload for row in outbox())


def test_the_mail_speaks_the_language_of_the_page(app, person, smtp_server):
    ask(app.test_client(), "pia@example.org", lang="en")
    deliver_due()
    message = smtp_server.messages()[0]
    assert message["Content-Language"] == "en"
    assert "Set a new password" in message["Subject"]
    assert outbox()[0].kind == MessageKind.PASSWORD_RESET


def test_unknown_and_known_addresses_get_the_same_answer(app, person, make_user, smtp_server):
    inactive = make_user(Role.ADMIN, email="alt@example.org", active=False)

    known = ask(app.test_client(), person.email)
    unknown = ask(app.test_client(), "niemand@example.org")
    deactivated = ask(app.test_client(), inactive.email)

    assert known.status_code == unknown.status_code == deactivated.status_code == 200
    # The same page but for each visitor's own CSRF token (of the language switch).
    assert page(known) == page(unknown) == page(deactivated)
    deliver_due()
    assert [m["To"].addresses[0].addr_spec for m in smtp_server.messages()] == [person.email]
    assert count(PasswordReset) == 1


def test_using_one_link_revokes_the_other_pending_links(app, person, smtp_server):
    ask(app.test_client(), person.email)
    ask(app.test_client(), person.email)
    deliver_due()
    first, second = received_link(smtp_server, 0), received_link(smtp_server, 1)
    assert first != second

    app.test_client().post(
        f"/login/reset/{second}", data={"new_password": STRONG, "new_password_repeat": STRONG}
    )

    assert app.test_client().get(f"/login/reset/{first}").status_code == 404
    assert all(
        reset.used_at is not None
        for reset in db.session.execute(db.select(PasswordReset)).scalars()
    )


def test_an_expired_link_is_refused_and_changes_nothing(app, person, smtp_server):
    ask(app.test_client(), person.email)
    deliver_due()
    token = received_link(smtp_server)
    reset = db.session.execute(db.select(PasswordReset)).scalar_one()
    reset.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    session_id = person.session_id

    page = app.test_client().get(f"/login/reset/{token}")
    post = app.test_client().post(
        f"/login/reset/{token}", data={"new_password": STRONG, "new_password_repeat": STRONG}
    )

    assert page.status_code == post.status_code == 404
    assert services.authenticate(person.email, PASSWORD) is not None
    assert reloaded(person).session_id == session_id


def test_a_link_that_expired_before_sending_is_not_sent(app, person, smtp_server):
    ask(app.test_client(), person.email)
    reset = db.session.execute(db.select(PasswordReset)).scalar_one()
    reset.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()

    assert deliver_due().discarded == 1
    assert smtp_server.messages() == []
    assert outbox()[0].status == OutboxStatus.DISCARDED


def test_a_deactivated_account_cannot_use_a_link_sent_before(app, person, smtp_server):
    ask(app.test_client(), person.email)
    deliver_due()
    token = received_link(smtp_server)
    services.deactivate_user(person)
    db.session.commit()

    response = app.test_client().post(
        f"/login/reset/{token}", data={"new_password": STRONG, "new_password_repeat": STRONG}
    )

    assert response.status_code == 404
    assert services.check_password(reloaded(person), PASSWORD)


@pytest.mark.parametrize("token", ["x", "a" * 43, "a" * 500])
def test_unknown_links_get_a_clear_page(client, person, token):
    response = client.get(f"/login/reset/{token}")
    assert response.status_code == 404
    assert 'id="reset-invalid"' in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("new", "repeat", "field"),
    [
        (STRONG, STRONG + "!", "new_password_repeat"),
        ("hallo1234567", "hallo1234567", "new_password"),
    ],
)
def test_a_weak_or_mistyped_password_keeps_the_link(app, person, smtp_server, new, repeat, field):
    ask(app.test_client(), person.email)
    deliver_due()
    token = received_link(smtp_server)

    response = app.test_client().post(
        f"/login/reset/{token}", data={"new_password": new, "new_password_repeat": repeat}
    )

    assert response.status_code == 422
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    assert db.session.execute(db.select(PasswordReset)).scalar_one().used_at is None
    assert services.authenticate(person.email, PASSWORD) is not None
    assert app.test_client().get(f"/login/reset/{token}").status_code == 200


def test_a_bad_address_is_refused_without_a_mail(client):
    response = client.post("/login/reset", data={"email": ""})
    assert response.status_code == 422
    assert count(PasswordReset) == 0 and outbox() == []


class TestLimits:
    @pytest.fixture
    def config_overrides(self, smtp_server):
        return smtp_settings(smtp_server, RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://")

    def test_one_account_gets_only_a_few_links_an_hour_from_any_address(self, app, person):
        statuses = [
            app.test_client()
            .post(
                "/login/reset",
                data={"email": person.email},
                environ_base={"REMOTE_ADDR": f"198.51.100.{n + 1}"},
            )
            .status_code
            for n in range(4)
        ]
        assert statuses == [200, 200, 200, 429]
        assert count(PasswordReset) == 3

    def test_an_address_asking_for_many_accounts_is_slowed_down_the_same_way(self, app, person):
        client = app.test_client()
        statuses = [
            client.post("/login/reset", data={"email": f"x{n}@example.org"}).status_code
            for n in range(5)
        ]
        assert statuses == [200] * 5
        # Known or not, the sixth is refused alike.
        assert client.post("/login/reset", data={"email": person.email}).status_code == 429
        assert count(PasswordReset) == 0


class TestCsrf:
    @pytest.fixture
    def config_overrides(self, smtp_server):
        return smtp_settings(smtp_server, WTF_CSRF_ENABLED=True)

    def test_the_forms_need_the_csrf_token(self, app, person):
        assert (
            app.test_client().post("/login/reset", data={"email": person.email}).status_code == 400
        )
        assert count(PasswordReset) == 0


def test_the_lifetime_is_a_setting_and_nonsense_is_refused_at_start():
    from eventapp.config import ConfigurationError, password_reset_seconds

    assert password_reset_seconds(None) == 3600
    assert password_reset_seconds("900") == 900
    for bad in ("0", "-5", "eine Stunde"):
        with pytest.raises(ConfigurationError):
            password_reset_seconds(bad)
