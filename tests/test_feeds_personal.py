"""The personal feed behind calendar_url, and the calendar attached to mails."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from support import choose

from eventapp.extensions import db
from eventapp.feeds.services import registration_calendar
from eventapp.models import (
    ChoiceStatus,
    EventStatus,
    RegistrationStatus,
    SessionStatus,
)
from eventapp.urls import calendar_url

HOST = "events.example.org"


def entries(calendar):
    return {str(c["UID"]): c for c in calendar.walk("VEVENT")}


@pytest.fixture
def participant(make_programme, make_registration):
    """A confirmed participant with a seat in workshop A and a waiting-list place in B."""
    event = make_programme()
    registration = make_registration(event)
    _keynote, workshop_a, workshop_b = event.sessions
    choose(registration, workshop_a)
    choose(registration, workshop_b, ChoiceStatus.WAITLISTED)
    return registration


def feed_path(registration) -> str:
    return f"/calendar/{registration.calendar_token}.ics"


def test_calendar_url_is_the_personal_feed(app, participant):
    with app.test_request_context():
        assert calendar_url(participant) == f"http://{HOST}{feed_path(participant)}"


def test_personal_feed_has_the_event_and_the_chosen_workshops(client, participant, parse_ical):
    event = participant.event
    _keynote, workshop_a, workshop_b = event.sessions
    response = client.get(feed_path(participant))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Cache-Control"].startswith("private")

    calendar, independent = parse_ical(response.data)
    found = entries(calendar)
    assert set(found) == {
        f"event-{event.id}@{HOST}",
        f"session-{workshop_a.id}@{HOST}",
        f"session-{workshop_b.id}@{HOST}",
    }
    assert str(found[f"event-{event.id}@{HOST}"]["STATUS"]) == "CONFIRMED"
    assert str(found[f"session-{workshop_a.id}@{HOST}"]["STATUS"]) == "CONFIRMED"
    assert str(found[f"session-{workshop_a.id}@{HOST}"]["SUMMARY"]) == workshop_a.title
    waiting = found[f"session-{workshop_b.id}@{HOST}"]
    assert str(waiting["STATUS"]) == "TENTATIVE"
    assert str(waiting["SUMMARY"]).endswith(workshop_b.title)
    assert str(waiting["SUMMARY"]) != workshop_b.title
    assert (
        found[f"session-{workshop_a.id}@{HOST}"]["DTSTART"].dt.astimezone(UTC)
        == workshop_a.starts_at
    )
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert calendar.walk("VTIMEZONE")
    assert len(independent.vevent_list) == 3


def test_personal_feed_shows_no_personal_data(client, participant):
    body = client.get(feed_path(participant)).data.decode()
    for private in (
        participant.email,
        participant.last_name,
        participant.manage_token,
        participant.ticket_code,
    ):
        assert private not in body
    assert "ORGANIZER" not in body and "ATTENDEE" not in body


def test_personal_feed_uses_the_programme_uids(client, participant, parse_ical):
    event = participant.event
    programme, _ = parse_ical(client.get(f"/events/{event.slug}/calendar.ics").data)
    personal, _ = parse_ical(client.get(feed_path(participant)).data)
    session_uids = {uid for uid in entries(personal) if uid.startswith("session-")}
    assert session_uids <= set(entries(programme))


def test_cancelled_registration_keeps_its_entries_marked_cancelled(client, participant, parse_ical):
    before = entries(parse_ical(client.get(feed_path(participant)).data)[0])
    participant.status = RegistrationStatus.CANCELLED
    participant.cancelled_at = datetime.now(UTC)
    db.session.commit()

    response = client.get(feed_path(participant))
    assert response.status_code == 200  # a 410 would make Thunderbird switch the calendar off
    calendar, independent = parse_ical(response.data)
    after = entries(calendar)
    assert set(after) == set(before)
    for uid, entry in after.items():
        assert str(entry["STATUS"]) == "CANCELLED"
        assert int(entry["SEQUENCE"]) > int(before[uid]["SEQUENCE"])
        assert str(entry["SUMMARY"]) != str(before[uid]["SUMMARY"])
    assert {e.status.value for e in independent.vevent_list} == {"CANCELLED"}


def test_promotion_from_the_waiting_list_shows_and_raises_sequence(client, participant, parse_ical):
    choice = next(c for c in participant.choices if c.status == ChoiceStatus.WAITLISTED)
    uid = f"session-{choice.session_id}@{HOST}"
    url = feed_path(participant)
    first = client.get(url)
    before = entries(parse_ical(first.data)[0])[uid]

    choice.status = ChoiceStatus.CONFIRMED
    choice.promoted_at = datetime.now(UTC)
    db.session.commit()

    response = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert response.status_code == 200
    after = entries(parse_ical(response.data)[0])[uid]
    assert str(after["STATUS"]) == "CONFIRMED"
    assert int(after["SEQUENCE"]) > int(before["SEQUENCE"])


def test_personal_feed_follows_programme_changes(client, participant, parse_ical):
    workshop = next(c.session for c in participant.choices if c.status == ChoiceStatus.CONFIRMED)
    first = client.get(feed_path(participant))
    workshop.status = SessionStatus.CANCELLED
    db.session.commit()
    response = client.get(feed_path(participant), headers={"If-None-Match": first.headers["ETag"]})
    assert response.status_code == 200
    entry = entries(parse_ical(response.data)[0])[f"session-{workshop.id}@{HOST}"]
    assert str(entry["STATUS"]) == "CANCELLED"


def test_unchanged_personal_feed_answers_304(client, participant):
    first = client.get(feed_path(participant))
    again = client.get(feed_path(participant), headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    since = client.get(
        feed_path(participant), headers={"If-Modified-Since": first.headers["Last-Modified"]}
    )
    assert since.status_code == 304


def test_cancelled_event_marks_the_personal_entries_cancelled(client, participant, parse_ical):
    participant.event.status = EventStatus.CANCELLED
    db.session.commit()
    calendar, _ = parse_ical(client.get(feed_path(participant)).data)
    assert {str(e["STATUS"]) for e in calendar.walk("VEVENT")} == {"CANCELLED"}


def test_waitlisted_registration_is_tentative(
    client, make_programme, make_registration, parse_ical
):
    registration = make_registration(make_programme(), status=RegistrationStatus.WAITLISTED)
    calendar, _ = parse_ical(client.get(feed_path(registration)).data)
    (entry,) = calendar.walk("VEVENT")
    assert str(entry["STATUS"]) == "TENTATIVE"


@pytest.mark.parametrize("token", ["unknown-token", "x" * 65, "%00"])
def test_unknown_token_is_404(client, participant, token):
    assert client.get(f"/calendar/{token}.ics").status_code == 404


def test_anonymized_registration_has_no_feed(client, participant):
    assert client.get(feed_path(participant)).status_code == 200  # now cached
    participant.anonymized_at = datetime.now(UTC)
    db.session.commit()
    assert client.get(feed_path(participant)).status_code == 404


def test_mail_attachment_matches_the_personal_feed_outside_a_request(
    app, client, participant, parse_ical
):
    # Mails are also built by the CLI, where there is no request.
    attachment = registration_calendar(participant)
    calendar, independent = parse_ical(attachment)
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert b"ORGANIZER" not in attachment
    assert attachment == client.get(feed_path(participant)).data
    assert len(independent.vevent_list) == 3
