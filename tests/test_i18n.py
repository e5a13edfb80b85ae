"""Language choice (default German, English on request) and localised times."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from clock import CONGRESS_YEAR
from flask_babel import force_locale
from support import readable_text

from eventapp.i18n import filesize, localdate, localdatetime, localtime, localtimerange


def html_lang(response) -> str:
    match = re.search(r'<html lang="([a-z]+)"', response.get_data(as_text=True))
    assert match, "page has no <html lang>"
    return match.group(1)


@pytest.mark.parametrize("url", ["/", "/events/kongress", "/events/kongress/speakers"])
def test_pages_render_in_german_by_default_and_in_english_on_request(client, make_programme, url):
    make_programme(slug="kongress")

    german = client.get(url)
    english = client.get(url + "?lang=en")

    assert german.status_code == english.status_code == 200
    assert html_lang(german) == "de"
    assert html_lang(english) == "en"
    # The switch: the English link marked current, the German one back to this page.
    assert 'lang="en" hreflang="en" aria-current="true"' in readable_text(english)
    german_link = rf'<a href="{re.escape(url)}\?lang=de" lang="de" hreflang="de"\s+title="Deutsch">'
    assert re.search(german_link, readable_text(english))


def test_the_language_switch_links_keep_the_page_and_its_query(client, make_programme):
    make_programme(slug="kongress")
    page = readable_text(client.get("/events/kongress?track=3&lang=en"))
    assert '<a href="/events/kongress?track=3&amp;lang=de" lang="de"' in page
    assert '<a href="/events/kongress?track=3&amp;lang=en" lang="en"' in page

    # Following the link switches, and the choice stays for later pages.
    assert html_lang(client.get("/events/kongress?track=3&lang=de")) == "de"
    assert html_lang(client.get("/")) == "de"


@pytest.mark.parametrize("url", ["/", "/events/kongress", "/events/kongress/speakers"])
def test_public_pages_set_no_cookie_for_an_anonymous_visitor(app, make_programme, url):
    """No form on a public page needs a session: a visitor gets no cookie just by reading."""
    make_programme(slug="kongress")
    answer = app.test_client().get(url)
    assert answer.status_code == 200
    assert "Set-Cookie" not in answer.headers


def test_dates_follow_the_language(client, make_event):
    make_event(slug="kongress")

    german = readable_text(client.get("/events/kongress"))
    english = readable_text(client.get("/events/kongress?lang=en"))

    assert f"16. Mai {CONGRESS_YEAR}" in german and "09:00" in german
    assert f"May 16, {CONGRESS_YEAR}" in english and "9:00 AM" in english
    assert "Events" in english  # the navigation label, in English


def test_accept_language_picks_english(client, make_event):
    response = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9,de;q=0.5"})

    assert html_lang(response) == "en"


def test_unsupported_accept_language_falls_back_to_german(client):
    response = client.get("/", headers={"Accept-Language": "fr-FR,fr;q=0.9"})

    assert html_lang(response) == "de"


def test_lang_parameter_is_remembered_for_later_pages(client):
    client.get("/?lang=en")

    later = client.get("/", headers={"Accept-Language": "de"})

    assert html_lang(later) == "en"


def test_unknown_lang_parameter_is_ignored(client):
    response = client.get("/?lang=xx")

    assert response.status_code == 200
    assert html_lang(response) == "de"


def test_switch_persists_the_choice_and_returns_to_the_page(client, make_event):
    make_event(slug="kongress")

    response = client.post("/language", data={"lang": "en", "next": "/events/kongress?track=3"})

    assert response.status_code == 302
    assert response.headers["Location"] == "/events/kongress?track=3"
    assert html_lang(client.get("/events/kongress")) == "en"

    client.post("/language", data={"lang": "de", "next": "/"})
    assert html_lang(client.get("/events/kongress")) == "de"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "\\\\evil.example",
        "javascript:alert(1)",
        "/\tevil",
        "",
    ],
)
def test_switch_refuses_open_redirects(client, target):
    response = client.post("/language", data={"lang": "en", "next": target})

    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_switch_ignores_unknown_languages(client):
    client.post("/language", data={"lang": "fr", "next": "/"})

    assert html_lang(client.get("/")) == "de"


def test_switch_requires_a_csrf_token(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()

    refused = client.post("/language", data={"lang": "en", "next": "/"})

    assert refused.status_code == 400
    assert html_lang(client.get("/")) == "de"
    # The switch's own form is gone from the pages (links now); the endpoint stays for
    # anyone who posts to it, and still wants this visitor's token.
    login_page = readable_text(client.get("/login"))
    token = re.search(r'name="csrf_token" [^>]*value="([^"]+)"', login_page).group(1)
    accepted = client.post("/language", data={"lang": "en", "next": "/", "csrf_token": token})
    assert accepted.status_code == 302
    assert html_lang(client.get("/")) == "en"


def test_filters_show_times_in_the_events_zone(app, make_event):
    event = make_event(timezone="Europe/Berlin")
    abroad = make_event(timezone="America/New_York")
    moment = datetime(CONGRESS_YEAR, 5, 16, 7, 0, tzinfo=UTC)

    with app.test_request_context("/"), force_locale("de"):
        assert localtime(moment, event) == "09:00"
        assert localtime(moment, abroad) == "03:00"
        assert localdate(moment, event) == f"16. Mai {CONGRESS_YEAR}"
        assert (
            localdate(datetime(CONGRESS_YEAR, 5, 16, 23, 30, tzinfo=UTC), event)
            == f"17. Mai {CONGRESS_YEAR}"
        )
        assert localtimerange(moment, datetime(CONGRESS_YEAR, 5, 16, 8, 30, tzinfo=UTC), event) == (
            "09:00\u201310:30"
        )
        assert "09:00" in localdatetime(moment, event)
        assert localtime(None, event) == ""
    with app.test_request_context("/"), force_locale("en"):
        assert localtime(moment, event).replace("\u202f", " ") == "9:00 AM"


def test_outside_a_request_the_default_language_applies(app):
    from flask_babel import get_locale

    # The CLI and the mail worker have no request to read a language from.
    with app.app_context():
        assert str(get_locale()) == "de"


def test_file_sizes_use_the_readers_decimal_sign(app):
    with app.test_request_context():
        with force_locale("de"):
            assert filesize(5_230) == "5,2 kB"
            assert filesize(2_500_000) == "2,5 MB"
        with force_locale("en"):
            assert filesize(5_230) == "5.2 kB"
        assert filesize(512) == "512 B"
