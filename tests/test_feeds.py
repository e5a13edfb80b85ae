"""Calendar feeds: what each entry says, read back by two independent parsers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from eventapp.extensions import db
from eventapp.models import EventStatus, Room, SessionStatus, Track

HOST = "events.example.org"


def entries(calendar):
    return {str(c["UID"]): c for c in calendar.walk("VEVENT")}


def vobject_entries(calendar):
    return {e.uid.value: e for e in calendar.vevent_list}


def test_programme_feed_has_one_entry_per_session_with_every_property(
    client, make_programme, parse_ical
):
    event = make_programme(latitude=Decimal("49.6427"), longitude=Decimal("8.4588"))
    response = client.get(f"/events/{event.slug}/calendar.ics")

    assert response.status_code == 200
    calendar, independent = parse_ical(response.data)
    assert len(calendar.walk("VEVENT")) == len(event.sessions) == 3
    assert len(independent.vevent_list) == 3

    assert str(calendar["PRODID"]).startswith("-//")
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["CALSCALE"]) == "GREGORIAN"
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert str(calendar["NAME"]) == str(calendar["X-WR-CALNAME"]) == event.title
    assert str(calendar["X-WR-TIMEZONE"]) == "Europe/Berlin"
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n" in response.data
    assert b"X-PUBLISHED-TTL:PT1H\r\n" in response.data
    assert str(calendar["URL"]) == f"http://{HOST}/events/{event.slug}"
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/Berlin"]

    workshop = next(s for s in event.sessions if s.title == "Werkstatt A: Teilhabe")
    entry = entries(calendar)[f"session-{workshop.id}@{HOST}"]
    assert str(entry["SUMMARY"]) == "Werkstatt A: Teilhabe"
    assert entry["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert entry["DTSTART"].dt.astimezone(UTC) == workshop.starts_at
    assert entry["DTEND"].dt.astimezone(UTC) == workshop.ends_at
    assert entry["DTSTAMP"].dt == workshop.updated_at.replace(microsecond=0)
    assert entry["LAST-MODIFIED"].dt == workshop.updated_at.replace(microsecond=0)
    assert int(entry["SEQUENCE"]) == workshop.sequence
    assert str(entry["STATUS"]) == "CONFIRMED"
    assert (
        str(entry["LOCATION"])
        == "Großer Saal, Bürgerhaus Bürstadt, Nibelungenstraße 1, 68642 Bürstadt"
    )
    assert entry["GEO"].latitude == pytest.approx(49.6427)
    assert entry["GEO"].longitude == pytest.approx(8.4588)
    assert entry["CATEGORIES"].cats == ["Gesellschaftliche Teilhabe und Integration"]
    url = f"http://{HOST}/events/{event.slug}/sessions/{workshop.id}"
    assert str(entry["URL"]) == url
    assert "Wie Nachbarschaften zusammenfinden." in str(entry["DESCRIPTION"])
    assert url in str(entry["DESCRIPTION"])

    keynote = next(s for s in event.sessions if s.title.startswith("Keynote"))
    keynote_entry = entries(calendar)[f"session-{keynote.id}@{HOST}"]
    assert "Dr. Erika Beispiel, Hochschule Darmstadt" in str(keynote_entry["DESCRIPTION"])
    assert "CATEGORIES" not in keynote_entry


def test_geo_is_left_out_when_the_place_is_unknown(client, make_programme, parse_ical):
    event = make_programme()
    calendar, _ = parse_ical(client.get(f"/events/{event.slug}/calendar.ics").data)
    assert all("GEO" not in entry for entry in calendar.walk("VEVENT"))


@pytest.mark.parametrize(
    ("local_start", "utc_start"),
    [
        # Summer time begins at 02:00 on 28 March 2027: an hour before and just after.
        (datetime(2027, 3, 28, 1, 30), datetime(2027, 3, 28, 0, 30, tzinfo=UTC)),
        (datetime(2027, 3, 28, 9, 0), datetime(2027, 3, 28, 7, 0, tzinfo=UTC)),
        # Winter time returns at 03:00 on 31 October 2027.
        (datetime(2027, 10, 31, 1, 30), datetime(2027, 10, 30, 23, 30, tzinfo=UTC)),
        (datetime(2027, 10, 31, 9, 0), datetime(2027, 10, 31, 8, 0, tzinfo=UTC)),
        # The congress day itself (summer time): 09:00 in Bürstadt is 07:00 UTC.
        (datetime(2027, 5, 16, 9, 0), datetime(2027, 5, 16, 7, 0, tzinfo=UTC)),
        (datetime(2027, 1, 14, 9, 0), datetime(2027, 1, 14, 8, 0, tzinfo=UTC)),
    ],
)
def test_times_in_berlin_map_to_the_right_utc_instants_around_dst(
    client, make_event, make_session, parse_ical, local_start, utc_start
):
    event = make_event(
        starts_at=utc_start - timedelta(hours=1), ends_at=utc_start + timedelta(hours=9)
    )
    session = make_session(event, starts_at=utc_start, ends_at=utc_start + timedelta(hours=1))

    body = client.get(f"/events/{event.slug}/calendar.ics").data
    assert f"DTSTART;TZID=Europe/Berlin:{local_start:%Y%m%dT%H%M%S}\r\n".encode() in body
    calendar, independent = parse_ical(body)
    entry = entries(calendar)[f"session-{session.id}@{HOST}"]
    assert entry["DTSTART"].dt.astimezone(UTC) == utc_start
    # vobject reads the times through the VTIMEZONE in the file, not a built-in database.
    read = vobject_entries(independent)[f"session-{session.id}@{HOST}"]
    assert read.dtstart.value.astimezone(UTC) == utc_start
    assert read.dtend.value.astimezone(UTC) == utc_start + timedelta(hours=1)


def test_the_repeated_hour_after_dst_ends_is_written_in_utc_both_times(
    client, make_event, make_session, parse_ical
):
    # 02:30 happens twice on 31 October 2027; parsers disagree which one a TZID time means.
    first = datetime(2027, 10, 31, 0, 30, tzinfo=UTC)  # 02:30 CEST
    second = datetime(2027, 10, 31, 1, 30, tzinfo=UTC)  # 02:30 CET
    event = make_event(starts_at=first - timedelta(hours=1), ends_at=first + timedelta(hours=6))
    early = make_session(
        event, title="Nachtwanderung", starts_at=first, ends_at=first + timedelta(minutes=20)
    )
    late = make_session(
        event, title="Sternwarte", starts_at=second, ends_at=second + timedelta(minutes=20)
    )

    body = client.get(f"/events/{event.slug}/calendar.ics").data
    assert body.count(b"DTSTART:20271031T") == 2  # in UTC, no TZID to misread
    calendar, independent = parse_ical(body)
    for session in (early, late):
        uid = f"session-{session.id}@{HOST}"
        assert entries(calendar)[uid]["DTSTART"].dt.astimezone(UTC) == session.starts_at
        assert vobject_entries(independent)[uid].dtstart.value.astimezone(UTC) == session.starts_at


def test_vtimezone_uses_compact_yearly_rules(client, make_programme, parse_ical):
    event = make_programme()
    calendar, _ = parse_ical(client.get(f"/events/{event.slug}/calendar.ics").data)
    (timezone,) = calendar.walk("VTIMEZONE")
    rules = {c.name: c for c in timezone.subcomponents}
    assert set(rules) == {"DAYLIGHT", "STANDARD"}
    assert "RDATE" not in rules["DAYLIGHT"]
    assert rules["DAYLIGHT"]["RRULE"]["BYMONTH"] == [3]
    assert rules["DAYLIGHT"]["RRULE"]["BYDAY"] == ["-1SU"]
    assert rules["STANDARD"]["RRULE"]["BYMONTH"] == [10]
    assert rules["DAYLIGHT"]["TZOFFSETTO"].td == timedelta(hours=2)
    assert rules["STANDARD"]["TZOFFSETTO"].td == timedelta(hours=1)


def test_uids_stay_and_sequence_rises_when_a_session_is_edited(client, make_programme, parse_ical):
    event = make_programme()
    url = f"/events/{event.slug}/calendar.ics"
    first, _ = parse_ical(client.get(url).data)
    second, _ = parse_ical(client.get(url).data)
    assert entries(first).keys() == entries(second).keys()
    assert all(uid.startswith("session-") and uid.endswith(f"@{HOST}") for uid in entries(first))

    session = event.sessions[1]
    uid = f"session-{session.id}@{HOST}"
    before = int(entries(first)[uid]["SEQUENCE"])
    session.starts_at += timedelta(minutes=15)
    session.ends_at += timedelta(minutes=15)
    db.session.commit()

    after, independent = parse_ical(client.get(url).data)
    assert entries(after).keys() == entries(first).keys()
    assert int(entries(after)[uid]["SEQUENCE"]) > before
    assert entries(after)[uid]["DTSTART"].dt.astimezone(UTC) == session.starts_at
    assert int(vobject_entries(independent)[uid].sequence.value) > before
    untouched = f"session-{event.sessions[0].id}@{HOST}"
    assert entries(after)[untouched]["SEQUENCE"] == entries(first)[untouched]["SEQUENCE"]


def test_renaming_a_room_moves_its_sessions_to_a_new_revision(client, make_programme, parse_ical):
    event = make_programme()
    url = f"/events/{event.slug}/calendar.ics"
    room = db.session.execute(db.select(Room).where(Room.name == "Raum Rhein")).scalar_one()
    session = next(s for s in event.sessions if s.room_id == room.id)
    before = entries(parse_ical(client.get(url).data)[0])[f"session-{session.id}@{HOST}"]

    room.name = "Raum Main"
    db.session.commit()

    after = entries(parse_ical(client.get(url).data)[0])[f"session-{session.id}@{HOST}"]
    assert str(after["LOCATION"]).startswith("Raum Main, ")
    assert int(after["SEQUENCE"]) == int(before["SEQUENCE"]) + 1


def test_renaming_a_track_updates_categories(client, make_programme, parse_ical):
    event = make_programme()
    url = f"/events/{event.slug}/calendar.ics"
    client.get(url)  # warm the cache: the rename must still show
    track = db.session.execute(db.select(Track).where(Track.name == "Lebensqualität")).scalar_one()
    track.name = "Lebensqualität im Quartier"
    db.session.commit()

    calendar, _ = parse_ical(client.get(url).data)
    cats = [e["CATEGORIES"].cats for e in calendar.walk("VEVENT") if "CATEGORIES" in e]
    assert ["Lebensqualität im Quartier"] in cats


def test_cancelled_session_stays_in_the_feed_as_cancelled(client, make_programme, parse_ical):
    event = make_programme()
    session = event.sessions[2]
    url = f"/events/{event.slug}/calendar.ics"
    before = entries(parse_ical(client.get(url).data)[0])[f"session-{session.id}@{HOST}"]
    session.status = SessionStatus.CANCELLED
    db.session.commit()

    calendar, independent = parse_ical(client.get(url).data)
    entry = entries(calendar)[f"session-{session.id}@{HOST}"]
    assert len(calendar.walk("VEVENT")) == 3
    assert str(entry["STATUS"]) == "CANCELLED"
    assert int(entry["SEQUENCE"]) > int(before["SEQUENCE"])
    assert str(entry["SUMMARY"]).endswith(session.title)
    assert str(entry["SUMMARY"]) != session.title  # a prefix says so for apps that hide STATUS
    assert vobject_entries(independent)[f"session-{session.id}@{HOST}"].status.value == "CANCELLED"


def test_lines_are_folded_at_75_octets_with_crlf_and_umlauts_intact(
    client, make_event, make_session, parse_ical
):
    event = make_event(title="Fachkongress zur sozialen Quartiersentwicklung in Bürstadt")
    abstract = "Größere Nähe: Bürgerinnen, Bürger und Straßenfeste – " * 12
    session = make_session(
        event, title="Übergänge gestalten: Ämter, Vereine, Nachbarschaft", abstract=abstract
    )

    body = client.get(f"/events/{event.slug}/calendar.ics").data
    assert body.endswith(b"\r\n")
    lines = body.split(b"\r\n")[:-1]
    assert all(b"\n" not in line and b"\r" not in line for line in lines)
    assert max(len(line) for line in lines) <= 75
    assert any(line.startswith(b" ") for line in lines)  # something long was folded
    for line in lines:
        line.decode("utf-8")  # folding never splits a multi-byte character

    calendar, independent = parse_ical(body)
    entry = entries(calendar)[f"session-{session.id}@{HOST}"]
    assert str(entry["SUMMARY"]) == "Übergänge gestalten: Ämter, Vereine, Nachbarschaft"
    assert str(entry["DESCRIPTION"]).startswith(abstract.strip())
    assert str(calendar["X-WR-CALNAME"]) == event.title
    assert (
        vobject_entries(independent)[f"session-{session.id}@{HOST}"].summary.value == session.title
    )


def test_track_filter_keeps_only_that_track(client, make_programme, parse_ical):
    event = make_programme()
    track = event.tracks[1]
    response = client.get(f"/events/{event.slug}/calendar.ics?track={track.id}")
    calendar, _ = parse_ical(response.data)
    titles = [str(e["SUMMARY"]) for e in calendar.walk("VEVENT")]
    assert titles == ["Werkstatt B: Lebensqualität"]
    assert track.name in str(calendar["X-WR-CALNAME"])
    assert response.headers["Content-Disposition"].endswith(
        f'filename="{event.slug}-track-{track.id}.ics"'
    )


@pytest.mark.parametrize("value", ["abc", "1.5", "-2", "1;DROP", "%00"])
def test_malformed_track_is_a_clear_400(client, make_programme, value):
    event = make_programme()
    response = client.get(f"/events/{event.slug}/calendar.ics", query_string={"track": value})
    assert response.status_code == 400
    assert b"?track=3" in client.get(f"/events/{event.slug}/calendar.ics?track=x&lang=en").data


@pytest.mark.parametrize("value", ["999999", "99999999999999999999999"])
def test_unknown_track_is_404(client, make_programme, value):
    event = make_programme()
    response = client.get(f"/events/{event.slug}/calendar.ics?track={value}&lang=en")
    assert response.status_code == 404
    assert b"no track" in response.data


def test_track_of_another_event_is_404(client, make_programme):
    event = make_programme()
    other = make_programme()
    response = client.get(f"/events/{event.slug}/calendar.ics?track={other.tracks[0].id}")
    assert response.status_code == 404


def test_unknown_and_draft_events_are_404(client, make_event, make_session):
    draft = make_event(status=EventStatus.DRAFT)
    session = make_session(draft)
    assert client.get("/events/nope/calendar.ics").status_code == 404
    assert client.get("/events/%00/calendar.ics").status_code == 404
    assert client.get(f"/events/{'x' * 300}/calendar.ics").status_code == 404
    assert client.get("/events/%00/sessions/1.ics").status_code == 404
    assert client.get(f"/events/{draft.slug}/calendar.ics").status_code == 404
    assert client.get(f"/events/{draft.slug}/sessions/{session.id}.ics").status_code == 404


def test_all_events_feed_lists_published_events_and_marks_cancelled_ones(
    client, make_event, parse_ical
):
    published = make_event(title="Fachkongress Bürstadt")
    visit = make_event(
        title="Besuch in Förderkommune Lampertheim", kind="site_visit", meeting_point="Rathaus"
    )
    cancelled = make_event(title="Abgesagter Besuch", status=EventStatus.CANCELLED)
    make_event(title="Entwurf", status=EventStatus.DRAFT)

    response = client.get("/calendar.ics")
    assert response.status_code == 200
    calendar, independent = parse_ical(response.data)
    found = entries(calendar)
    assert set(found) == {f"event-{e.id}@{HOST}" for e in (published, visit, cancelled)}
    assert str(found[f"event-{cancelled.id}@{HOST}"]["STATUS"]) == "CANCELLED"
    assert str(found[f"event-{published.id}@{HOST}"]["STATUS"]) == "CONFIRMED"
    assert (
        str(found[f"event-{published.id}@{HOST}"]["URL"])
        == f"http://{HOST}/events/{published.slug}"
    )
    assert "Rathaus" in str(found[f"event-{visit.id}@{HOST}"]["DESCRIPTION"])
    assert (
        found[f"event-{published.id}@{HOST}"]["DTSTART"].dt.astimezone(UTC) == published.starts_at
    )
    assert len(independent.vevent_list) == 3
    assert str(calendar["METHOD"]) == "PUBLISH"


def test_event_entry_sequence_rises_when_the_event_changes(client, make_event, parse_ical):
    event = make_event()
    db.session.execute(
        db.update(type(event))
        .where(type(event).id == event.id)
        .values(updated_at=datetime(2026, 1, 1, tzinfo=UTC))
    )
    db.session.commit()
    db.session.refresh(event)
    before = entries(parse_ical(client.get("/calendar.ics").data)[0])[f"event-{event.id}@{HOST}"]
    event.starts_at += timedelta(hours=1)
    db.session.commit()
    after = entries(parse_ical(client.get("/calendar.ics").data)[0])[f"event-{event.id}@{HOST}"]
    assert int(after["SEQUENCE"]) > int(before["SEQUENCE"])
    assert after["UID"] == before["UID"]


def test_single_session_download(client, make_programme, parse_ical):
    event = make_programme()
    session = event.sessions[1]
    response = client.get(f"/events/{event.slug}/sessions/{session.id}.ics")
    assert response.status_code == 200
    assert (
        response.headers["Content-Disposition"]
        == f'attachment; filename="{event.slug}-session-{session.id}.ics"'
    )
    calendar, independent = parse_ical(response.data)
    (entry,) = calendar.walk("VEVENT")
    assert str(entry["UID"]) == f"session-{session.id}@{HOST}"
    assert calendar.walk("VTIMEZONE")
    assert independent.vevent.summary.value == session.title


def test_session_download_of_another_event_or_huge_id_is_404(client, make_programme):
    event = make_programme()
    other = make_programme()
    assert (
        client.get(f"/events/{event.slug}/sessions/{other.sessions[0].id}.ics").status_code == 404
    )
    assert client.get(f"/events/{event.slug}/sessions/99999999999999999999.ics").status_code == 404


def test_removing_a_room_or_speaker_and_moving_the_venue_revise_entries(
    client, make_programme, parse_ical
):
    event = make_programme()
    url = f"/events/{event.slug}/calendar.ics"
    before = entries(parse_ical(client.get(url).data)[0])
    keynote, _workshop_a, workshop_b = event.sessions
    uid = {s.title: f"session-{s.id}@{HOST}" for s in event.sessions}

    db.session.delete(workshop_b.room)
    keynote.speakers = []
    db.session.commit()
    after = entries(parse_ical(client.get(url).data)[0])
    moved = after[uid[workshop_b.title]]
    assert str(moved["LOCATION"]).startswith("Bürgerhaus Bürstadt")
    assert int(moved["SEQUENCE"]) > int(before[uid[workshop_b.title]]["SEQUENCE"])
    assert "Erika Beispiel" not in str(after[uid[keynote.title]]["DESCRIPTION"])

    event.venue = "Stadthalle Bürstadt"
    db.session.commit()
    relocated = entries(parse_ical(client.get(url).data)[0])
    for entry_uid, entry in relocated.items():
        assert "Stadthalle Bürstadt" in str(entry["LOCATION"])
        assert int(entry["SEQUENCE"]) > int(after[entry_uid]["SEQUENCE"])
