"""No overbooking under load: many clients at once against a real multi-worker server."""

from __future__ import annotations

import http.cookiejar
import json
import re
import urllib.error
import urllib.parse
import urllib.request

import pytest
from sqlalchemy import select
from support import all_at_once

from eventapp.extensions import db
from eventapp.models import ChoiceStatus, Registration, RegistrationStatus, SessionChoice
from eventapp.registration import services

pytestmark = pytest.mark.slow

CLIENTS = 60
CAPACITY = 25


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    """One request; the status and the Location (for redirects) or body."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=120) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Location") or error.read().decode()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def register_via_api(base: str, slug: str, n: int, **extra):
    body = {
        "first_name": "Person",
        "last_name": str(n),
        "email": f"person{n}@example.org",
        "consent_privacy": True,
        **extra,
    }
    return lambda: post(
        f"{base}/api/v1/events/{slug}/registrations",
        json.dumps(body).encode(),
        {"Content-Type": "application/json"},
    )


def let_the_server_write() -> None:
    """End this process's transaction: outside requests SQLite begins IMMEDIATE, so an
    open one (e.g. from reading an expired attribute) would hold the write lock."""
    db.session.rollback()


def in_arrival_order(rows):
    return sorted(rows, key=lambda row: (row.created_at, row.id))


def registrations_of(event) -> list[Registration]:
    db.session.expire_all()
    rows = db.session.execute(select(Registration).where(Registration.event_id == event.id))
    return in_arrival_order(rows.scalars().all())


def test_sixty_registrations_for_twenty_five_seats(live_server, make_event):
    event = make_event(capacity=CAPACITY, waitlist_enabled=True)
    calls = [register_via_api(live_server, event.slug, n) for n in range(CLIENTS)]
    let_the_server_write()
    answers = all_at_once(calls)
    assert [status for status, _ in answers] == [201] * CLIENTS

    people = registrations_of(event)
    assert len(people) == CLIENTS
    statuses = [p.status for p in people]
    # Arrival order is (created_at, id): the first 25 to arrive hold the seats.
    assert statuses == [RegistrationStatus.CONFIRMED] * CAPACITY + [
        RegistrationStatus.WAITLISTED
    ] * (CLIENTS - CAPACITY)
    positions = [services.waitlist_position(p) for p in people[CAPACITY:]]
    assert positions == list(range(1, CLIENTS - CAPACITY + 1))
    assert services.seats_left(event) == 0
    reported = sorted(json.loads(body)["status"] for _, body in answers)
    assert reported.count("confirmed") == CAPACITY


def test_sixty_choices_for_a_workshop_of_twenty_five(live_server, make_event, make_session):
    event = make_event(capacity=200)
    workshop = make_session(event, capacity=CAPACITY)
    calls = [
        register_via_api(live_server, event.slug, n, session_ids=[workshop.id])
        for n in range(CLIENTS)
    ]
    let_the_server_write()
    answers = all_at_once(calls)
    assert [status for status, _ in answers] == [201] * CLIENTS

    people = registrations_of(event)
    assert {p.status for p in people} == {RegistrationStatus.CONFIRMED}
    choices = in_arrival_order(
        db.session.execute(select(SessionChoice).where(SessionChoice.session_id == workshop.id))
        .scalars()
        .all()
    )
    assert [c.status for c in choices] == [ChoiceStatus.CONFIRMED] * CAPACITY + [
        ChoiceStatus.WAITLISTED
    ] * (CLIENTS - CAPACITY)
    positions = [
        services.workshop_positions(c.registration)[workshop.id] for c in choices[CAPACITY:]
    ]
    assert positions == list(range(1, CLIENTS - CAPACITY + 1))
    assert services.session_seats_left(workshop) == 0


def test_sixty_submissions_of_one_email_make_one_registration(live_server, make_event):
    event = make_event()
    calls = [register_via_api(live_server, event.slug, 7) for _ in range(CLIENTS)]
    let_the_server_write()
    answers = all_at_once(calls)
    statuses = sorted(status for status, _ in answers)
    assert statuses == [201] + [409] * (CLIENTS - 1)
    assert all(
        json.loads(body)["error"]["code"] == "duplicate"
        for status, body in answers
        if status == 409
    )
    assert len(registrations_of(event)) == 1


def test_one_form_sent_sixty_times_gives_one_registration_and_one_answer(live_server, make_event):
    event = make_event()
    form_url = f"{live_server}/events/{event.slug}/register"
    let_the_server_write()
    cookies = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(cookies))
    with opener.open(form_url, timeout=30) as response:
        html = response.read().decode()
    fields = {
        name: re.search(rf'id="{name}" name="{name}" type="hidden" value="([^"]+)"', html).group(1)
        for name in ("csrf_token", "submission_key")
    }
    cookie = "; ".join(f"{c.name}={c.value}" for c in cookies)
    body = urllib.parse.urlencode(
        {
            **fields,
            "first_name": "Doppel",
            "last_name": "Klick",
            "email": "doppelklick@example.org",
            "consent_privacy": "y",
        }
    ).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
    answers = all_at_once([lambda: post(form_url, body, headers) for _ in range(CLIENTS)])
    assert {status for status, _ in answers} == {303}
    [registration] = registrations_of(event)
    assert {location for _, location in answers} == {
        f"/registrations/{registration.manage_token}/confirmation"
    }
