"""The registration form: fields, errors, kept values, workshop slots, double submit, privacy."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from eventapp.extensions import db
from eventapp.models import (
    ChoiceStatus,
    EventStatus,
    Registration,
    RegistrationStatus,
    Sector,
    SessionChoice,
    SessionKind,
)

FORM = {
    "first_name": "Aylin",
    "last_name": "Schäfer",
    "email": "aylin@example.org",
    "organisation": "Stadt Bürstadt",
    "sector": "municipality",
    "municipality": "Bürstadt",
    "accessibility_needs": "Rollstuhlplatz",
    "dietary_preference": "vegan",
    "photo_consent": "y",
    "consent_privacy": "y",
    "submission_key": "form-key-1",
}


def url(event) -> str:
    return f"/events/{event.slug}/register"


def registrations() -> list[Registration]:
    return db.session.execute(select(Registration).order_by(Registration.id)).scalars().all()


def workshops(event):
    return [s for s in event.sessions if s.kind == SessionKind.WORKSHOP]


def test_form_shows_fields_slots_seats_and_privacy_link(client, make_programme, make_registration):
    event = make_programme()
    a, b = workshops(event)
    page = client.get(url(event) + "?lang=en")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for name in (*FORM, "slot_0"):
        assert f'name="{name}"' in html
    assert html.count('name="slot_0"') == 3  # two workshops and "no workshop"
    assert 'href="/privacy"' in html
    assert f'data-seats-left="{a.capacity}"' in html
    assert f'data-seats-left="{b.capacity}"' in html
    assert re.search(r'<input checked id="slot_0-0" name="slot_0" type="radio" value="">', html)
    for sector in Sector:
        assert f'value="{sector.value}"' in html


def test_successful_registration_redirects_to_confirmation(client, make_programme):
    event = make_programme()
    workshop = workshops(event)[1]
    response = client.post(url(event), data={**FORM, "slot_0": str(workshop.id)})
    assert response.status_code == 303
    [registration] = registrations()
    assert response.headers["Location"].endswith(
        f"/registrations/{registration.manage_token}/confirmation"
    )
    assert registration.sector == Sector.MUNICIPALITY
    assert registration.municipality == "Bürstadt"
    assert registration.accessibility_needs == "Rollstuhlplatz"
    assert registration.dietary_preference == "vegan"
    assert registration.photo_consent is True
    assert registration.privacy_consent_at is not None
    assert [(c.session_id, c.status) for c in registration.choices] == [
        (workshop.id, ChoiceStatus.CONFIRMED)
    ]
    page = client.get(response.headers["Location"] + "?lang=en")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'data-status="confirmed"' in html
    assert f"/registrations/{registration.manage_token}" in html
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"


def test_waitlisted_confirmation_shows_position(client, make_event, make_registration):
    event = make_event(capacity=1)
    make_registration(event)
    response = client.post(url(event), data=FORM)
    [_, registration] = registrations()
    assert registration.status == RegistrationStatus.WAITLISTED
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'data-position="1"' in html
    assert 'id="ticket-link"' not in html


def test_confirmation_page_says_the_mail_is_on_its_way_not_that_it_was_sent(
    app, client, make_event, monkeypatch
):
    event = make_event()
    response = client.post(url(event), data=FORM)
    [registration] = registrations()
    location = response.headers["Location"]

    english = client.get(location + "?lang=en").get_data(as_text=True)
    notice = english.split('id="mail-notice"')[1].split("</div>")[0]
    assert f"on its way to {registration.email}" in notice
    assert "spam folder" in notice and "contact the office" in notice
    assert "sent" not in notice
    german = client.get(location + "?lang=de").get_data(as_text=True)
    assert "zugesandt" not in german

    monkeypatch.setitem(app.config, "MAIL_CONTACT_EMAIL", "office@events.example.org")
    with_contact = client.get(location + "?lang=en").get_data(as_text=True)
    assert (
        'write to the office: <a href="mailto:office@events.example.org">'
        "office@events.example.org</a>." in with_contact
    )


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"first_name": ""}, {"first_name"}),
        ({"email": "not-an-address"}, {"email"}),
        ({"consent_privacy": ""}, {"consent_privacy"}),
        ({"sector": "astronaut"}, {"sector"}),
        (
            {"last_name": "x" * 101, "dietary_preference": "caviar"},
            {"last_name", "dietary_preference"},
        ),
    ],
)
def test_wrong_fields_get_their_own_message_and_values_are_kept(
    client, make_event, changes, fields
):
    event = make_event()
    response = client.post(url(event) + "?lang=en", data={**FORM, **changes})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert set(re.findall(r'id="(\w+)-error"', html)) == fields
    assert 'value="Stadt Bürstadt"' in html
    assert "Rollstuhlplatz</textarea>" in html
    assert 'value="form-key-1"' in html
    assert registrations() == []


def test_duplicate_email_is_a_field_error(client, make_event, make_registration):
    event = make_event()
    make_registration(event, email="aylin@example.org")
    response = client.post(url(event), data={**FORM, "email": "Aylin@Example.org"})
    assert response.status_code == 409
    assert 'id="email-error"' in response.get_data(as_text=True)
    assert len(registrations()) == 1


def test_double_submit_gives_one_registration_and_the_same_result(client, make_event):
    event = make_event()
    first = client.post(url(event), data=FORM)
    second = client.post(url(event), data=FORM)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert len(registrations()) == 1


def test_form_without_a_seat_and_without_waitlist_says_so(client, make_event, make_registration):
    event = make_event(capacity=1, waitlist_enabled=False)
    make_registration(event)
    response = client.post(url(event) + "?lang=en", data=FORM)
    assert response.status_code == 409
    assert "fully booked" in response.get_data(as_text=True)
    assert len(registrations()) == 1


def test_full_workshop_is_marked_and_waitlists(client, make_event, make_session, make_registration):
    event = make_event()
    workshop = make_session(event, capacity=1)
    holder = make_registration(event)
    holder.choices.append(SessionChoice(session=workshop, status=ChoiceStatus.CONFIRMED))
    db.session.commit()
    html = client.get(url(event)).get_data(as_text=True)
    assert 'data-seats-left="0"' in html
    client.post(url(event), data={**FORM, "slot_0": str(workshop.id)})
    registration = registrations()[-1]
    assert registration.status == RegistrationStatus.CONFIRMED
    assert registration.choices[0].status == ChoiceStatus.WAITLISTED


@pytest.mark.parametrize(
    "fields",
    [
        {"status": EventStatus.CANCELLED},
        {"registration_closes_at": datetime(2021, 1, 1, tzinfo=UTC)},
        {"registration_opens_at": datetime.now(UTC) + timedelta(days=3)},
    ],
)
def test_closed_registration_shows_a_message_instead_of_the_form(client, make_event, fields):
    event = make_event(**fields)
    page = client.get(url(event))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="registration-closed"' in html
    assert 'name="first_name"' not in html
    assert client.post(url(event), data=FORM).status_code == 409
    assert registrations() == []


def test_draft_and_unknown_events_have_no_form(client, make_event):
    assert client.get(url(make_event(status=EventStatus.DRAFT))).status_code == 404
    assert client.get("/events/nope/register").status_code == 404


def test_privacy_notice_in_both_languages_with_its_version(app, client):
    german = client.get("/privacy?lang=de").get_data(as_text=True)
    english = client.get("/privacy?lang=en").get_data(as_text=True)
    version = app.config["PRIVACY_NOTICE_VERSION"]
    assert 'lang="de" data-version="' + version in german
    assert "Datenschutzhinweise" in german
    assert 'lang="en" data-version="' + version in english
    assert "Privacy notice" in english


def test_registration_count_is_unchanged_by_get(client, make_event):
    event = make_event()
    client.get(url(event))
    assert db.session.execute(select(func.count(Registration.id))).scalar_one() == 0


class TestCsrf:
    """CSRF stays on in the app; the tests elsewhere switch it off for brevity."""

    @pytest.fixture
    def config_overrides(self):
        return {"WTF_CSRF_ENABLED": True}

    def test_form_without_csrf_token_is_rejected(self, client, make_event):
        event = make_event()
        response = client.post(url(event), data=FORM)
        assert response.status_code == 400
        assert registrations() == []

    def test_form_with_its_csrf_token_is_accepted(self, client, make_event):
        event = make_event()
        html = client.get(url(event)).get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
        response = client.post(url(event), data={**FORM, "csrf_token": token})
        assert response.status_code == 303
        assert len(registrations()) == 1
