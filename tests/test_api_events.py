"""Public read API: `GET /api/v1/events` and `GET /api/v1/events/<slug>`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from clock import CONGRESS_YEAR
from support import choose

from eventapp.extensions import db
from eventapp.models import (
    ChoiceStatus,
    EventKind,
    EventStatus,
    RegistrationStatus,
    SessionKind,
)
from eventapp.registration import availability

EVENT_FIELDS = {
    "slug",
    "kind",
    "title",
    "starts_at",
    "ends_at",
    "timezone",
    "venue",
    "address",
    "capacity",
    "seats_left",
    "waitlist_enabled",
    "registration_open",
}
SESSION_FIELDS = {
    "id",
    "title",
    "kind",
    "track_id",
    "room",
    "starts_at",
    "ends_at",
    "capacity",
    "seats_left",
    "status",
    "speakers",
}


def test_list_shows_published_congress_and_site_visits_soonest_first(client, make_event):
    congress = make_event(slug="kongress")
    visit = make_event(
        slug="besuch",
        kind=EventKind.SITE_VISIT,
        capacity=25,
        starts_at=congress.starts_at + timedelta(days=30),
        ends_at=congress.starts_at + timedelta(days=30, hours=3),
    )
    make_event(slug="entwurf", status=EventStatus.DRAFT)

    response = client.get("/api/v1/events")

    assert response.status_code == 200
    events = response.get_json()
    assert [e["slug"] for e in events] == [congress.slug, visit.slug]
    assert [e["kind"] for e in events] == ["congress", "site_visit"]
    for item in events:
        assert set(item) >= EVENT_FIELDS


def test_event_times_carry_a_utc_offset(client, make_event):
    make_event(slug="kongress", starts_at=datetime(CONGRESS_YEAR, 5, 16, 6, 30, tzinfo=UTC))

    item = client.get("/api/v1/events").get_json()[0]

    assert item["starts_at"] == f"{CONGRESS_YEAR}-05-16T08:30:00+02:00"
    assert datetime.fromisoformat(item["starts_at"]) == datetime(
        CONGRESS_YEAR, 5, 16, 6, 30, tzinfo=UTC
    )
    assert item["timezone"] == "Europe/Berlin"


def test_detail_has_programme_tracks_rooms_and_speakers(client, make_programme):
    event = make_programme(slug="kongress")

    response = client.get("/api/v1/events/kongress")

    assert response.status_code == 200
    body = response.get_json()
    assert set(body) >= EVENT_FIELDS
    assert {t["name"] for t in body["tracks"]} == {t.name for t in event.tracks}
    assert set(body["tracks"][0]) >= {"id", "name"}
    assert {r["name"] for r in body["rooms"]} == {"Großer Saal", "Raum Rhein"}
    assert [s["name"] for s in body["speakers"]] == ["Dr. Erika Beispiel"]
    assert len(body["sessions"]) == 3
    for item in body["sessions"]:
        assert set(item) >= SESSION_FIELDS
    keynote = next(s for s in body["sessions"] if s["kind"] == "keynote")
    assert keynote["capacity"] is None and keynote["seats_left"] is None
    assert keynote["room"] == "Großer Saal"
    assert keynote["speakers"][0]["organisation"] == "Hochschule Darmstadt"
    workshop = next(s for s in body["sessions"] if s["title"] == "Werkstatt B: Lebensqualität")
    track_ids = {t["name"]: t["id"] for t in body["tracks"]}
    assert workshop["track_id"] == track_ids["Lebensqualität"]
    assert workshop["capacity"] == 25 and workshop["seats_left"] == 25


def test_seats_left_counts_only_confirmed_registrations_and_choices(
    client, make_programme, make_registration
):
    event = make_programme(slug="kongress", capacity=10)
    workshop = next(s for s in event.sessions if s.kind == SessionKind.WORKSHOP)
    confirmed = make_registration(event)
    choose(confirmed, workshop)
    waiting = make_registration(event, status=RegistrationStatus.WAITLISTED)
    choose(waiting, workshop, ChoiceStatus.WAITLISTED)
    make_registration(event, status=RegistrationStatus.CANCELLED)

    body = client.get("/api/v1/events/kongress").get_json()

    assert body["capacity"] == 10
    assert body["seats_left"] == 9
    by_id = {s["id"]: s for s in body["sessions"]}
    assert by_id[workshop.id]["seats_left"] == workshop.capacity - 1
    assert client.get("/api/v1/events").get_json()[0]["seats_left"] == 9


def test_seats_left_never_goes_below_zero(client, make_event, make_registration):
    event = make_event(slug="klein", capacity=1)
    make_registration(event)
    make_registration(event)

    body = client.get("/api/v1/events/klein").get_json()

    assert body["seats_left"] == 0


def test_registration_open_follows_status_and_window(client, make_event):
    now = datetime.now(UTC)
    make_event(slug="offen")
    make_event(slug="bald", registration_opens_at=now + timedelta(days=1))
    make_event(
        slug="vorbei",
        registration_opens_at=now - timedelta(days=10),
        registration_closes_at=now - timedelta(days=1),
    )
    make_event(slug="abgesagt", status=EventStatus.CANCELLED)

    def is_open(slug: str) -> bool:
        return client.get(f"/api/v1/events/{slug}").get_json()["registration_open"]

    assert is_open("offen") is True
    assert is_open("bald") is False
    assert is_open("vorbei") is False
    assert is_open("abgesagt") is False


def test_registration_open_helper_uses_the_given_moment(app, make_event):
    event = make_event(slug="fenster")

    closes, opens = event.registration_closes_at, event.registration_opens_at
    assert availability.registration_open(event, closes - timedelta(seconds=1))
    assert not availability.registration_open(event, closes)
    assert not availability.registration_open(event, opens - timedelta(days=1))


def test_draft_event_is_not_found(client, make_event):
    make_event(slug="entwurf", status=EventStatus.DRAFT)

    response = client.get("/api/v1/events/entwurf")

    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "event_not_found"


def test_unknown_event_answers_the_json_error_shape(client):
    response = client.get("/api/v1/events/gibt-es-nicht")

    assert response.status_code == 404
    assert response.is_json
    error = response.get_json()["error"]
    assert set(error) == {"code", "message"}
    assert error["message"]


def test_wrong_method_answers_json_not_html(client):
    response = client.delete("/api/v1/events")

    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == "method_not_allowed"


def test_api_needs_no_csrf_token(client, make_event):
    # With CSRF on, a POST to the API is still answered by the API, not refused for CSRF.
    make_event(slug="kongress")
    app = client.application
    app.config["WTF_CSRF_ENABLED"] = True

    response = client.post("/api/v1/events", json={})

    assert response.status_code == 405
    assert response.get_json()["error"]["code"] != "csrf_failed"


def test_read_requests_do_not_write(client, make_programme):
    event = make_programme(slug="kongress")
    stamp = event.updated_at

    client.get("/api/v1/events")
    client.get("/api/v1/events/kongress")

    db.session.expire_all()
    assert event.updated_at == stamp
    assert [s.sequence for s in event.sessions] == [0, 0, 0]


def test_registration_open_agrees_with_the_registration_rules(app, make_event):
    now = datetime.now(UTC)
    events = [
        make_event(),
        make_event(registration_opens_at=now + timedelta(days=1)),
        make_event(registration_closes_at=now - timedelta(days=1)),
        make_event(registration_opens_at=None, registration_closes_at=None),
        make_event(status=EventStatus.CANCELLED),
        make_event(status=EventStatus.DRAFT),
    ]

    with app.test_request_context():
        for event in events:
            # The bool the API shows and the error the registration service raises agree.
            is_open = availability.registration_open(event, now)
            assert is_open == (availability.registration_problem(event, now) is None), event.slug
