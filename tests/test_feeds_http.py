"""Calendar feeds over HTTP: validators, 304s, caching, headers, and the links in the pages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import event as sa_event
from werkzeug.http import http_date

from eventapp.extensions import db
from eventapp.models import Session
from eventapp.urls import manage_url


@contextmanager
def statements() -> Iterator[list[str]]:
    """Every SQL statement the block sends to the database."""
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        seen.append(statement.strip().split()[0].upper())

    sa_event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", record)


def backdate(model, obj, moment: datetime) -> None:
    """Pretend ``obj`` was last changed at ``moment`` (HTTP dates have whole seconds)."""
    db.session.execute(db.update(model).where(model.id == obj.id).values(updated_at=moment))
    db.session.commit()
    db.session.expire_all()


def backdate_programme(event, moment: datetime) -> None:
    """Pretend the event and each of its sessions were last changed at ``moment``."""
    backdate(type(event), event, moment)
    for session in event.sessions:
        backdate(Session, session, moment)


def test_feed_is_text_calendar_with_strong_etag_and_last_modified(client, make_programme):
    event = make_programme()
    response = client.get(f"/events/{event.slug}/calendar.ics")
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    etag = response.headers["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    assert response.last_modified is not None
    assert response.headers["Content-Disposition"] == f'inline; filename="{event.slug}.ics"'
    download = client.get(f"/events/{event.slug}/calendar.ics?download=1")
    assert download.headers["Content-Disposition"] == f'attachment; filename="{event.slug}.ics"'
    assert download.data == response.data


def test_two_fetches_return_identical_bytes(client, make_programme):
    event = make_programme()
    first = client.get(f"/events/{event.slug}/calendar.ics")
    # A fresh app (another worker) must produce the same bytes, not just replay its cache.
    client.application.extensions["feeds.cache"].clear()
    second = client.get(f"/events/{event.slug}/calendar.ics")
    assert first.data == second.data
    assert first.headers["ETag"] == second.headers["ETag"]


def test_if_none_match_gives_304_until_the_programme_changes(client, make_programme):
    event = make_programme()
    url = f"/events/{event.slug}/calendar.ics"
    etag = client.get(url).headers["ETag"]

    unchanged = client.get(url, headers={"If-None-Match": etag})
    assert unchanged.status_code == 304
    assert unchanged.data == b""
    assert unchanged.headers["ETag"] == etag

    event.sessions[0].title = "Keynote: Zusammenhalt in Hessen"
    db.session.commit()
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
    assert "Zusammenhalt in Hessen" in changed.data.decode()


def test_if_modified_since_gives_304_until_the_programme_changes(client, make_programme):
    event = make_programme()
    long_ago = datetime(2026, 1, 1, tzinfo=UTC)
    backdate_programme(event, long_ago)
    url = f"/events/{event.slug}/calendar.ics"
    last_modified = client.get(url).headers["Last-Modified"]
    assert last_modified == http_date(long_ago)

    assert client.get(url, headers={"If-Modified-Since": last_modified}).status_code == 304
    older = http_date(long_ago - timedelta(days=1))
    assert client.get(url, headers={"If-Modified-Since": older}).status_code == 200

    session = db.session.get(Session, event.sessions[1].id)
    session.room = None
    db.session.commit()
    response = client.get(url, headers={"If-Modified-Since": last_modified})
    assert response.status_code == 200
    assert response.last_modified > long_ago


def test_removing_a_session_is_not_answered_with_304(client, make_programme):
    event = make_programme()
    long_ago = datetime(2026, 1, 1, tzinfo=UTC)
    backdate_programme(event, long_ago)
    url = f"/events/{event.slug}/calendar.ics"
    first = client.get(url)

    db.session.delete(db.session.get(Session, event.sessions[2].id))
    db.session.commit()

    for header in (
        {"If-Modified-Since": first.headers["Last-Modified"]},
        {"If-None-Match": first.headers["ETag"]},
    ):
        response = client.get(url, headers=header)
        assert response.status_code == 200
        assert response.data.count(b"BEGIN:VEVENT") == 2


def test_changing_speakers_changes_the_feed_even_when_cached(client, make_programme):
    event = make_programme()
    url = f"/events/{event.slug}/calendar.ics"
    etag = client.get(url).headers["ETag"]
    keynote = db.session.get(Session, event.sessions[0].id)
    speaker = keynote.speakers[0]
    speaker.name = "Prof. Dr. Erika Beispiel"
    db.session.commit()
    response = client.get(url, headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert "Prof. Dr. Erika Beispiel" in response.data.decode()


@pytest.mark.parametrize("feed", ["programme", "events", "personal"])
def test_warm_request_is_one_query_and_writes_nothing(
    client, make_programme, make_registration, feed
):
    event = make_programme()
    url = {
        "programme": f"/events/{event.slug}/calendar.ics",
        "events": "/calendar.ics",
        "personal": f"/calendar/{make_registration(event).calendar_token}.ics",
    }[feed]
    cold_body = client.get(url).data
    with statements() as seen:
        warm = client.get(url)
    assert warm.data == cold_body
    assert seen.count("SELECT") == 1
    assert not {"INSERT", "UPDATE", "DELETE"} & set(seen)


def test_cold_requests_write_nothing(client, make_programme, make_registration):
    event = make_programme()
    registration = make_registration(event)
    urls = [
        "/calendar.ics",
        f"/events/{event.slug}/calendar.ics",
        f"/events/{event.slug}/sessions/{event.sessions[0].id}.ics",
        f"/calendar/{registration.calendar_token}.ics",
    ]
    with statements() as seen:
        for url in urls:
            assert client.get(url).status_code == 200
    assert "SELECT" in seen
    assert not {"INSERT", "UPDATE", "DELETE"} & set(seen)


def test_head_answers_like_get_without_body(client, make_programme):
    event = make_programme()
    get = client.get(f"/events/{event.slug}/calendar.ics")
    head = client.head(f"/events/{event.slug}/calendar.ics")
    assert head.status_code == 200
    assert head.data == b""
    assert head.headers["ETag"] == get.headers["ETag"]


def test_feed_language_can_be_chosen_with_lang(client, make_programme):
    event = make_programme()
    event.sessions[2].status = "cancelled"
    db.session.commit()
    german = client.get(f"/events/{event.slug}/calendar.ics")
    english = client.get(f"/events/{event.slug}/calendar.ics?lang=en")
    assert german.status_code == 200
    assert b"SUMMARY:Cancelled: Werkstatt B" in english.data


def test_event_page_links_to_subscribe_and_download(client, make_programme):
    event = make_programme()
    page = client.get(f"/events/{event.slug}").data.decode()
    assert f'href="webcal://events.example.org/events/{event.slug}/calendar.ics"' in page
    assert f'href="http://events.example.org/events/{event.slug}/calendar.ics?download=1"' in page
    assert 'href="http://events.example.org/calendar/help"' in page

    track = event.tracks[0]
    filtered = client.get(f"/events/{event.slug}?track={track.id}").data.decode()
    assert (
        f"webcal://events.example.org/events/{event.slug}/calendar.ics?track={track.id}" in filtered
    )


def test_session_page_links_to_download_and_google_calendar(client, make_programme):
    event = make_programme()
    session = event.sessions[1]
    page = client.get(f"/events/{event.slug}/sessions/{session.id}").data.decode()
    assert f'href="http://events.example.org/events/{event.slug}/sessions/{session.id}.ics"' in page
    google = re.search(
        r'href="(https://calendar\.google\.com/calendar/render\?action=TEMPLATE[^"]+)"', page
    )
    assert google
    link = google.group(1).replace("&amp;", "&")
    start = session.starts_at.strftime("%Y%m%dT%H%M%SZ")
    end = session.ends_at.strftime("%Y%m%dT%H%M%SZ")
    assert f"dates={start}/{end}" in link
    assert "text=Werkstatt%20A%3A%20Teilhabe" in link
    assert "location=Gro%C3%9Fer%20Saal" in link
    assert "details=" in link


def test_manage_page_links_to_the_personal_feed(client, make_programme, make_registration):
    event = make_programme()
    registration = make_registration(event)
    with client.application.test_request_context():
        path = urlsplit(manage_url(registration)).path
    page = client.get(path)
    assert page.status_code == 200
    text = page.data.decode()
    feed = f"events.example.org/calendar/{registration.calendar_token}.ics"
    assert f"webcal://{feed}" in text
    assert f"http://{feed}?download=1" in text


def test_help_page_explains_the_four_calendar_apps(client):
    response = client.get("/calendar/help?lang=en")
    assert response.status_code == 200
    text = response.data.decode()
    for app_name in (
        "Microsoft Outlook",
        "Apple Calendar",
        "Google Calendar",
        "Mozilla Thunderbird",
    ):
        assert app_name in text
    assert "webcal://events.example.org/calendar.ics" in text
    assert client.get("/calendar/help").status_code == 200
