"""The live board: counts per area, warnings near the maximum, who sees names, the forms."""

from __future__ import annotations

import pytest
from support import api_headers, audit_actions, choose, login

from eventapp.checkin import services
from eventapp.checkin.occupancy import Level, occupancy_level
from eventapp.extensions import db
from eventapp.models import Event, Registration, Role, Room, SessionKind


@pytest.fixture
def event(make_programme):
    return make_programme(slug="kongress")


@pytest.fixture
def workshops(event):
    return [s for s in event.sessions if s.kind == SessionKind.WORKSHOP]


@pytest.fixture
def door(make_user):
    return make_user(Role.CHECKIN, email="door@example.org")


def enter(registration, list_ref="entrance", direction="entry"):
    answer = services.redeem_ticket(
        event_slug=registration.event.slug,
        code=registration.ticket_code,
        list_ref=list_ref,
        user_id=None,
        direction=direction,
    )
    db.session.commit()
    return answer


def board(client, headers=None, slug="kongress", **query):
    return client.get(f"/api/v1/events/{slug}/checkin/board", query_string=query, headers=headers)


def area(body, key):
    return next(a for a in body["areas"] if a["key"] == key)


@pytest.mark.parametrize(
    ("inside", "maximum", "level"),
    [
        (0, None, Level.UNLIMITED),
        (500, None, Level.UNLIMITED),
        (0, 100, Level.OK),
        (89, 100, Level.OK),
        (90, 100, Level.NEAR),
        (99, 100, Level.NEAR),
        (100, 100, Level.FULL),
        (120, 100, Level.FULL),
        (8, 10, Level.OK),
        (9, 10, Level.NEAR),
        (1, 1, Level.FULL),
    ],
)
def test_warning_levels_are_amber_from_90_percent_and_red_at_the_maximum(inside, maximum, level):
    assert occupancy_level(inside, maximum) == level


def test_board_counts_the_entrance_against_the_events_maximum(
    admin_client, event, make_registration
):
    event.max_occupancy = 4
    people = [make_registration(event) for _ in range(4)]
    db.session.commit()
    for person in people[:3]:
        enter(person)
    entrance = area(board(admin_client).json, "entrance")
    assert (entrance["inside"], entrance["max_occupancy"], entrance["level"]) == (3, 4, "ok")
    assert entrance["percent"] == 75
    enter(people[3])
    assert area(board(admin_client).json, "entrance")["level"] == "full"
    enter(people[0], direction="exit")
    entrance = area(board(admin_client).json, "entrance")
    assert (entrance["inside"], entrance["level"]) == (3, "ok")


def test_rooms_count_their_sessions_each_person_once(
    admin_client, event, workshops, make_registration
):
    hall = next(r for r in event.rooms if r.name == "Großer Saal")
    hall.max_occupancy = 10
    keynote = next(s for s in event.sessions if s.kind == SessionKind.KEYNOTE)
    in_hall = next(s for s in workshops if s.room_id == hall.id)
    anna, ben = make_registration(event), make_registration(event)
    choose(anna, in_hall)
    db.session.commit()
    enter(anna, keynote.id)
    enter(anna, in_hall.id)  # no exit from the keynote: still one person in the hall
    enter(ben, keynote.id)
    body = board(admin_client).json
    room = area(body, f"room:{hall.id}")
    assert (room["inside"], room["max_occupancy"], room["level"]) == (2, 10, "ok")
    sessions = {s["list"]: s["inside"] for s in room["sessions"]}
    assert sessions == {keynote.id: 2, in_hall.id: 1}
    enter(ben, keynote.id, direction="exit")
    assert area(board(admin_client).json, f"room:{hall.id}")["inside"] == 1
    # Nobody was at the entrance: the rooms are counted on their own lists.
    assert area(body, "entrance")["inside"] == 0


def test_admin_sees_who_is_inside_door_staff_counts_only(
    client, admin_client, event, door, make_registration
):
    guest = make_registration(
        event, first_name="Anna", last_name="Schäfer", organisation="Stadt Lampertheim"
    )
    enter(guest)
    people = area(board(admin_client).json, "entrance")["people"]
    assert [(p["name"], p["organisation"]) for p in people] == [
        ("Anna Schäfer", "Stadt Lampertheim")
    ]
    response = board(client, api_headers(door))
    assert response.status_code == 200
    entrance = area(response.json, "entrance")
    assert entrance["inside"] == 1
    assert "people" not in entrance
    assert "Schäfer" not in response.get_data(as_text=True)


def test_board_is_refused_to_other_events_staff_and_to_strangers(
    client, event, make_event, make_user
):
    other = make_event(slug="andere")
    scoped = make_user(Role.CHECKIN, all_events=False, events=[other])
    assert board(client, api_headers(scoped)).status_code == 403
    assert board(client).status_code == 401
    page = client.get("/checkin/kongress/board")
    assert page.status_code == 302  # to the login
    login(client, scoped)
    assert client.get("/checkin/kongress/board").status_code == 403


def test_one_rooms_board_and_a_foreign_room(admin_client, event, make_programme):
    room = event.rooms[1]
    body = board(admin_client, room=room.id).json
    assert [a["key"] for a in body["areas"]] == [f"room:{room.id}"]
    foreign = make_programme(slug="andere").rooms[0]
    assert board(admin_client, room=foreign.id).status_code == 404
    assert admin_client.get(f"/checkin/kongress/board?room={foreign.id}").status_code == 404
    assert admin_client.get("/checkin/kongress/board?room=abc").status_code == 404
    assert board(admin_client, room="abc").status_code == 422


def test_board_page_shows_warning_text_not_colour_alone(
    app, client, admin_client, event, door, make_registration, english
):
    event.max_occupancy = 10
    people = [make_registration(event, first_name=f"P{n}", last_name="Gast") for n in range(9)]
    db.session.commit()
    for person in people:
        enter(person)
    html = admin_client.get("/checkin/kongress/board?lang=en").get_data(as_text=True)
    assert 'data-area="entrance" data-level="near"' in html
    assert "Nearly full" in html
    assert "P0 Gast" in html
    assert 'src="/static/checkin/board.js' in html
    assert "/api/v1/events/kongress/checkin/board" in html
    login(client, door)
    door_html = client.get("/checkin/kongress/board?lang=en").get_data(as_text=True)
    assert "Nearly full" in door_html
    assert "P0 Gast" not in door_html
    assert "board-people" not in door_html


def test_board_is_linked_from_scanner_and_dashboard(admin_client, event):
    scanner = admin_client.get("/checkin/kongress").get_data(as_text=True)
    assert 'href="/checkin/kongress/board"' in scanner
    dashboard = admin_client.get(f"/admin/events/{event.id}/").get_data(as_text=True)
    assert 'href="/checkin/kongress/board"' in dashboard


# --- max_occupancy in the forms ----------------------------------------------------------


def test_room_form_sets_and_validates_max_occupancy(admin_client, event):
    room = event.rooms[1]
    url = f"/admin/rooms/{room.id}/edit"
    form = {"name": room.name, "capacity": "40", "position": "2"}
    for bad in ("0", "-3", "viele"):
        response = admin_client.post(url, data={**form, "max_occupancy": bad})
        assert response.status_code == 422
        db.session.expire_all()
        assert db.session.get(Room, room.id).max_occupancy is None
    assert admin_client.post(url, data={**form, "max_occupancy": "35"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Room, room.id).max_occupancy == 35
    assert admin_client.post(url, data={**form, "max_occupancy": ""}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Room, room.id).max_occupancy is None


def test_event_form_sets_and_validates_max_occupancy(admin_client, make_event):
    from test_admin import event_form

    event = make_event(slug="besuch-fuerth")
    url = f"/admin/events/{event.id}/edit"
    response = admin_client.post(url, data=event_form(max_occupancy="0"))
    assert response.status_code == 422
    db.session.expire_all()
    assert db.session.get(Event, event.id).max_occupancy is None
    assert admin_client.post(url, data=event_form(max_occupancy="120")).status_code == 302
    db.session.expire_all()
    assert db.session.get(Event, event.id).max_occupancy == 120
    assert 'name="max_occupancy"' in admin_client.get(url).get_data(as_text=True)


# --- the organizers' note for the door ------------------------------------------------------


def test_note_form_sets_the_attention_note_and_audits_it(
    admin_client, event, make_registration, english
):
    guest = make_registration(event)
    page = admin_client.get(f"/admin/registrations/{guest.id}").get_data(as_text=True)
    assert 'id="attention-form"' in page
    assert page.index('id="attention-form"') < page.index('name="attention_note"')
    url = f"/admin/registrations/{guest.id}/attention-note"
    response = admin_client.post(url, data={"attention_note": "  Rollstuhlplatz,\nReihe 1 "})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Registration, guest.id).attention_note == "Rollstuhlplatz, Reihe 1"
    assert audit_actions() == ["registration.attention_note"]
    answer = enter(db.session.get(Registration, guest.id))
    assert answer["attention"] == "Rollstuhlplatz, Reihe 1"


def test_note_longer_than_300_characters_is_refused(admin_client, event, make_registration):
    guest = make_registration(event, attention_note="alt")
    url = f"/admin/registrations/{guest.id}/attention-note"
    response = admin_client.post(url, data={"attention_note": "x" * 301}, follow_redirects=True)
    assert response.status_code == 200
    assert "300" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Registration, guest.id).attention_note == "alt"
    assert audit_actions() == []


def test_door_staff_cannot_set_the_note(client, event, door, make_registration):
    guest = make_registration(event)
    login(client, door)
    url = f"/admin/registrations/{guest.id}/attention-note"
    assert client.post(url, data={"attention_note": "x"}).status_code == 403
    db.session.expire_all()
    assert db.session.get(Registration, guest.id).attention_note == ""
