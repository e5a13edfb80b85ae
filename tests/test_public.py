"""Public pages: events overview, event timetable, track filter, sessions, speakers, health."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from clock import CONGRESS_YEAR
from support import readable_text

from eventapp.extensions import db
from eventapp.models import (
    EventKind,
    EventStatus,
    Room,
    SessionKind,
    SessionStatus,
    Speaker,
    Track,
)
from eventapp.public import services


def page(client, url: str) -> tuple[int, str]:
    """Status and HTML; CLDR's narrow no-break spaces ("9:00\u202fAM") read as plain ones."""
    response = client.get(url)
    return response.status_code, readable_text(response)


def session_ids_on(html: str) -> set[int]:
    return {int(n) for n in re.findall(r'id="session-(\d+)"', html)}


# --- overview ------------------------------------------------------------------


def test_overview_lists_published_congress_and_site_visits_but_not_drafts(client, make_event):
    make_event(slug="kongress", title="Fachkongress Bürstadt")
    make_event(slug="besuch", title="Besuch Lindenau", kind=EventKind.SITE_VISIT)
    make_event(slug="entwurf", title="Geheimer Entwurf", status=EventStatus.DRAFT)

    status, html = page(client, "/?lang=en")

    assert status == 200
    assert 'href="/events/kongress"' in html
    assert 'href="/events/besuch"' in html
    assert "Geheimer Entwurf" not in html
    assert "Site visit" in html and "Congress" in html


def test_overview_shows_upcoming_soonest_first_and_past_events_after(client, make_event):
    now = datetime.now(UTC)
    make_event(
        slug="later", starts_at=now + timedelta(days=60), ends_at=now + timedelta(days=60, hours=4)
    )
    make_event(
        slug="sooner", starts_at=now + timedelta(days=5), ends_at=now + timedelta(days=5, hours=4)
    )
    make_event(
        slug="over",
        starts_at=now - timedelta(days=30),
        ends_at=now - timedelta(days=30) + timedelta(hours=4),
    )

    _, html = page(client, "/")

    order = [html.index(f'id="event-{slug}"') for slug in ("sooner", "later", "over")]
    assert order == sorted(order)
    assert html.index('id="past-heading"') < order[2]


def test_overview_shows_date_in_the_events_time_zone_and_seats_left(
    client, make_event, make_registration
):
    event = make_event(slug="kongress", capacity=3)  # 07:00 UTC is 09:00 in Bürstadt
    make_registration(event)

    _, html = page(client, "/?lang=en")

    card = html[html.index('id="event-kongress"') :]
    assert f"May 16, {CONGRESS_YEAR}" in card
    assert "9:00 AM" in card
    assert "2 seats left" in card


def test_overview_shows_event_time_in_its_own_zone_not_the_sites(client, make_event):
    make_event(slug="abroad", timezone="America/New_York")  # 07:00 UTC is 03:00 there

    _, html = page(client, "/?lang=en")

    card = html[html.index('id="event-abroad"') :]
    assert "3:00 AM" in card
    assert "9:00 AM" not in card


# --- event page -------------------------------------------------------------------


def test_event_page_shows_programme_and_links_registration(client, make_programme):
    event = make_programme(slug="kongress")

    status, html = page(client, "/events/kongress?lang=en")

    assert status == 200
    assert "Keynote: Zusammenhalt im Quartier" in html
    assert session_ids_on(html) == {s.id for s in event.sessions}
    assert 'href="/events/kongress/register"' in html


def test_closed_registration_hides_the_register_link(client, make_programme):
    make_programme(slug="kongress", registration_closes_at=datetime(2021, 1, 1, tzinfo=UTC))

    _, html = page(client, "/events/kongress")

    assert "/events/kongress/register" not in html


def test_draft_event_is_not_found_for_the_public(client, make_programme):
    make_programme(slug="entwurf", status=EventStatus.DRAFT)

    for url in ("/events/entwurf", "/events/entwurf/speakers", "/events/entwurf/sessions/1"):
        status, html = page(client, url)
        assert status == 404
        assert "error-page" in html


def test_unknown_event_gives_the_styled_404_page(client):
    status, html = page(client, "/events/gibt-es-nicht?lang=en")

    assert status == 404
    assert 'class="error-page"' in html
    assert "Page not found" in html
    assert 'href="/"' in html


def test_cancelled_event_is_shown_with_a_banner_and_without_register_link(client, make_programme):
    make_programme(slug="abgesagt", status=EventStatus.CANCELLED)

    status, html = page(client, "/events/abgesagt")

    assert status == 200
    assert 'id="cancelled-banner"' in html
    assert "/events/abgesagt/register" not in html


def test_parallel_workshops_share_a_slot_with_one_column_per_room(app, make_programme):
    event = make_programme()

    timetable = services.build_timetable(event)

    assert [len(slot.sessions) for slot in timetable.slots] == [1, 2]
    parallel = timetable.slots[1]
    assert parallel.is_parallel
    assert [s.room.name for s in parallel.sessions] == ["Großer Saal", "Raum Rhein"]
    assert [timetable.column(s) for s in parallel.sessions] == [1, 2]


def test_overlapping_sessions_of_different_length_join_one_slot(app, make_event, make_session):
    event = make_event()
    start = event.starts_at
    long = make_session(event, title="Lang", starts_at=start, ends_at=start + timedelta(hours=2))
    short = make_session(
        event,
        title="Kurz",
        starts_at=start + timedelta(minutes=30),
        ends_at=start + timedelta(hours=1),
    )
    after = make_session(
        event,
        title="Danach",
        starts_at=start + timedelta(hours=2),
        ends_at=start + timedelta(hours=3),
    )

    slots = services.build_timetable(event).slots

    assert [[s.id for s in slot.sessions] for slot in slots] == [[long.id, short.id], [after.id]]
    assert slots[0].ends_at == start + timedelta(hours=2)


def test_track_filter_shows_only_that_tracks_sessions(client, make_programme):
    event = make_programme(slug="kongress")
    teilhabe = next(t for t in event.tracks if t.name.startswith("Gesellschaftliche"))
    in_track = {s.id for s in event.sessions if s.track_id == teilhabe.id}
    assert in_track and in_track != {s.id for s in event.sessions}

    status, html = page(client, f"/events/kongress?track={teilhabe.id}")

    assert status == 200
    assert session_ids_on(html) == in_track
    assert re.search(rf'data-track="{teilhabe.id}" aria-current="true"', html)


def test_track_filter_ignores_foreign_or_malformed_track_ids(client, make_programme):
    event = make_programme(slug="kongress")
    other = make_programme(slug="anders")
    everything = {s.id for s in event.sessions}

    for raw in ("abc", "-1", "99999", str(other.tracks[0].id)):
        status, html = page(client, f"/events/kongress?track={raw}")
        assert status == 200
        assert session_ids_on(html) == everything


def test_track_colour_is_shown_and_never_injected_into_styles(client, make_programme):
    event = make_programme(slug="kongress")
    event.tracks[0].colour = "#1a7f5a"
    event.tracks[1].colour = "red;}x"
    db.session.commit()

    _, html = page(client, "/events/kongress")

    assert "--track-colour: #1a7f5a" in html
    assert "red;}x" not in html


def test_cancelled_session_is_marked(client, make_programme):
    event = make_programme(slug="kongress")
    workshop = next(s for s in event.sessions if s.kind == SessionKind.WORKSHOP)
    workshop.status = SessionStatus.CANCELLED
    db.session.commit()

    _, html = page(client, "/events/kongress")

    card = re.search(rf'<li class="([^"]*)" id="session-{workshop.id}"', html)
    assert card and "is-cancelled" in card.group(1)


def test_site_visit_shows_meeting_point_and_map_link_with_coordinates(client, make_event):
    make_event(
        slug="besuch",
        kind=EventKind.SITE_VISIT,
        municipality="Lindenau",
        address="Marktplatz 3, 36341 Lindenau",
        meeting_point="Vor dem Rathaus",
        latitude=Decimal("50.612345"),
        longitude=Decimal("9.301234"),
    )

    _, html = page(client, "/events/besuch")

    assert "Vor dem Rathaus" in html
    assert "Marktplatz 3, 36341 Lindenau" in html
    assert "https://www.openstreetmap.org/?mlat=50.612345&amp;mlon=9.301234" in html
    assert "<iframe" not in html


def test_site_visit_without_coordinates_links_an_address_search(client, make_event):
    make_event(
        slug="besuch", kind=EventKind.SITE_VISIT, address="Marktplatz 3", municipality="Lindenau"
    )

    _, html = page(client, "/events/besuch")

    assert "https://www.openstreetmap.org/search?query=Marktplatz+3%2C+Lindenau" in html


def test_congress_page_has_no_map_link(client, make_event):
    make_event(slug="kongress", latitude=Decimal("49.6"), longitude=Decimal("8.4"))

    _, html = page(client, "/events/kongress")

    assert "openstreetmap" not in html


# --- sessions and speakers -----------------------------------------------------------


def test_session_page_shows_speakers_room_track_time_and_seats(
    client, make_programme, make_registration
):
    event = make_programme(slug="kongress")
    keynote = next(s for s in event.sessions if s.kind == SessionKind.KEYNOTE)
    workshop = next(s for s in event.sessions if s.title.startswith("Werkstatt B"))

    status, html = page(client, f"/events/kongress/sessions/{keynote.id}?lang=en")
    assert status == 200
    assert "Dr. Erika Beispiel" in html
    assert "Hochschule Darmstadt" in html
    assert "Großer Saal" in html
    assert "9:30 AM" in html  # 07:30 UTC in Bürstadt

    status, html = page(client, f"/events/kongress/sessions/{workshop.id}?lang=en")
    assert status == 200
    assert "Lebensqualität" in html
    assert "Raum Rhein" in html
    assert "25 seats left" in html
    assert "Wie Nachbarschaften zusammenfinden." in html


def test_session_of_another_event_is_not_found(client, make_programme):
    make_programme(slug="kongress")
    other = make_programme(slug="anders")

    status, _ = page(client, f"/events/kongress/sessions/{other.sessions[0].id}")

    assert status == 404


def test_speaker_list_and_detail(client, make_programme):
    event = make_programme(slug="kongress")
    speaker = event.speakers[0]
    keynote = next(s for s in event.sessions if s.kind == SessionKind.KEYNOTE)

    status, html = page(client, "/events/kongress/speakers")
    assert status == 200
    assert f'href="/events/kongress/speakers/{speaker.id}"' in html

    status, html = page(client, f"/events/kongress/speakers/{speaker.id}")
    assert status == 200
    assert "Professorin für Stadtsoziologie" in html
    assert f'href="/events/kongress/sessions/{keynote.id}"' in html


def test_speaker_of_another_event_is_not_found(client, make_programme):
    make_programme(slug="kongress")
    other = make_programme(slug="anders")

    status, _ = page(client, f"/events/kongress/speakers/{other.speakers[0].id}")

    assert status == 404


def test_timetable_puts_rooms_in_position_order(app, make_event, make_session):
    event = make_event()
    rooms = [Room(event=event, name="B", position=2), Room(event=event, name="A", position=1)]
    track = Track(event=event, name="T")
    speaker = Speaker(event=event, name="S")
    db.session.add_all([*rooms, track, speaker])
    db.session.commit()
    make_session(event, title="in B", room=rooms[0])
    make_session(event, title="in A", room=rooms[1])

    timetable = services.build_timetable(event)

    assert [r.name for r in timetable.rooms] == ["A", "B"]
    assert [s.title for s in timetable.slots[0].sessions] == ["in A", "in B"]


# --- health ------------------------------------------------------------------------


def test_healthz_reports_ok_with_a_working_database(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:////nonexistent-directory/eventapp.db",
        "postgresql+psycopg://postgres@127.0.0.1:9/unreachable?connect_timeout=2",
    ],
)
def test_healthz_answers_503_when_the_database_is_down(make_app, url):
    broken = make_app(SQLALCHEMY_DATABASE_URI=url)

    response = broken.test_client().get("/healthz")

    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "error"}
