"""The back office edits the optional English texts beside the German ones.

Each form saves both languages and shows them again; bad English input is refused
with a message and changes nothing, like bad German input.
"""

from __future__ import annotations

import pytest
from clock import CONGRESS_YEAR
from support import workshop

from eventapp.extensions import db
from eventapp.models import Event, Room, Session, Speaker, Track

EVENT_EN = "Conference on Neighbourhoods"
SUMMARY_EN = "A day on neighbourhood development."


def session_form(event: Event, **overrides: str) -> dict:
    data = {
        "title": "Werkstatt C: Umwelt",
        "title_en": "Workshop C: Environment",
        "kind": "workshop",
        "abstract": "Grün im Quartier",
        "abstract_en": "Green in the neighbourhood",
        "starts_at": f"{CONGRESS_YEAR}-05-16T11:00",
        "ends_at": f"{CONGRESS_YEAR}-05-16T12:30",
        "track_id": "0",
        "room_id": "0",
        "capacity": "20",
    }
    data.update(overrides)
    return data


def test_session_form_saves_and_shows_both_languages(admin_client, make_programme):
    event = make_programme()
    form_page = admin_client.get(f"/admin/events/{event.id}/sessions/new").get_data(as_text=True)
    assert 'name="title_en"' in form_page and 'name="abstract_en"' in form_page
    assert 'class="bilingual"' in form_page

    response = admin_client.post(f"/admin/events/{event.id}/sessions/new", data=session_form(event))
    assert response.status_code == 302
    session = db.session.execute(
        db.select(Session).where(Session.title == "Werkstatt C: Umwelt")
    ).scalar_one()
    assert (session.title_en, session.abstract_en) == (
        "Workshop C: Environment",
        "Green in the neighbourhood",
    )
    shown = admin_client.get(f"/admin/sessions/{session.id}/edit").get_data(as_text=True)
    assert 'value="Workshop C: Environment"' in shown and "Green in the neighbourhood" in shown
    assert 'value="Werkstatt C: Umwelt"' in shown

    # Emptying the English falls back to German, with the blanks taken off.
    data = session_form(event, title_en="  ", abstract_en="")
    assert admin_client.post(f"/admin/sessions/{session.id}/edit", data=data).status_code == 302
    db.session.refresh(session)
    assert (session.title_en, session.abstract_en) == ("", "")


@pytest.mark.parametrize(
    "bad",
    [{"title_en": "x" * 201}, {"title_en": "Zwei\nZeilen"}, {"abstract_en": "Bell\x07Sign"}],
    ids=["too-long", "line-break-in-title", "control-character"],
)
def test_bad_english_session_text_is_refused_and_nothing_changes(admin_client, make_programme, bad):
    event = make_programme()
    session = workshop(event)
    response = admin_client.post(
        f"/admin/sessions/{session.id}/edit", data=session_form(event, **bad)
    )
    assert response.status_code == 422
    assert 'class="error"' in response.get_data(as_text=True)
    db.session.expire_all()
    unchanged = db.session.get(Session, session.id)
    assert (unchanged.title, unchanged.title_en) == ("Werkstatt A: Teilhabe", "")


def event_form(event: Event, **overrides: str) -> dict:
    data = {
        "kind": "congress",
        "title": event.title,
        "title_en": EVENT_EN,
        "slug": event.slug,
        "summary": "Ein Tag zur Quartiersentwicklung.",
        "summary_en": SUMMARY_EN,
        "description": "",
        "description_en": "All day long.",
        "timezone": "Europe/Berlin",
        "starts_at": f"{CONGRESS_YEAR}-05-16T08:30",
        "ends_at": f"{CONGRESS_YEAR}-05-16T16:30",
        "capacity": "200",
        "waitlist_enabled": "y",
    }
    data.update(overrides)
    return data


def test_event_form_saves_and_shows_both_languages(admin_client, make_event):
    event = make_event()
    response = admin_client.post(f"/admin/events/{event.id}/edit", data=event_form(event))
    assert response.status_code == 302
    db.session.refresh(event)
    assert (event.title_en, event.summary_en, event.description_en) == (
        EVENT_EN,
        SUMMARY_EN,
        "All day long.",
    )
    shown = admin_client.get(f"/admin/events/{event.id}/edit").get_data(as_text=True)
    assert f'value="{EVENT_EN}"' in shown and SUMMARY_EN in shown and "All day long." in shown

    refused = admin_client.post(
        f"/admin/events/{event.id}/edit", data=event_form(event, summary_en="y" * 2001)
    )
    assert refused.status_code == 422
    db.session.expire_all()
    assert db.session.get(Event, event.id).summary_en == SUMMARY_EN


@pytest.mark.parametrize(
    ("kind", "model", "data", "english"),
    [
        ("tracks", Track, {"name": "Umwelt", "name_en": "Environment"}, {"name_en": "Environment"}),
        ("rooms", Room, {"name": "Raum Main", "name_en": "Room Main"}, {"name_en": "Room Main"}),
        (
            "speakers",
            Speaker,
            {"name": "Jo Beispiel", "role_title_en": "Mayor", "bio_en": "Runs the town."},
            {"role_title_en": "Mayor", "bio_en": "Runs the town."},
        ),
    ],
)
def test_catalogue_forms_save_and_show_both_languages(
    admin_client, make_event, kind, model, data, english
):
    event = make_event()
    form_page = admin_client.get(f"/admin/events/{event.id}/{kind}/new").get_data(as_text=True)
    for name in english:
        assert f'name="{name}"' in form_page
    assert 'class="bilingual"' in form_page

    bad = {key: "Zwei\nZeilen" if not key.startswith("bio") else "Bell\x07" for key in english}
    refused = admin_client.post(f"/admin/events/{event.id}/{kind}/new", data={**data, **bad})
    assert refused.status_code == 422
    assert db.session.execute(db.select(model).where(model.event_id == event.id)).first() is None

    response = admin_client.post(f"/admin/events/{event.id}/{kind}/new", data=data)
    assert response.status_code == 302
    item = db.session.execute(db.select(model).where(model.event_id == event.id)).scalar_one()
    assert {key: getattr(item, key) for key in english} == english
    shown = admin_client.get(f"/admin/{kind}/{item.id}/edit").get_data(as_text=True)
    for value in english.values():
        assert value in shown
