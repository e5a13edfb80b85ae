"""The demo programme: `flask demo load` and the loader behind it."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from eventapp.demo.data import CONGRESS_SLUG
from eventapp.demo.services import load_demo, next_congress_date, today_in
from eventapp.extensions import db
from eventapp.models import (
    Event,
    EventKind,
    EventStatus,
    Session,
    SessionKind,
)

BERLIN = ZoneInfo("Europe/Berlin")
FIELDS_OF_ACTION = {
    "Gesellschaftliche Teilhabe und Integration",
    "Lebensqualität",
    "Umweltbewusstsein",
    "Wirtschaftliche Versorgung",
}


def dump() -> dict[str, list[tuple]]:
    """Every row of every table, in primary-key order."""
    tables = {}
    for table in db.metadata.sorted_tables:
        query = db.select(table).order_by(*table.primary_key.columns)
        tables[table.name] = [tuple(row) for row in db.session.execute(query)]
    return tables


def congress() -> Event:
    return db.session.execute(db.select(Event).where(Event.slug == CONGRESS_SLUG)).scalar_one()


def events_count() -> int:
    return len(db.session.execute(db.select(Event.id)).all())


def contrast_to_white(colour: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    luminance = 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
    return 1.05 / (luminance + 0.05)


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2026, 1, 10), date(2026, 5, 16)),
        (date(2026, 5, 15), date(2026, 5, 16)),
        (date(2026, 5, 16), date(2027, 5, 16)),
        (date(2026, 11, 30), date(2027, 5, 16)),
    ],
)
def test_congress_date_defaults_to_the_next_16_may_in_the_future(today, expected):
    assert next_congress_date(today) == expected


def test_loader_dates_the_congress_on_the_next_16_may_from_today(app):
    load_demo(today=date(2026, 11, 26))
    db.session.commit()

    event = congress()
    assert event.local(event.starts_at).date() == date(2027, 5, 16)


def test_load_fills_an_empty_database_with_the_congress_and_site_visits(app, runner):
    result = runner.invoke(args=["demo", "load"])

    assert result.exit_code == 0, result.output
    assert "created" in result.output
    event = congress()
    assert event.kind == EventKind.CONGRESS
    assert event.title == "Fachkongress zur sozialen Quartiersentwicklung"
    assert event.status == EventStatus.PUBLISHED
    assert event.waitlist_enabled
    assert event.capacity == 250
    assert event.municipality == "Bürstadt"
    assert event.local(event.starts_at).date() == next_congress_date(today_in())
    # Registration is open now and closes no later than the start.
    now = datetime.now(UTC)
    assert event.registration_opens_at <= now < event.registration_closes_at
    assert event.registration_closes_at <= event.starts_at


def test_congress_has_the_four_fields_of_action_as_tracks_with_accessible_colours(app):
    load_demo(today=date(2026, 11, 26))
    db.session.commit()

    tracks = congress().tracks
    assert {track.name for track in tracks} == FIELDS_OF_ACTION
    for track in tracks:
        assert contrast_to_white(track.colour) >= 4.5, track


def test_congress_programme_has_plenary_parts_and_two_rounds_of_four_parallel_workshops(app):
    load_demo(today=date(2026, 11, 26))
    db.session.commit()
    event = congress()

    kinds = Counter(session.kind for session in event.sessions)
    assert kinds[SessionKind.KEYNOTE] >= 1
    assert kinds[SessionKind.PANEL] >= 1
    assert kinds[SessionKind.BREAK] >= 2  # arrival and lunch
    workshops = [s for s in event.sessions if s.kind == SessionKind.WORKSHOP]
    rounds: dict[tuple[datetime, datetime], list[Session]] = {}
    for workshop in workshops:
        rounds.setdefault((workshop.starts_at, workshop.ends_at), []).append(workshop)
    assert len(rounds) == 2
    for parallel in rounds.values():
        assert len(parallel) == 4
        assert {w.track.name for w in parallel} == FIELDS_OF_ACTION
        assert len({w.room_id for w in parallel}) == 4
        for workshop in parallel:
            assert 25 <= workshop.capacity <= 40
            assert workshop.capacity <= workshop.room.capacity
            assert workshop.speakers
    # Nothing else runs while the workshops do.
    for other in event.sessions:
        if other.kind != SessionKind.WORKSHOP:
            assert not any(other.overlaps(w) for w in workshops), other
    for session in event.sessions:
        assert event.starts_at <= session.starts_at < session.ends_at <= event.ends_at


def test_times_are_built_from_berlin_wall_clock_and_stored_in_utc(app):
    load_demo(date(2027, 5, 16))
    db.session.commit()
    db.session.expire_all()
    event = congress()

    assert event.starts_at.tzinfo is not None
    assert event.starts_at.utcoffset().total_seconds() == 0
    # 08:30 in summer time is 06:30 UTC.
    assert event.starts_at == datetime(2027, 5, 16, 6, 30, tzinfo=UTC)
    assert event.local(event.starts_at).time() == time(8, 30)


def test_site_visits_are_half_day_visits_with_place_and_capacity(app):
    load_demo(date(2027, 5, 16))
    db.session.commit()

    visits = (
        db.session.execute(db.select(Event).where(Event.kind == EventKind.SITE_VISIT))
        .scalars()
        .all()
    )
    assert len(visits) >= 2
    for visit in visits:
        assert visit.status == EventStatus.PUBLISHED
        assert 20 <= visit.capacity <= 30
        assert visit.meeting_point and visit.address and visit.municipality
        assert visit.latitude is not None and visit.longitude is not None
        assert 49 < float(visit.latitude) < 52 and 7 < float(visit.longitude) < 11  # Hesse
        assert visit.local(visit.starts_at).year == 2027
        hours = (visit.ends_at - visit.starts_at).total_seconds() / 3600
        assert 2 <= hours <= 5


def test_speakers_from_institutions_are_named_by_role(app):
    load_demo(date(2027, 5, 16))
    db.session.commit()

    welcome = next(s for s in congress().sessions if s.title == "Begrüßung und Grußworte")
    organisations = {speaker.organisation for speaker in welcome.speakers}
    assert {"Hessisches Wirtschaftsministerium", "Hessisches Sozialministerium"} <= organisations
    assert any("Bürstadt" in speaker.organisation for speaker in welcome.speakers)
    for speaker in welcome.speakers:
        assert speaker.name.startswith(("Vertretung", "Bürgermeisterin", "Leitung"))


def test_date_option_sets_the_congress_day_and_the_site_visits_follow(app, runner):
    result = runner.invoke(args=["demo", "load", "--date", "2030-05-20"])

    assert result.exit_code == 0, result.output
    event = congress()
    assert event.local(event.starts_at).date() == date(2030, 5, 20)
    visits = db.session.execute(
        db.select(Event).where(Event.kind == EventKind.SITE_VISIT)
    ).scalars()
    assert all(visit.starts_at > event.ends_at for visit in visits)
    assert event.registration_opens_at < event.registration_closes_at


def test_second_run_changes_nothing(app, runner):
    first = runner.invoke(args=["demo", "load", "--date", "2027-05-16"])
    assert first.exit_code == 0, first.output
    before = dump()

    second = runner.invoke(args=["demo", "load", "--date", "2027-05-16"])

    assert second.exit_code == 0, second.output
    assert "created" not in second.output and "updated" not in second.output
    assert second.output.count("unchanged") == events_count()
    db.session.expire_all()
    assert dump() == before


def test_run_restores_a_changed_demo_row_and_keeps_the_others(app, runner):
    runner.invoke(args=["demo", "load", "--date", "2027-05-16"])
    workshop = (
        db.session.execute(
            db.select(Session).where(Session.kind == SessionKind.WORKSHOP).order_by(Session.id)
        )
        .scalars()
        .first()
    )
    workshop.capacity = 99
    db.session.commit()
    before = dump()

    result = runner.invoke(args=["demo", "load", "--date", "2027-05-16"])

    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert workshop.capacity != 99
    after = dump()
    assert len(after["session"]) == len(before["session"])
    assert after["event"] == before["event"]


def test_if_empty_does_nothing_when_an_event_exists(app, runner, make_event):
    make_event(slug="schon-da", status=EventStatus.DRAFT)
    before = dump()

    result = runner.invoke(args=["demo", "load", "--if-empty"])

    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert dump() == before


def test_if_empty_loads_into_an_empty_database(app, runner):
    result = runner.invoke(args=["demo", "load", "--if-empty"])

    assert result.exit_code == 0, result.output
    assert congress().kind == EventKind.CONGRESS


@pytest.mark.parametrize("bad", ["2027-13-01", "16.05.2027", "tomorrow", ""])
def test_bad_date_is_a_clear_error_and_changes_nothing(app, runner, bad):
    runner.invoke(args=["demo", "load", "--date", "2027-05-16"])
    before = dump()

    result = runner.invoke(args=["demo", "load", "--date", bad])

    assert result.exit_code == 2
    assert "Invalid value for '--date'" in result.output
    db.session.expire_all()
    assert dump() == before
