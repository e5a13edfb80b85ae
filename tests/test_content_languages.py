"""Programme content in two languages: English where the reader reads English and it exists.

Every reading surface (pages, mails, tickets, badges, feeds, API, demo) is asked the
same three questions: an English reader with English text gets English; an English
reader of untranslated content gets the German; a German reader always gets German.
The back-office forms are in ``test_content_languages_forms.py``.
"""

from __future__ import annotations

import io
from datetime import date

import pypdf
import pytest
from flask import current_app
from flask_babel import force_locale
from support import prepared_file, record, smtp_settings, with_workshop, workshop

from eventapp import urls
from eventapp.content import localized
from eventapp.extensions import db
from eventapp.feeds.ical import event_uid, session_uid
from eventapp.mail.delivery import deliver_due
from eventapp.models import (
    ChoiceStatus,
    Event,
    Session,
    SessionChoice,
    SessionKind,
)

EVENT_EN = "Conference on Neighbourhoods"
SUMMARY_EN = "A day on neighbourhood development."
KEYNOTE_EN = "Keynote: Cohesion in the neighbourhood"
ABSTRACT_EN = "How neighbourhoods come together."
TRACK_EN = "Social participation"
ROOM_EN = "Main hall"
WORKSHOP_A_EN = "Workshop A: Participation"
ROLE_EN = "Professor of urban sociology"
BIO_EN = "Researches neighbourhoods."
# Kept German on purpose: untranslated content must reach English readers in German.
UNTRANSLATED = "Werkstatt B: Lebensqualität"


def translate(event: Event) -> Event:
    """English for the event, the keynote, workshop A, the first track and room, the speaker."""
    event.title_en, event.summary_en = EVENT_EN, SUMMARY_EN
    by_title = {s.title: s for s in event.sessions}
    keynote = by_title["Keynote: Zusammenhalt im Quartier"]
    keynote.title_en, keynote.abstract_en = KEYNOTE_EN, ABSTRACT_EN
    by_title["Werkstatt A: Teilhabe"].title_en = WORKSHOP_A_EN
    event.tracks[0].name_en = TRACK_EN
    event.rooms[0].name_en = ROOM_EN
    event.speakers[0].role_title_en, event.speakers[0].bio_en = ROLE_EN, BIO_EN
    event.speakers[0].bio = "Forscht zu Nachbarschaften."
    db.session.commit()
    return event


@pytest.fixture
def bilingual(make_programme) -> Event:
    return translate(make_programme())


def keynote_of(event: Event) -> Session:
    return next(s for s in event.sessions if s.kind == SessionKind.KEYNOTE)


# --- the one lookup ---------------------------------------------------------------------


def test_lookup_gives_english_only_to_english_readers_of_translated_text(app, bilingual):
    keynote = keynote_of(bilingual)
    assert localized(keynote, "title", "en") == KEYNOTE_EN
    assert localized(keynote, "title", "de") == "Keynote: Zusammenhalt im Quartier"
    with force_locale("en"):
        assert localized(keynote, "abstract") == ABSTRACT_EN
        assert localized(bilingual.rooms[1], "name") == "Raum Rhein"  # no English
        assert localized(None, "name") == ""
    with force_locale("de"):
        assert localized(keynote, "abstract") == "Wie Nachbarschaften zusammenfinden."
    keynote.title_en = "   "  # blanks are no translation
    assert localized(keynote, "title", "en") == "Keynote: Zusammenhalt im Quartier"


# --- public pages ---------------------------------------------------------------------------


def page(app, path: str, lang: str | None) -> str:
    """A page for a new visitor (no remembered language) reading ``lang``."""
    client = app.test_client()
    query = f"?lang={lang}" if lang else ""
    response = client.get(path + query)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_event_list_and_programme_follow_the_readers_language(app, bilingual):
    english = page(app, "/", "en")
    assert EVENT_EN in english and SUMMARY_EN in english

    programme = page(app, f"/events/{bilingual.slug}", "en")
    for text in (EVENT_EN, SUMMARY_EN, KEYNOTE_EN, WORKSHOP_A_EN, TRACK_EN, ROOM_EN):
        assert text in programme
    # Untranslated content reaches English readers in German.
    assert UNTRANSLATED in programme and "Raum Rhein" in programme
    assert "Keynote: Zusammenhalt im Quartier" not in programme

    for german in (page(app, f"/events/{bilingual.slug}", None), page(app, "/", "de")):
        assert bilingual.title in german
        for text in (EVENT_EN, KEYNOTE_EN, TRACK_EN, ROOM_EN):
            assert text not in german


def test_session_and_speaker_pages_follow_the_readers_language(app, bilingual):
    keynote = keynote_of(bilingual)
    speaker = bilingual.speakers[0]
    session_path = f"/events/{bilingual.slug}/sessions/{keynote.id}"
    english = page(app, session_path, "en")
    for text in (KEYNOTE_EN, ABSTRACT_EN, ROOM_EN, ROLE_EN, EVENT_EN):
        assert text in english
    german = page(app, session_path, "de")
    assert "Keynote: Zusammenhalt im Quartier" in german and "Großer Saal" in german
    assert KEYNOTE_EN not in german and ABSTRACT_EN not in german and ROLE_EN not in german

    speaker_path = f"/events/{bilingual.slug}/speakers/{speaker.id}"
    english = page(app, speaker_path, "en")
    assert ROLE_EN in english and BIO_EN in english and KEYNOTE_EN in english
    german = page(app, speaker_path, "de")
    assert "Professorin für Stadtsoziologie" in german and "Forscht zu Nachbarschaften." in german
    assert ROLE_EN not in german and BIO_EN not in german


def test_registration_form_offers_workshops_in_the_readers_language(app, bilingual):
    english = page(app, f"/events/{bilingual.slug}/register", "en")
    assert EVENT_EN in english and WORKSHOP_A_EN in english and UNTRANSLATED in english
    german = page(app, f"/events/{bilingual.slug}/register", "de")
    assert "Werkstatt A: Teilhabe" in german and WORKSHOP_A_EN not in german


def test_english_pages_offer_the_english_calendars(app, client, bilingual, parse_ical):
    feed = f"/events/{bilingual.slug}/calendar.ics"
    assert f"{feed}?lang=en" in page(app, f"/events/{bilingual.slug}", "en")
    assert f"{feed}?lang=en" not in page(app, f"/events/{bilingual.slug}", "de")

    keynote = keynote_of(bilingual)
    single = f"/events/{bilingual.slug}/sessions/{keynote.id}.ics"
    assert f"{single}?lang=en" in page(app, f"/events/{bilingual.slug}/sessions/{keynote.id}", "en")
    english = calendar_entries(parse_ical, client.get(f"{single}?lang=en").data)
    german = calendar_entries(parse_ical, client.get(single).data)
    assert english[session_uid(keynote.id)]["summary"] == KEYNOTE_EN
    assert german[session_uid(keynote.id)]["summary"] == "Keynote: Zusammenhalt im Quartier"


# --- mails ----------------------------------------------------------------------------------


@pytest.fixture
def config_overrides(request):
    if "smtp_server" not in request.fixturenames:
        return {}
    return smtp_settings(request.getfixturevalue("smtp_server"))


def test_mails_name_the_programme_in_each_recipients_language(
    make_programme, make_registration, smtp_server
):
    event, chosen, english = with_workshop(make_programme, make_registration, locale="en")
    translate(event)
    german = make_registration(
        event, locale="de", choices=[SessionChoice(session=chosen, status=ChoiceStatus.CONFIRMED)]
    )
    record(english, "registered", status="confirmed")
    record(german, "registered", status="confirmed")

    assert deliver_due().sent == 2

    by_recipient = {m["To"].addresses[0].addr_spec: m for m in smtp_server.messages()}
    en, de = by_recipient[english.email], by_recipient[german.email]
    assert EVENT_EN in en["Subject"] and event.title not in en["Subject"]
    for body in (en.get_body(("plain",)).get_content(), en.get_body(("html",)).get_content()):
        assert EVENT_EN in body and WORKSHOP_A_EN in body and ROOM_EN in body
    assert event.title in de["Subject"]
    for body in (de.get_body(("plain",)).get_content(), de.get_body(("html",)).get_content()):
        assert "Werkstatt A: Teilhabe" in body and "Großer Saal" in body
        assert EVENT_EN not in body and WORKSHOP_A_EN not in body and ROOM_EN not in body


def test_english_mail_about_untranslated_content_names_it_in_german(
    make_programme, make_registration, smtp_server
):
    event, _chosen, english = with_workshop(make_programme, make_registration, locale="en")
    record(english, "registered", status="confirmed")

    deliver_due()

    [message] = smtp_server.messages()
    assert event.title in message["Subject"]
    assert "Werkstatt A: Teilhabe" in message.get_body(("plain",)).get_content()


def test_english_participants_calendar_link_asks_for_english(app, bilingual, make_registration):
    english = make_registration(bilingual, locale="en")
    german = make_registration(bilingual, locale="de")
    assert urls.calendar_url(english).endswith(f"/calendar/{english.calendar_token}.ics?lang=en")
    assert urls.calendar_url(german).endswith(f"/calendar/{german.calendar_token}.ics")


# --- tickets and badges ---------------------------------------------------------------------


def pdf_text(data: bytes) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages]


def test_ticket_page_and_pdf_follow_the_language(app, make_programme, make_registration):
    event, _chosen, english = with_workshop(make_programme, make_registration, locale="en")
    translate(event)
    german = make_registration(event, locale="de")

    html = page(app, f"/tickets/{english.ticket_code}", "en")
    assert EVENT_EN in html and WORKSHOP_A_EN in html and ROOM_EN in html
    html = page(app, f"/tickets/{english.ticket_code}", "de")
    assert event.title in html and "Werkstatt A: Teilhabe" in html and EVENT_EN not in html

    client = app.test_client()
    [text] = pdf_text(client.get(f"/tickets/{english.ticket_code}.pdf").data)
    assert EVENT_EN in text and WORKSHOP_A_EN in text and ROOM_EN in text
    [text] = pdf_text(client.get(f"/tickets/{german.ticket_code}.pdf").data)
    assert event.title in text and EVENT_EN not in text


def test_english_ticket_of_untranslated_event_is_german(app, make_programme, make_registration):
    event, _chosen, english = with_workshop(make_programme, make_registration, locale="en")
    [text] = pdf_text(app.test_client().get(f"/tickets/{english.ticket_code}.pdf").data)
    assert event.title in text and "Werkstatt A: Teilhabe" in text


def test_each_badge_names_the_event_in_its_wearers_language(
    admin_client, bilingual, make_registration
):
    make_registration(bilingual, locale="en", first_name="Ada", last_name="Lovelace")
    make_registration(bilingual, locale="de", first_name="Berta", last_name="Benz")
    pages = pdf_text(prepared_file(admin_client, bilingual.id, "badges").data)
    by_person = {("Ada" if "Ada" in text else "Berta"): text for text in pages}
    assert EVENT_EN in by_person["Ada"].replace("\n", " ")
    assert bilingual.title in by_person["Berta"].replace("\n", " ")
    assert EVENT_EN not in by_person["Berta"].replace("\n", " ")


# --- feeds ----------------------------------------------------------------------------------


def calendar_entries(parse_ical, body: bytes) -> dict[str, dict[str, str]]:
    strict, _checked = parse_ical(body)
    return {
        str(entry["UID"]): {
            "summary": str(entry["SUMMARY"]),
            "description": str(entry.get("DESCRIPTION", "")),
            "location": str(entry.get("LOCATION", "")),
            "categories": ",".join(
                str(c) for cat in [entry.get("CATEGORIES")] if cat for c in cat.cats
            ),
            "sequence": int(entry.get("SEQUENCE", 0)),
        }
        for entry in strict.walk("VEVENT")
    }


def test_programme_feed_speaks_the_language_asked_for_with_stable_uids(
    client, bilingual, parse_ical
):
    keynote = keynote_of(bilingual)
    untranslated = next(s for s in bilingual.sessions if s.title == UNTRANSLATED)
    path = f"/events/{bilingual.slug}/calendar.ics"
    english = client.get(f"{path}?lang=en")
    german = client.get(path)
    unknown = client.get(f"{path}?lang=xx")

    en = calendar_entries(parse_ical, english.data)
    de = calendar_entries(parse_ical, german.data)
    assert set(en) == set(de)  # the same entries, whatever the language
    entry = en[session_uid(keynote.id)]
    assert entry["summary"] == KEYNOTE_EN
    assert ABSTRACT_EN in entry["description"] and EVENT_EN in entry["description"]
    assert entry["location"].startswith(ROOM_EN)
    assert en[session_uid(untranslated.id)]["summary"] == UNTRANSLATED
    workshop_a = workshop(bilingual)
    assert en[session_uid(workshop_a.id)]["categories"] == TRACK_EN
    assert de[session_uid(keynote.id)]["summary"] == "Keynote: Zusammenhalt im Quartier"
    assert de[session_uid(workshop_a.id)]["categories"] == bilingual.tracks[0].name
    assert unknown.data == german.data  # anything else means German

    # Validators differ by language, and each language's copy revalidates on its own.
    assert english.headers["ETag"] != german.headers["ETag"]
    again = client.get(f"{path}?lang=en", headers={"If-None-Match": english.headers["ETag"]})
    assert again.status_code == 304
    other = client.get(path, headers={"If-None-Match": english.headers["ETag"]})
    assert other.status_code == 200


def test_all_events_feed_speaks_the_language_asked_for(client, bilingual, parse_ical):
    english = calendar_entries(parse_ical, client.get("/calendar.ics?lang=en").data)
    german = calendar_entries(parse_ical, client.get("/calendar.ics").data)
    assert english[event_uid(bilingual.id)]["summary"] == EVENT_EN
    assert SUMMARY_EN in english[event_uid(bilingual.id)]["description"]
    assert german[event_uid(bilingual.id)]["summary"] == bilingual.title


def test_personal_feed_speaks_the_language_asked_for(
    client, bilingual, make_registration, parse_ical
):
    chosen = workshop(bilingual)
    person = make_registration(
        bilingual,
        locale="de",
        choices=[SessionChoice(session=chosen, status=ChoiceStatus.CONFIRMED)],
    )
    path = f"/calendar/{person.calendar_token}.ics"
    english_response = client.get(f"{path}?lang=en")
    german_response = client.get(path)
    english = calendar_entries(parse_ical, english_response.data)
    german = calendar_entries(parse_ical, german_response.data)
    assert english[session_uid(chosen.id)]["summary"] == WORKSHOP_A_EN
    assert english[event_uid(bilingual.id)]["summary"] == EVENT_EN
    assert german[session_uid(chosen.id)]["summary"] == "Werkstatt A: Teilhabe"
    assert set(english) == set(german)
    assert english_response.headers["ETag"] != german_response.headers["ETag"]
    assert client.get(f"{path}?lang=xx").data == german_response.data

    # The English participant's own link (with lang=en) gives English too.
    reader = make_registration(bilingual, locale="en")
    own = client.get(urls.calendar_url(reader).split("events.example.org", 1)[1])
    assert calendar_entries(parse_ical, own.data)[event_uid(bilingual.id)]["summary"] == EVENT_EN


def test_a_new_english_title_is_a_new_revision_for_calendar_clients(client, bilingual, parse_ical):
    keynote = keynote_of(bilingual)
    path = f"/events/{bilingual.slug}/calendar.ics?lang=en"
    before = calendar_entries(parse_ical, client.get(path).data)[session_uid(keynote.id)]
    keynote.title_en = "Keynote: Holding together"
    db.session.commit()
    after = calendar_entries(parse_ical, client.get(path).data)[session_uid(keynote.id)]
    assert after["summary"] == "Keynote: Holding together"
    assert after["sequence"] > before["sequence"]


# --- API and demo ---------------------------------------------------------------------------


def test_api_gives_the_english_texts_beside_the_german(client, bilingual):
    body = client.get(f"/api/v1/events/{bilingual.slug}").get_json()
    assert (body["title"], body["title_en"]) == (bilingual.title, EVENT_EN)
    keynote = next(s for s in body["sessions"] if s["kind"] == "keynote")
    assert keynote["title_en"] == KEYNOTE_EN and keynote["abstract_en"] == ABSTRACT_EN
    assert body["tracks"][0]["name_en"] == TRACK_EN
    untranslated = next(s for s in body["sessions"] if s["title"] == UNTRANSLATED)
    assert untranslated["title_en"] == ""


def test_demo_congress_reads_in_english_for_english_visitors(app):
    from eventapp.demo.data import CONGRESS_SLUG
    from eventapp.demo.services import load_demo

    load_demo(today=date(2026, 11, 26))
    db.session.commit()
    congress = db.session.execute(db.select(Event).where(Event.slug == CONGRESS_SLUG)).scalar_one()
    assert congress.title_en and congress.summary_en and congress.description_en
    assert all(s.title_en for s in congress.sessions)
    assert all(s.abstract_en for s in congress.sessions if s.abstract)
    assert all(t.name_en for t in congress.tracks) and all(r.name_en for r in congress.rooms)
    english = page(current_app, f"/events/{CONGRESS_SLUG}", "en")
    assert congress.title_en in english and congress.title not in english
    assert "Workshop 1A: Arriving in the neighbourhood" in english
    german = page(current_app, f"/events/{CONGRESS_SLUG}", "de")
    assert congress.title in german and congress.title_en not in german
