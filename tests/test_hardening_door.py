"""The door: cancelling after check-in or after the event, cancelled and draft events,
nonces bound to their scan, and what door staff see in the name search."""

from __future__ import annotations

import http.cookiejar
import json
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest
from support import all_at_once, api_headers, audit_actions, csrf_token_in, login, outbox

from eventapp.accounts import services as accounts
from eventapp.extensions import db
from eventapp.models import (
    CheckIn,
    EventStatus,
    Registration,
    RegistrationStatus,
    Role,
    ScanLog,
)
from eventapp.registration import services as registration_services


@pytest.fixture
def door(make_user):
    return make_user(Role.CHECKIN, email="door@example.org")


@pytest.fixture
def door_headers(door):
    return api_headers(door, "door")


def redeem(client, headers=None, **payload):
    payload.setdefault("event", "kongress")
    return client.post("/api/v1/checkin/redeem", json=payload, headers=headers or {})


def search(client, headers, query, slug="kongress"):
    return client.get(
        f"/api/v1/events/{slug}/checkin/search", query_string={"q": query}, headers=headers
    )


def fresh(registration_id: int) -> Registration:
    db.session.expire_all()
    return db.session.get(Registration, registration_id)


def statuses(event) -> dict[str, int]:
    rows = db.session.execute(
        db.select(Registration.status, db.func.count(Registration.id))
        .where(Registration.event_id == event.id)
        .group_by(Registration.status)
    ).all()
    return {str(status): n for status, n in rows}


def mail_kinds() -> list[str]:
    return [str(message.kind) for message in outbox()]


def logged() -> list[ScanLog]:
    return list(db.session.execute(db.select(ScanLog).order_by(ScanLog.id)).scalars())


# --- 8. cancelling after check-in ------------------------------------------------------


@pytest.fixture
def full_event(make_event, make_registration):
    """30 seats, 30 confirmed, one person waiting: the event of the issue."""
    event = make_event(slug="kongress", capacity=30)
    seated = [make_registration(event) for _ in range(30)]
    waiting = make_registration(event, status=RegistrationStatus.WAITLISTED)
    return event, seated, waiting


def test_checked_in_participant_cannot_cancel_on_the_manage_page(client, full_event, door_headers):
    event, seated, waiting = full_event
    guest = seated[0]
    assert redeem(client, door_headers, code=guest.ticket_code).json["status"] == "ok"
    manage = f"/registrations/{guest.manage_token}"

    page = client.get(manage + "?lang=en").get_data(as_text=True)
    assert "checked in at the event and can no longer be cancelled" in page
    assert 'id="cancel-link"' not in page
    question = client.get(manage + "/cancel?lang=en")
    assert question.status_code == 302
    assert "can no longer be cancelled" in client.get(manage + "?lang=en").get_data(as_text=True)

    response = client.post(manage + "/cancel?lang=en")
    assert response.status_code == 303
    followed = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "checked in at the event and can no longer be cancelled" in followed
    assert fresh(guest.id).status == RegistrationStatus.CONFIRMED
    # The seat was not given away: still 30 confirmed for 30 seats, and no mail went out.
    assert fresh(waiting.id).status == RegistrationStatus.WAITLISTED
    assert statuses(event) == {"confirmed": 30, "waitlisted": 1}
    assert mail_kinds() == []


def test_organizer_cannot_cancel_someone_checked_in(client, admin_client, full_event, door_headers):
    _event, seated, waiting = full_event
    guest = seated[0]
    redeem(client, door_headers, code=guest.ticket_code)
    response = admin_client.post(f"/admin/registrations/{guest.id}/cancel?lang=en")
    assert response.status_code == 302
    page = admin_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "can no longer be cancelled" in page
    assert fresh(guest.id).status == RegistrationStatus.CONFIRMED
    assert fresh(waiting.id).status == RegistrationStatus.WAITLISTED
    assert audit_actions() == []
    assert mail_kinds() == []


def test_check_in_to_a_workshop_also_counts_as_attended(
    app, english, make_programme, make_registration
):
    event = make_programme(slug="kongress", capacity=1)
    workshop = next(s for s in event.sessions if s.kind.value == "workshop")
    guest = make_registration(event)
    db.session.add(CheckIn(registration=guest, list_key=f"session:{workshop.id}"))
    db.session.commit()
    problem = registration_services.cancellation_problem(guest)
    assert problem is not None and problem.code == "cannot_cancel"


def test_undone_check_in_can_be_cancelled_again(client, full_event, door_headers):
    """A mistaken scan, undone at the door, does not keep the person from cancelling."""
    _event, seated, waiting = full_event
    guest = seated[0]
    redeem(client, door_headers, code=guest.ticket_code)
    client.post(
        "/api/v1/checkin/annul",
        json={"code": guest.ticket_code, "event": "kongress"},
        headers=door_headers,
    )
    response = client.post(f"/registrations/{guest.manage_token}/cancel")
    assert response.status_code == 303
    assert fresh(guest.id).status == RegistrationStatus.CANCELLED
    assert fresh(waiting.id).status == RegistrationStatus.CONFIRMED
    assert mail_kinds() == ["cancelled", "promoted"]


# --- 8. cancelling after the event ---------------------------------------------------


@pytest.fixture
def past_event(make_event, make_registration):
    """An event that ended yesterday: one seat taken, one person waiting."""
    start = datetime.now(UTC) - timedelta(days=1, hours=10)
    event = make_event(
        slug="kongress",
        capacity=1,
        starts_at=start,
        ends_at=start + timedelta(hours=8),
        registration_closes_at=start,
    )
    return (
        event,
        make_registration(event),
        make_registration(event, status=RegistrationStatus.WAITLISTED),
    )


def test_cancel_after_the_event_is_refused_without_promotion(client, past_event):
    _event, seated, waiting = past_event
    manage = f"/registrations/{seated.manage_token}"
    page = client.get(manage + "?lang=en").get_data(as_text=True)
    assert "The event is over; registrations can no longer be cancelled." in page
    assert 'id="cancel-link"' not in page

    response = client.post(manage + "/cancel?lang=en")
    followed = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The event is over" in followed
    assert fresh(seated.id).status == RegistrationStatus.CONFIRMED
    assert fresh(waiting.id).status == RegistrationStatus.WAITLISTED
    assert mail_kinds() == []


def test_organizer_cannot_cancel_or_promote_after_the_event(admin_client, past_event):
    event, seated, waiting = past_event
    admin_client.post(f"/admin/registrations/{seated.id}/cancel")
    assert fresh(seated.id).status == RegistrationStatus.CONFIRMED
    # Even with a seat made free, nobody moves up after the end: no mail about a past event.
    event.capacity = 5
    db.session.commit()
    admin_client.post(f"/admin/registrations/{waiting.id}/promote")
    assert fresh(waiting.id).status == RegistrationStatus.WAITLISTED
    assert audit_actions() == []
    assert mail_kinds() == []


def test_filling_from_the_waiting_list_stops_when_the_event_ends(app, english, past_event):
    event, _seated, waiting = past_event
    event.capacity = 5
    db.session.commit()
    assert registration_services.fill_from_waitlist(event, "admin:office") == []
    db.session.commit()
    assert fresh(waiting.id).status == RegistrationStatus.WAITLISTED
    assert mail_kinds() == []


@pytest.mark.slow
def test_scan_and_cancellation_at_the_same_moment_never_both_succeed(
    live_server, make_event, make_registration, make_user
):
    """Against a real server: each person is either checked in or cancelled, never both."""
    event = make_event(slug="kongress", capacity=10)
    people = [make_registration(event) for _ in range(10)]
    waiting = [make_registration(event, status=RegistrationStatus.WAITLISTED) for _ in range(10)]
    token = accounts.create_token(make_user(Role.CHECKIN), "door")
    pairs = [(p.id, p.ticket_code, p.manage_token) for p in people]
    waiting_ids = [w.id for w in waiting]
    db.session.commit()

    def scan(code):
        request = urllib.request.Request(
            live_server + "/api/v1/checkin/redeem",
            data=json.dumps({"code": code, "event": "kongress"}).encode(),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())["status"]

    def cancel_form(manage_token):
        """The participant's browser: the confirmation page with its CSRF token, not yet sent."""
        url = f"{live_server}/registrations/{manage_token}/cancel"
        opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        with opener.open(url, timeout=30) as page:
            token = csrf_token_in(page.read().decode())
        data = urllib.parse.urlencode({"csrf_token": token}).encode()

        def send():
            with opener.open(urllib.request.Request(url, data=data), timeout=30) as response:
                return response.status

        return send

    calls = []
    for _id, code, manage_token in pairs:
        calls += [lambda c=code: scan(c), cancel_form(manage_token)]
    results = all_at_once(calls)
    assert set(results[0::2]) <= {"ok", "cancelled"}

    db.session.expire_all()
    checked_in = set(db.session.execute(db.select(CheckIn.registration_id)).scalars())
    for (registration_id, _code, _token), answer in zip(pairs, results[0::2], strict=True):
        registration = db.session.get(Registration, registration_id)
        cancelled = registration.status == RegistrationStatus.CANCELLED
        assert cancelled != (registration_id in checked_in)
        assert (answer == "ok") == (registration_id in checked_in)
    promoted = sum(
        db.session.get(Registration, i).status == RegistrationStatus.CONFIRMED for i in waiting_ids
    )
    confirmed = statuses(event).get("confirmed", 0)
    assert confirmed == 10
    assert promoted == 10 - len(checked_in)
    db.session.commit()


# --- 8. cancelled events and nonces ----------------------------------------------------


def test_cancelled_event_answers_event_cancelled_and_logs_it(
    client, door_headers, make_event, make_registration
):
    event = make_event(slug="kongress", status=EventStatus.CANCELLED)
    guest = make_registration(event, first_name="Anna", last_name="Abgesagt")
    body = redeem(client, door_headers, code=guest.ticket_code).json
    assert body["status"] == "event_cancelled"
    assert body["registration"]["name"] == "Anna Abgesagt"
    unknown = redeem(client, door_headers, code="no-such-ticket").json
    assert unknown["status"] == "event_cancelled"
    assert "registration" not in unknown
    assert db.session.execute(db.select(CheckIn)).first() is None
    assert fresh(guest.id).checked_in_at is None
    assert [(log.result, log.registration_id) for log in logged()] == [
        ("event_cancelled", guest.id),
        ("event_cancelled", None),
    ]


def test_nonce_reused_for_another_code_is_a_fresh_logged_scan(
    client, door_headers, make_event, make_registration
):
    event = make_event(slug="kongress")
    guest = make_registration(event)
    gone = make_registration(event, status=RegistrationStatus.CANCELLED)
    first = redeem(client, door_headers, code=guest.ticket_code, nonce="n-1").json
    assert first["status"] == "ok"
    second = redeem(client, door_headers, code=gone.ticket_code, nonce="n-1").json
    assert second["status"] == "cancelled"
    assert second["registration"]["id"] == gone.id
    entries = logged()
    assert [(e.code, e.result, e.nonce) for e in entries] == [
        (guest.ticket_code, "ok", "n-1"),
        (gone.ticket_code, "cancelled", None),
    ]
    # The first scan's retry still gets its own first answer.
    assert redeem(client, door_headers, code=guest.ticket_code, nonce="n-1").json == first
    assert len(logged()) == 2


def test_nonce_reused_for_another_list_or_event_is_a_fresh_scan(
    client, door_headers, make_programme, make_registration
):
    event = make_programme(slug="kongress")
    keynote = next(s for s in event.sessions if s.kind.value == "keynote")
    guest = make_registration(event)
    assert redeem(client, door_headers, code=guest.ticket_code, nonce="n").json["status"] == "ok"
    other_list = redeem(client, door_headers, code=guest.ticket_code, list=keynote.id, nonce="n")
    assert other_list.json["status"] == "ok"
    assert other_list.json["list"] == keynote.id
    assert db.session.execute(db.select(db.func.count(CheckIn.id))).scalar() == 2
    assert len(logged()) == 2


# --- 9. what door staff see --------------------------------------------------------------


@pytest.fixture
def crowd(make_event, make_registration):
    """30 people whose names match "Meier"."""
    event = make_event(slug="kongress")
    return [
        make_registration(event, first_name="Jana", last_name=f"Meier {n:02}") for n in range(30)
    ]


def test_door_search_has_no_email_or_ticket_code_and_at_most_20_rows(client, door_headers, crowd):
    response = search(client, door_headers, "meier")
    assert response.status_code == 200
    results = response.json["results"]
    assert len(results) == 20
    for result in results:
        assert "email" not in result
        assert "ticket_code" not in result
    assert results[0]["name"] == "Jana Meier 00"
    body = response.get_data(as_text=True)
    assert "@example.org" not in body
    assert crowd[0].ticket_code not in body


def test_door_search_needs_two_characters(client, door_headers, crowd):
    response = search(client, door_headers, "m")
    assert response.status_code == 422
    assert response.json["error"]["code"] == "query_too_short"
    assert search(client, door_headers, "me").status_code == 200


def test_door_search_finds_a_whole_address_but_cannot_spell_one_out(
    client, door_headers, make_event, make_registration
):
    event = make_event(slug="kongress")
    guest = make_registration(event, email="Greta.Gast@Stadt-Buerstadt.de")
    found = search(client, door_headers, "greta.gast@stadt-buerstadt.de").json["results"]
    assert [r["id"] for r in found] == [guest.id]
    assert "email" not in found[0]
    for part in ("greta.g", "@stadt-buerstadt", "gast@"):
        assert search(client, door_headers, part).json["results"] == []


def test_admin_search_keeps_email_and_ticket_code(client, make_user, crowd):
    headers = api_headers(make_user(Role.ADMIN))
    results = search(client, headers, "meier 00").json["results"]
    assert [r["id"] for r in results] == [crowd[0].id]
    assert results[0]["email"] == crowd[0].email
    assert results[0]["ticket_code"] == crowd[0].ticket_code
    # Admins search in addresses too (the crowd's are person<n>@example.org).
    assert len(search(client, headers, "person").json["results"]) == 20


def test_scanner_page_explains_the_search_minimum(client, door, make_event):
    make_event(slug="kongress")
    login(client, door)
    page = client.get("/checkin/kongress?lang=en").get_data(as_text=True)
    assert 'id="search-hint"' in page
    assert "at least 2 characters" in page


# --- 9. one-tap check-in from a search hit, without the code -----------------------------


def test_search_hit_is_checked_in_by_registration_id_on_the_scanner_page(
    client, door, make_event, make_registration
):
    event = make_event(slug="kongress")
    guest = make_registration(event, first_name="Nora", last_name="Namenssuche")
    login(client, door)
    hit = search(client, {}, "namens").json["results"][0]
    body = redeem(client, registration_id=hit["id"], nonce="tap-1").json
    assert body["status"] == "ok"
    assert body["registration"]["name"] == "Nora Namenssuche"
    assert fresh(guest.id).checked_in_at is not None
    again = redeem(client, registration_id=hit["id"], nonce="tap-1").json
    assert again == body
    log = logged()
    assert [(e.registration_id, e.code, e.result) for e in log] == [(guest.id, "", "ok")]


def test_registration_id_of_another_event_is_unknown(client, door, make_event, make_registration):
    make_event(slug="kongress")
    stranger = make_registration(make_event(), first_name="Fremd")
    login(client, door)
    body = redeem(client, registration_id=stranger.id).json
    assert body["status"] == "unknown"
    assert "registration" not in body
    assert fresh(stranger.id).checked_in_at is None


def test_registration_id_is_refused_with_a_bearer_token(
    client, door_headers, make_event, make_registration
):
    guest = make_registration(make_event(slug="kongress"))
    response = redeem(client, door_headers, registration_id=guest.id)
    assert response.status_code == 403
    assert response.json["error"]["code"] == "forbidden"
    assert fresh(guest.id).checked_in_at is None
    assert logged() == []


@pytest.mark.parametrize(
    "payload",
    [
        {"registration_id": True},
        {"registration_id": "1"},
        {"registration_id": 0},
        {"registration_id": 2**63},
        {"registration_id": None},
        {"registration_id": 1, "code": "x"},
    ],
)
def test_bad_registration_id_is_422(client, door, make_event, payload):
    make_event(slug="kongress")
    login(client, door)
    response = redeem(client, **payload)
    assert response.status_code == 422
    assert set(response.json["error"]) == {"code", "message"}
    assert logged() == []


# --- 9. drafts are not open to check-in ------------------------------------------------


@pytest.fixture
def draft(make_event, make_registration):
    event = make_event(slug="entwurf", status=EventStatus.DRAFT)
    return event, make_registration(event, first_name="Dora", last_name="Draft")


@pytest.mark.parametrize("role", [Role.CHECKIN, Role.ADMIN])
def test_draft_event_is_refused_everywhere(client, make_user, draft, role):
    _event, guest = draft
    staff = make_user(role)
    headers = api_headers(staff)
    assert redeem(client, headers, code=guest.ticket_code, event="entwurf").status_code == 404
    annul = client.post(
        "/api/v1/checkin/annul",
        json={"code": guest.ticket_code, "event": "entwurf"},
        headers=headers,
    )
    assert annul.status_code == 404
    for path in ("status", "search?q=dora"):
        response = client.get(f"/api/v1/events/entwurf/checkin/{path}", headers=headers)
        assert response.status_code == 404
        assert response.json["error"]["code"] == "event_not_found"

    login(client, staff)
    assert client.get("/checkin/entwurf").status_code == 404
    assert client.get("/checkin/entwurf/log").status_code == 404
    undo = client.post("/checkin/entwurf/undo", data={"registration_id": guest.id, "list": "x"})
    assert undo.status_code == 404
    assert "/checkin/entwurf" not in client.get("/checkin/").get_data(as_text=True)
    assert fresh(guest.id).checked_in_at is None
    assert logged() == []


def test_published_event_opens_again_after_the_draft(client, door_headers, draft):
    event, guest = draft
    event.status = EventStatus.PUBLISHED
    db.session.commit()
    body = redeem(client, door_headers, code=guest.ticket_code, event="entwurf").json
    assert body["status"] == "ok"
