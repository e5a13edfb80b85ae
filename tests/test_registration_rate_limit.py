"""One rate limit on registering, for the form and the API together, per real client address."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from eventapp.config import ConfigurationError, from_environment, trusted_proxy_count
from eventapp.extensions import db
from eventapp.models import Registration

# The default limit, REGISTRATION_RATE_LIMIT = "20 per minute", is what is tested.
LIMIT = 20
CLIENT = "198.51.100.20"
OTHER_CLIENT = "198.51.100.21"
PROXY = "10.0.0.2"

API_BODY = {"first_name": "Lea", "last_name": "Roth", "consent_privacy": True}
FORM = {"first_name": "Lea", "last_name": "Roth", "consent_privacy": "y"}


@pytest.fixture
def config_overrides():
    return {"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://"}


def count() -> int:
    return db.session.execute(select(func.count(Registration.id))).scalar_one()


def via_form(client, event, n: int, address: str = CLIENT, **headers: str):
    data = {**FORM, "email": f"form{n}@example.org", "submission_key": f"key-{n}"}
    return client.post(
        f"/events/{event.slug}/register?lang=en",
        data=data,
        headers=headers,
        environ_base={"REMOTE_ADDR": address},
    )


def via_api(client, event, n: int, address: str = CLIENT, **headers: str):
    return client.post(
        f"/api/v1/events/{event.slug}/registrations?lang=en",
        json={**API_BODY, "email": f"api{n}@example.org"},
        headers=headers,
        environ_base={"REMOTE_ADDR": address},
    )


def assert_html_429(response) -> None:
    assert response.status_code == 429
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert "Too many registrations from your address" in html
    assert "<footer" in html  # the site's own error page, not a bare werkzeug one
    assert int(response.headers["Retry-After"]) > 0


def test_the_21st_form_post_in_a_minute_gets_a_styled_429_and_registers_nobody(client, make_event):
    event = make_event()
    answers = [via_form(client, event, n).status_code for n in range(LIMIT)]
    assert answers == [303] * LIMIT

    response = via_form(client, event, LIMIT)

    assert_html_429(response)
    assert count() == LIMIT
    assert via_form(client, event, LIMIT + 1, address=OTHER_CLIENT).status_code == 303


def test_the_429_page_speaks_german(client, make_event):
    event = make_event()
    for n in range(LIMIT):
        via_form(client, event, n)
    response = client.post(
        f"/events/{event.slug}/register?lang=de",
        data={**FORM, "email": "spaet@example.org"},
        environ_base={"REMOTE_ADDR": CLIENT},
    )
    assert response.status_code == 429
    assert "Zu viele Anmeldungen von Ihrer Adresse" in response.get_data(as_text=True)


def test_looking_at_the_form_does_not_count(client, make_event):
    event = make_event()
    for _ in range(LIMIT + 10):
        page = client.get(f"/events/{event.slug}/register", environ_base={"REMOTE_ADDR": CLIENT})
        assert page.status_code == 200
    answers = [via_form(client, event, n).status_code for n in range(LIMIT)]
    assert answers == [303] * LIMIT
    assert_html_429(via_form(client, event, LIMIT))


def test_a_form_shown_again_with_errors_counts(client, make_event):
    # Otherwise the form could be probed without limit (which emails are taken, and so on).
    event = make_event()
    without_consent = {k: v for k, v in FORM.items() if k != "consent_privacy"}
    for n in range(LIMIT):
        response = client.post(
            f"/events/{event.slug}/register",
            data={**without_consent, "email": f"probe{n}@example.org"},
            environ_base={"REMOTE_ADDR": CLIENT},
        )
        assert response.status_code == 422
    assert_html_429(via_form(client, event, LIMIT))
    assert count() == 0


def test_form_and_api_share_one_limit(client, make_event):
    event = make_event()
    answers = [(via_form if n % 2 else via_api)(client, event, n).status_code for n in range(LIMIT)]
    assert sorted(answers) == [201] * (LIMIT // 2) + [303] * (LIMIT // 2)

    api = via_api(client, event, LIMIT)
    form = via_form(client, event, LIMIT + 1)

    assert api.status_code == 429
    assert api.get_json()["error"]["code"] == "too_many_requests"
    assert api.headers.get("Retry-After")
    assert_html_429(form)
    assert count() == LIMIT
    assert via_api(client, event, LIMIT + 2, address=OTHER_CLIENT).status_code == 201
    assert via_form(client, event, LIMIT + 3, address=OTHER_CLIENT).status_code == 303


def test_without_trusted_proxies_a_forged_x_forwarded_for_gives_no_fresh_limit(client, make_event):
    event = make_event()
    for n in range(LIMIT):
        forged = {"X-Forwarded-For": f"203.0.113.{n}"}
        assert via_api(client, event, n, **forged).status_code == 201

    response = via_form(client, event, LIMIT, **{"X-Forwarded-For": "203.0.113.99"})

    assert_html_429(response)
    assert count() == LIMIT


class TestBehindOneProxy:
    @pytest.fixture
    def config_overrides(self):
        return {
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_STORAGE_URI": "memory://",
            "TRUSTED_PROXY_COUNT": 1,
        }

    def test_two_clients_behind_one_proxy_are_limited_separately(self, client, make_event):
        event = make_event()
        first = {"X-Forwarded-For": "203.0.113.1"}
        for n in range(LIMIT):
            assert via_form(client, event, n, address=PROXY, **first).status_code == 303

        assert_html_429(via_form(client, event, LIMIT, address=PROXY, **first))
        second = {"X-Forwarded-For": "203.0.113.2"}
        assert via_api(client, event, LIMIT + 1, address=PROXY, **second).status_code == 201

    def test_only_the_address_the_proxy_added_counts(self, client, make_event):
        # nginx appends the peer it saw; whatever the client wrote before that is ignored.
        event = make_event()
        for n in range(LIMIT):
            forged = {"X-Forwarded-For": f"192.0.2.{n}, 203.0.113.1"}
            assert via_api(client, event, n, address=PROXY, **forged).status_code == 201

        response = via_api(
            client, event, LIMIT, address=PROXY, **{"X-Forwarded-For": "203.0.113.1"}
        )

        assert response.status_code == 429
        assert count() == LIMIT
        other = {"X-Forwarded-For": "192.0.2.1, 203.0.113.2"}
        assert via_api(client, event, LIMIT + 1, address=PROXY, **other).status_code == 201


def test_trusted_proxy_count_defaults_to_none(tmp_path, monkeypatch):
    monkeypatch.delenv("TRUSTED_PROXY_COUNT", raising=False)
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    assert from_environment(str(tmp_path))["TRUSTED_PROXY_COUNT"] == 0
    monkeypatch.setenv("TRUSTED_PROXY_COUNT", "1")
    assert from_environment(str(tmp_path))["TRUSTED_PROXY_COUNT"] == 1


@pytest.mark.parametrize("raw", ["-1", "one", "1.5"])
def test_a_malformed_trusted_proxy_count_stops_the_start(raw):
    with pytest.raises(ConfigurationError, match="TRUSTED_PROXY_COUNT"):
        trusted_proxy_count(raw)
