"""Back office: editing sessions, speakers, tracks and rooms, with warnings and refusals."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from clock import CONGRESS_YEAR
from support import audit_actions, choose, count, workshop

from eventapp.extensions import db
from eventapp.models import (
    AuditEntry,
    ChoiceStatus,
    Event,
    NoticeState,
    OutboxMessage,
    ProgrammeChange,
    Session,
    SessionChoice,
    SessionStatus,
)

# --- sessions -------------------------------------------------------------------------


def session_form(event, **overrides):
    data = {
        "title": "Werkstatt C: Umwelt",
        "kind": "workshop",
        "abstract": "Grün im Quartier",
        "starts_at": f"{CONGRESS_YEAR}-05-16T11:00",
        "ends_at": f"{CONGRESS_YEAR}-05-16T12:30",
        "track_id": str(event.tracks[0].id),
        "room_id": "0",
        "speaker_ids": [str(event.speakers[0].id)],
        "capacity": "20",
    }
    data.update(overrides)
    return data


def test_creating_a_session_converts_times_and_links_speakers(admin_client, make_programme):
    event = make_programme()
    response = admin_client.post(f"/admin/events/{event.id}/sessions/new", data=session_form(event))
    assert response.status_code == 302
    session = db.session.execute(
        db.select(Session).where(Session.title == "Werkstatt C: Umwelt")
    ).scalar_one()
    assert session.starts_at == datetime(CONGRESS_YEAR, 5, 16, 9, 0, tzinfo=UTC)
    assert session.room_id is None and session.track_id == event.tracks[0].id
    assert [s.name for s in session.speakers] == ["Dr. Erika Beispiel"]
    assert audit_actions() == ["session.create"]
    assert "warning" not in admin_client.get(response.headers["Location"]).get_data(as_text=True)


def test_a_double_booked_room_or_time_outside_the_event_warns_but_saves(
    admin_client, make_programme
):
    event = make_programme()
    busy_room = workshop(event).room  # Werkstatt A: 11:00–12:30 local
    data = session_form(event, room_id=str(busy_room.id), ends_at=f"{CONGRESS_YEAR}-05-16T19:00")
    response = admin_client.post(
        f"/admin/events/{event.id}/sessions/new", data=data, follow_redirects=True
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert page.count('class="flash flash-warning"') == 2
    assert "Werkstatt A: Teilhabe" in page.split('class="flash flash-warning"')[2]
    assert count(Session) == 4


@pytest.mark.parametrize(
    "overrides",
    [
        {"ends_at": f"{CONGRESS_YEAR}-05-16T10:00"},
        {"title": " "},
        {"kind": "party"},
        {"capacity": "-3"},
        {"track_id": "99999"},
        {"speaker_ids": ["99999"]},
    ],
)
def test_an_invalid_session_is_refused_and_nothing_is_saved(
    admin_client, make_programme, overrides
):
    event = make_programme()
    data = session_form(event, **overrides)
    response = admin_client.post(f"/admin/events/{event.id}/sessions/new", data=data)
    assert response.status_code == 422
    assert 'class="error"' in response.get_data(as_text=True)
    assert count(Session) == 3


def test_a_room_of_another_event_is_refused(admin_client, make_programme):
    event = make_programme()
    other = make_programme()
    data = session_form(event, room_id=str(other.rooms[0].id))
    response = admin_client.post(f"/admin/events/{event.id}/sessions/new", data=data)
    assert response.status_code == 422
    assert count(Session) == 6


def test_editing_a_session_moves_it_and_records_a_change_for_review(
    admin_client, make_programme, make_registration
):
    event = make_programme()
    session = workshop(event)
    choose(make_registration(event), session)
    page = admin_client.get(f"/admin/sessions/{session.id}/edit").get_data(as_text=True)
    assert f'value="{CONGRESS_YEAR}-05-16T11:00"' in page
    data = session_form(event, title=session.title, starts_at=f"{CONGRESS_YEAR}-05-16T13:00")
    data.update(ends_at=f"{CONGRESS_YEAR}-05-16T14:00", room_id=str(session.room_id), capacity="30")
    assert admin_client.post(f"/admin/sessions/{session.id}/edit", data=data).status_code == 302
    db.session.expire_all()
    session = db.session.get(Session, session.id)
    assert session.starts_at == datetime(CONGRESS_YEAR, 5, 16, 11, 0, tzinfo=UTC)
    assert session.sequence == 1
    assert db.session.execute(db.select(OutboxMessage.kind)).scalars().all() == []
    change = db.session.execute(
        db.select(ProgrammeChange).where(ProgrammeChange.kind != "added")
    ).scalar_one()
    assert (change.session_id, change.state) == (session.id, NoticeState.PENDING)
    assert change.created_by_id is not None
    entry = db.session.execute(db.select(AuditEntry)).scalar_one()
    assert set(entry.after) >= {"starts_at", "ends_at"}


def test_raising_a_workshop_capacity_admits_the_waiting_list(
    admin_client, make_programme, make_registration
):
    event = make_programme()
    session = workshop(event)
    session.capacity = 1
    db.session.commit()
    choose(make_registration(event), session)
    waiting = make_registration(event)
    choose(waiting, session, ChoiceStatus.WAITLISTED)
    data = session_form(event, title=session.title, capacity="2", room_id=str(session.room_id))
    assert admin_client.post(f"/admin/sessions/{session.id}/edit", data=data).status_code == 302
    db.session.expire_all()
    statuses = {
        c.status for c in db.session.get(SessionChoice, waiting.choices[0].id).registration.choices
    }
    assert statuses == {ChoiceStatus.CONFIRMED}


def test_cancelling_a_session_asks_first_keeps_it_and_records_the_cancellation(
    admin_client, make_programme, make_registration
):
    event = make_programme()
    session = workshop(event)
    choose(make_registration(event), session)
    make_registration(event)
    page = admin_client.get(f"/admin/sessions/{session.id}/cancel")
    assert page.status_code == 200
    assert 'data-affected="1"' in page.get_data(as_text=True)
    assert db.session.get(Session, session.id).status == SessionStatus.SCHEDULED
    assert admin_client.post(f"/admin/sessions/{session.id}/cancel").status_code == 302
    db.session.expire_all()
    assert db.session.get(Session, session.id).status == SessionStatus.CANCELLED
    assert db.session.execute(db.select(OutboxMessage)).first() is None
    change = db.session.execute(
        db.select(ProgrammeChange).where(ProgrammeChange.kind == "cancelled")
    ).scalar_one()
    assert change.after["status"] == "cancelled"
    assert admin_client.post(f"/admin/sessions/{session.id}/reinstate").status_code == 302
    db.session.expire_all()
    assert db.session.get(Session, session.id).status == SessionStatus.SCHEDULED
    assert audit_actions() == ["session.cancel", "session.reinstate"]


def test_a_chosen_session_cannot_be_deleted_but_an_unchosen_one_can(
    admin_client, make_programme, make_registration
):
    event = make_programme()
    chosen, free = workshop(event), event.sessions[0]
    choose(make_registration(event), chosen)
    page = admin_client.get(f"/admin/sessions/{chosen.id}/delete").get_data(as_text=True)
    assert 'id="delete-blocked"' in page
    admin_client.post(f"/admin/sessions/{chosen.id}/delete")
    assert db.session.get(Session, chosen.id) is not None
    assert admin_client.post(f"/admin/sessions/{free.id}/delete").status_code == 302
    db.session.expire_all()
    assert count(Session) == 2
    assert audit_actions() == ["session.delete"]


# --- tracks, rooms, speakers ----------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "valid", "invalid"),
    [
        ("tracks", {"name": "Umweltbewusstsein", "colour": "#2a9d8f"}, {"colour": "grün"}),
        ("rooms", {"name": "Raum Main", "capacity": "30"}, {"capacity": "null"}),
        ("speakers", {"name": "Prof. Jörg Weiß", "organisation": "TU Darmstadt"}, {"name": ""}),
    ],
)
def test_catalogue_items_are_created_edited_and_validated(
    admin_client, make_programme, kind, valid, invalid
):
    event = make_programme()
    before = len(getattr(event, kind))
    url = f"/admin/events/{event.id}/{kind}/new"
    assert admin_client.post(url, data={**valid, **invalid}).status_code == 422
    assert admin_client.post(url, data=valid).status_code == 302
    db.session.expire_all()
    items = getattr(db.session.get(Event, event.id), kind)
    assert len(items) == before + 1
    item = next(i for i in items if i.name == valid["name"])
    edit = f"/admin/{kind}/{item.id}/edit"
    assert admin_client.post(edit, data={**valid, "name": "Umbenannt"}).status_code == 302
    assert admin_client.post(edit, data={**valid, "name": "X", **invalid}).status_code == 422
    db.session.expire_all()
    assert db.session.get(type(item), item.id).name == "Umbenannt"
    assert audit_actions() == [f"{kind[:-1]}.create", f"{kind[:-1]}.update"]


@pytest.mark.parametrize("kind", ["tracks", "rooms"])
def test_a_duplicate_track_or_room_name_is_refused(admin_client, make_programme, kind):
    event = make_programme()
    existing = getattr(event, kind)[0].name
    response = admin_client.post(f"/admin/events/{event.id}/{kind}/new", data={"name": existing})
    assert response.status_code == 422
    assert 'id="name-error"' in response.get_data(as_text=True)
    assert len(getattr(event, kind)) == 2


@pytest.mark.parametrize(("kind", "attribute"), [("rooms", "room"), ("tracks", "track")])
def test_a_room_or_track_in_use_cannot_be_deleted_but_an_unused_one_can(
    admin_client, make_programme, kind, attribute
):
    event = make_programme()
    used = getattr(event, kind)[0]
    page = admin_client.get(f"/admin/{kind}/{used.id}/delete").get_data(as_text=True)
    assert 'id="delete-blocked"' in page
    admin_client.post(f"/admin/{kind}/{used.id}/delete")
    db.session.expire_all()
    assert len(getattr(db.session.get(Event, event.id), kind)) == 2
    for session in db.session.get(Event, event.id).sessions:
        setattr(session, attribute, None)
    db.session.commit()
    assert admin_client.post(f"/admin/{kind}/{used.id}/delete").status_code == 302
    db.session.expire_all()
    assert len(getattr(db.session.get(Event, event.id), kind)) == 1
    assert audit_actions() == [f"{attribute}.delete"]


def test_deleting_a_speaker_takes_them_off_their_sessions(admin_client, make_programme):
    event = make_programme()
    speaker = event.speakers[0]
    page = admin_client.get(f"/admin/speakers/{speaker.id}/delete").get_data(as_text=True)
    assert "Keynote: Zusammenhalt im Quartier" in page
    assert admin_client.post(f"/admin/speakers/{speaker.id}/delete").status_code == 302
    db.session.expire_all()
    event = db.session.get(Event, event.id)
    assert event.speakers == [] and all(s.speakers == [] for s in event.sessions)
    entry = db.session.execute(db.select(AuditEntry)).scalar_one()
    assert entry.action == "speaker.delete" and entry.before["name"] == "Dr. Erika Beispiel"
