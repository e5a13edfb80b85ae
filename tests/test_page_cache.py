"""Cached public pages: rendered once per programme version and language, seats always live."""

from __future__ import annotations

import re
from datetime import timedelta
from types import SimpleNamespace

import flask
import pytest
import redis
import time_machine
from support import csrf_token_in, login

from eventapp import pagecache
from eventapp.extensions import db
from eventapp.models import Question, QuestionKind, RegistrationStatus

REDIS_URL = "redis://127.0.0.1:6379/5"


@pytest.fixture
def site(app, make_app):
    """The app as a server runs it: every request in an app context of its own.

    The test's own app context (``app``) would otherwise be shared by all its requests,
    and with it ``g``: the logged-in user and the CSRF token of the previous request.
    """
    return make_app()


@pytest.fixture
def client(site):
    return site.test_client()


def english(client, url: str, **headers: str):
    return client.get(url, headers={"Accept-Language": "en", **headers})


def stored_keys(site) -> int:
    with site.app_context():
        cache = pagecache.store()
    return len(cache._items)


def test_programme_page_is_stored_once_and_served_from_the_store(site, client, make_programme):
    event = make_programme()
    first = english(client, f"/events/{event.slug}")
    assert stored_keys(site) == 1
    with site.app_context():
        cache = pagecache.store()
        (key,) = cache._items
        cache._items[key] = cache._items[key].replace("</main>", "<p>from the store</p></main>")
    second = english(client, f"/events/{event.slug}")
    assert first.status_code == second.status_code == 200
    assert "from the store" in second.get_data(as_text=True)


def test_programme_edit_changes_the_page_at_once(app, client, make_programme):
    event = make_programme()
    assert "Werkstatt A: Teilhabe" in english(client, f"/events/{event.slug}").get_data(True)

    event.sessions[1].title = "Werkstatt A: Beteiligung"
    db.session.commit()

    html = english(client, f"/events/{event.slug}").get_data(as_text=True)
    assert "Werkstatt A: Beteiligung" in html
    assert "Werkstatt A: Teilhabe" not in html


def test_speaker_biography_edit_changes_the_speaker_pages_at_once(app, client, make_programme):
    event = make_programme()
    speaker = event.speakers[0]
    url = f"/events/{event.slug}/speakers/{speaker.id}"
    assert "Quartiersforscherin" not in english(client, url).get_data(as_text=True)

    speaker.role_title = "Quartiersforscherin"
    db.session.commit()

    assert "Quartiersforscherin" in english(client, url).get_data(as_text=True)
    listing = english(client, f"/events/{event.slug}/speakers").get_data(as_text=True)
    assert "Quartiersforscherin" in listing


def test_each_language_is_stored_apart(site, client, make_programme):
    event = make_programme()
    german = client.get(f"/events/{event.slug}", headers={"Accept-Language": "de"})
    english_page = english(client, f"/events/{event.slug}")
    german_again = client.get(f"/events/{event.slug}", headers={"Accept-Language": "de"})

    assert '<html lang="de">' in german.get_data(as_text=True)
    assert '<html lang="en">' in english_page.get_data(as_text=True)
    assert german_again.headers["ETag"] == german.headers["ETag"]
    assert german.headers["ETag"] != english_page.headers["ETag"]
    assert "Accept-Language" in english_page.headers["Vary"]
    assert stored_keys(site) == 2


def test_full_event_shows_fully_booked_right_after_the_last_seat_goes(
    site, client, make_programme, make_registration
):
    event = make_programme(capacity=2)
    make_registration(event)
    before = english(client, f"/events/{event.slug}").get_data(as_text=True)
    assert "1 seat left" in before
    assert f'href="/events/{event.slug}/register"' in before

    make_registration(event)  # the last seat, written past every cache

    after = english(client, f"/events/{event.slug}").get_data(as_text=True)
    assert "Fully booked" in after
    assert "1 seat left" not in after
    assert stored_keys(site) == 1  # the same stored page, the seats filled in afresh


def test_seats_are_filled_in_once_while_they_stay_the_same(
    site, client, make_programme, make_registration, monkeypatch
):
    fills: list[str] = []
    for name in ("fill_page", "fill_document"):
        real = getattr(pagecache, name)
        monkeypatch.setattr(
            pagecache,
            name,
            lambda text, numbers, real=real: fills.append(text[:1]) or real(text, numbers),
        )
    event = make_programme(capacity=3)
    page, document = f"/events/{event.slug}", f"/api/v1/events/{event.slug}"
    first = [english(client, page), english(client, document)]
    again = [english(client, page), english(client, document)]
    # The same content (the page's CSRF token is signed anew with the time).
    assert again[1].data == first[1].data
    assert [r.headers["ETag"] for r in again] == [r.headers["ETag"] for r in first]
    assert len(fills) == 2  # once each; the second requests sent what was filled before

    make_registration(event)

    assert "2 seats left" in english(client, page).get_data(as_text=True)
    assert english(client, document).get_json()["seats_left"] == 2
    assert len(fills) == 4


def test_workshop_seats_on_programme_session_page_and_api_are_live(
    app, client, make_programme, make_registration
):
    from support import choose

    event = make_programme()
    workshop = event.sessions[2]  # Werkstatt B, 25 seats
    session_url = f"/events/{event.slug}/sessions/{workshop.id}"
    assert "25 seats left" in english(client, session_url).get_data(as_text=True)
    assert english(client, f"/api/v1/events/{event.slug}").json["sessions"][2]["seats_left"] == 25

    choose(make_registration(event), workshop)
    db.session.commit()

    assert "24 seats left" in english(client, session_url).get_data(as_text=True)
    assert "24 seats left" in english(client, f"/events/{event.slug}").get_data(as_text=True)
    document = english(client, f"/api/v1/events/{event.slug}").json
    assert document["sessions"][2]["seats_left"] == 24
    assert document["seats_left"] == 199


def test_event_list_seats_are_live(app, client, make_event, make_registration):
    event = make_event(capacity=1)
    assert "1 seat left" in english(client, "/").get_data(as_text=True)
    make_registration(event)
    assert "Fully booked" in english(client, "/").get_data(as_text=True)


def test_registration_window_is_live_in_page_and_api(site, client, make_programme):
    event = make_programme()
    url = f"/events/{event.slug}"
    assert f'href="/events/{event.slug}/register"' in english(client, url).get_data(True)

    # Registration closes by the clock, with no programme edit a version could see.
    with time_machine.travel(event.registration_closes_at + timedelta(minutes=1), tick=False):
        html = english(client, url).get_data(as_text=True)
        document = english(client, f"/api/v1/events/{event.slug}").json
    assert f'href="/events/{event.slug}/register"' not in html
    assert "Registration is not open" in html
    assert document["registration_open"] is False
    assert stored_keys(site) == 2  # the page and the document, each stored once


def test_organizer_navigation_never_reaches_anonymous_visitors(site, client, admin, make_programme):
    event = make_programme()
    admin_client = site.test_client()
    log_in(admin_client, admin)
    organizer = english(admin_client, f"/events/{event.slug}").get_data(as_text=True)
    assert "Back office" in organizer

    anonymous = english(client, f"/events/{event.slug}").get_data(as_text=True)
    assert "Back office" not in anonymous
    assert "Log out" not in anonymous
    # And the other way round: a stored anonymous page is not what an organizer gets.
    assert "Back office" in english(admin_client, f"/events/{event.slug}").get_data(True)
    assert stored_keys(site) == 1


def test_flash_message_is_shown_once_and_never_stored(site, client, make_programme):
    event = make_programme()
    english(client, f"/events/{event.slug}")  # a stored page exists
    with client.session_transaction() as browser:
        browser["_flashes"] = [("info", "Nur für Sie bestimmt")]

    assert "Nur für Sie bestimmt" in english(client, f"/events/{event.slug}").get_data(True)
    other = site.test_client()
    assert "Nur für Sie bestimmt" not in english(other, f"/events/{event.slug}").get_data(True)
    assert "Nur für Sie bestimmt" not in english(client, f"/events/{event.slug}").get_data(True)


def test_stored_pages_carry_no_visitors_token_or_cookie(site, make_programme):
    event = make_programme()
    first, second = site.test_client(), site.test_client()
    one = english(first, f"/events/{event.slug}")
    two = english(second, f"/events/{event.slug}")

    assert one.get_data() == two.get_data()
    assert "csrf_token" not in one.get_data(as_text=True)
    assert "Set-Cookie" not in one.headers and "Set-Cookie" not in two.headers


def test_a_form_on_a_stored_page_gets_each_visitors_own_token(site):
    """Should a stored page hold a form, it stores a marker, and each visitor gets a token
    of their own in its place."""
    template = '<input name="csrf_token" value="{{ csrf_token() }}">'
    tokens = []
    for _visitor in range(2):
        with site.test_request_context("/"):
            flask.g.pagecache_markers = True
            stored = flask.render_template_string(template)
            flask.g.pagecache_markers = False
            assert pagecache.CSRF_MARKER in stored
            answer = pagecache._finish(stored, "etag", "text/html")
            body = answer.get_data(as_text=True)
            assert pagecache.CSRF_MARKER not in body
            tokens.append(csrf_token_in(body))
    assert tokens[0] and tokens[0] != tokens[1]


def test_unchanged_page_answers_304_and_a_new_seat_count_a_new_etag(
    app, client, make_programme, make_registration
):
    event = make_programme()
    for url in (f"/events/{event.slug}", f"/api/v1/events/{event.slug}", "/"):
        first = english(client, url)
        etag = first.headers["ETag"]
        assert first.headers["Cache-Control"] == "no-cache"

        again = english(client, url, **{"If-None-Match": etag})
        assert again.status_code == 304, url
        assert again.data == b""

    make_registration(event)
    changed = english(client, f"/events/{event.slug}", **{"If-None-Match": etag})
    assert changed.status_code == 200


def test_api_document_follows_programme_and_question_edits(app, client, make_programme):
    event = make_programme()
    url = f"/api/v1/events/{event.slug}"
    assert english(client, url).json["questions"] == []

    question = Question(event=event, kind=QuestionKind.SHORT_TEXT, label="Ernährung", position=1)
    db.session.add(question)
    event.sessions[0].title = "Keynote: Zusammenhalt"
    db.session.commit()

    document = english(client, url).json
    assert [q["label"] for q in document["questions"]] == ["Ernährung"]
    assert document["sessions"][0]["title"] == "Keynote: Zusammenhalt"


def test_missing_session_is_404_and_stores_nothing(site, client, make_programme):
    event = make_programme()
    assert english(client, f"/events/{event.slug}/sessions/999999").status_code == 404
    assert stored_keys(site) == 0


def test_login_page_of_an_organizer_still_logs_in(app, client, admin, make_programme):
    """A stored page must not break the forms around it (login keeps its own token)."""
    event = make_programme()
    english(client, f"/events/{event.slug}")
    log_in(client, admin)
    assert "Back office" in english(client, f"/events/{event.slug}").get_data(True)


def log_in(client, user) -> None:
    """Log in through ``client``'s app; the test's own transaction must not hold SQLite's lock."""
    account = SimpleNamespace(email=user.email)
    db.session.commit()
    login(client, account)


# --- Redis, shared between instances ------------------------------------------------------


@pytest.fixture
def shared_redis():
    connection = redis.Redis.from_url(REDIS_URL)
    connection.flushdb()
    yield connection
    connection.flushdb()


def test_redis_store_is_shared_between_two_instances(
    app, make_app, make_programme, make_registration, shared_redis
):
    event = make_programme(capacity=1)
    one = make_app(CACHE_URL=REDIS_URL)
    two = make_app(CACHE_URL=REDIS_URL)
    url = f"/events/{event.slug}"

    assert "1 seat left" in english(one.test_client(), url).get_data(as_text=True)
    (key,) = shared_redis.keys(pagecache.KEY_PREFIX + "*")
    stored = shared_redis.get(key).decode()
    shared_redis.set(key, stored.replace("</main>", "<p>from Redis</p></main>"))

    html = english(two.test_client(), url).get_data(as_text=True)
    assert "from Redis" in html
    assert len(shared_redis.keys("*")) == 1

    make_registration(event)  # seats are never taken from the stored page
    assert "Fully booked" in english(two.test_client(), url).get_data(as_text=True)

    event.title = "Fachkongress Lampertheim"  # an edit on one instance …
    db.session.commit()
    assert "Fachkongress Lampertheim" in english(two.test_client(), url).get_data(True)
    assert len(shared_redis.keys("*")) == 2  # … is a new version for every instance


def test_unreachable_redis_means_rendering_not_an_error(app, make_app, make_programme):
    event = make_programme()
    lost = make_app(CACHE_URL="redis://127.0.0.1:1/5")
    response = english(lost.test_client(), f"/events/{event.slug}")
    assert response.status_code == 200
    assert "Werkstatt A: Teilhabe" in response.get_data(as_text=True)


def test_cancelled_registrations_free_a_seat_at_once(app, client, make_event, make_registration):
    event = make_event(capacity=1)
    registration = make_registration(event)
    assert "Fully booked" in english(client, f"/events/{event.slug}").get_data(True)
    registration.status = RegistrationStatus.CANCELLED
    db.session.commit()
    assert re.search(r"1 seat left", english(client, f"/events/{event.slug}").get_data(True))


def test_only_the_pages_own_parameters_are_stored(site, client, make_programme):
    event = make_programme()
    track = event.tracks[0]
    english(client, f"/events/{event.slug}?utm_source=newsletter")
    english(client, f"/events/{event.slug}?track=banana")
    assert stored_keys(site) == 0

    filtered = english(client, f"/events/{event.slug}?track={track.id}").get_data(as_text=True)
    whole = english(client, f"/events/{event.slug}").get_data(as_text=True)
    assert stored_keys(site) == 2
    assert "Werkstatt B: Lebensqualität" in whole
    assert "Werkstatt B: Lebensqualität" not in filtered


def test_a_stored_page_costs_one_statement_with_every_workshops_seats(
    app, client, make_programme, make_registration
):
    """The version, the event's seats and each workshop's seats come in one statement;
    a cancelled registration counts apart, waitlisted choices hold no seat."""
    from sqlalchemy import event as sa_event
    from sqlalchemy.engine import Engine

    from eventapp.models import ChoiceStatus, SessionChoice
    from eventapp.public.services import get_public_programme

    event = make_programme()
    keynote, workshop_a, workshop_b = sorted(event.sessions, key=lambda s: s.id)
    for status in (RegistrationStatus.CONFIRMED, RegistrationStatus.CONFIRMED):
        make_registration(
            event,
            status=status,
            choices=[SessionChoice(session=workshop_a, status=ChoiceStatus.CONFIRMED)],
        )
    make_registration(event, status=RegistrationStatus.CANCELLED)
    make_registration(
        event, choices=[SessionChoice(session=workshop_b, status=ChoiceStatus.WAITLISTED)]
    )
    url = f"/events/{event.slug}"
    english(client, url)
    english(client, f"/api/v1/events/{event.slug}")

    seen: list[str] = []

    def note(conn, cursor, statement, *_args) -> None:
        if not statement.startswith(("BEGIN", "COMMIT", "ROLLBACK")):
            seen.append(statement)

    sa_event.listen(Engine, "before_cursor_execute", note)
    try:
        assert english(client, url).status_code == 200
        page_statements = len(seen)
        document = english(client, f"/api/v1/events/{event.slug}").get_json()
    finally:
        sa_event.remove(Engine, "before_cursor_execute", note)
    assert page_statements == 1
    assert len(seen) == 2

    seats = get_public_programme(event.slug).seats
    assert (seats.confirmed, seats.waitlisted, seats.cancelled) == (3, 0, 1)
    assert seats.sessions[keynote.id].capacity is None
    assert (seats.sessions[workshop_a.id].confirmed, seats.sessions[workshop_a.id].left) == (2, 28)
    assert (seats.sessions[workshop_b.id].confirmed, seats.sessions[workshop_b.id].waitlisted) == (
        0,
        1,
    )
    left = {item["id"]: item["seats_left"] for item in document["sessions"]}
    assert left == {keynote.id: None, workshop_a.id: 28, workshop_b.id: 25}


def test_a_cancellation_gives_the_workshop_seat_back_on_the_stored_document(
    app, client, make_programme
):
    from eventapp.registration import services
    from eventapp.registration.applicant import RegistrationInput

    event = make_programme()
    workshop = max(event.sessions, key=lambda s: s.id)
    person = services.register(
        event,
        RegistrationInput(
            first_name="Jörg", last_name="Müller", email="j@example.org", consent_privacy=True
        ),
        [workshop.id],
        "de",
    )
    db.session.commit()
    url = f"/api/v1/events/{event.slug}"

    def left() -> int:
        sessions = english(client, url).get_json()["sessions"]
        return next(item["seats_left"] for item in sessions if item["id"] == workshop.id)

    assert left() == workshop.capacity - 1
    services.cancel_registration(person)
    db.session.commit()
    assert left() == workshop.capacity
