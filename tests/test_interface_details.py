"""Small things a person notices: the icon, the brand line, the primary action, form frames."""

from __future__ import annotations

import re

import pytest

from eventapp.models import Role


def test_the_site_has_an_icon_and_every_page_links_it(client):
    answer = client.get("/favicon.ico")
    assert answer.status_code == 301
    icon = client.get(answer.headers["Location"])
    assert icon.status_code == 200
    assert icon.mimetype == "image/svg+xml"
    icon.close()
    assert '<link rel="icon" href="/static/favicon.svg"' in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("lang", ["de", "en"])
def test_the_brand_line_does_not_repeat_the_name(client, lang):
    html = client.get(f"/?lang={lang}").get_data(as_text=True)
    brand = re.search(r'class="brand".*?<span>(.*?)<small>(.*?)</small>', html, re.S)
    name, line = (set(re.findall(r"\w{4,}", part.lower())) for part in brand.groups())
    assert name and line
    assert not name & line, f"{brand.group(2)!r} repeats {brand.group(1)!r}"


def test_log_in_is_the_primary_action_of_the_login_page(client):
    html = client.get("/login").get_data(as_text=True)
    assert re.search(r'<button type="submit" class="button button-primary">', html)


def test_check_in_is_the_primary_action_of_the_scanner(client, make_user, make_event):
    from support import login

    login(client, make_user(Role.CHECKIN))
    html = client.get(f"/checkin/{make_event().slug}").get_data(as_text=True)
    form = html.split('id="scan-form"')[1].split("</form>")[0]
    assert '<button type="submit" class="button button-primary">' in form


def test_workshop_choices_are_framed_like_every_other_fieldset(client, make_programme):
    event = make_programme()
    html = client.get(f"/events/{event.slug}/register").get_data(as_text=True)
    fieldsets = re.findall(r'<fieldset class="([^"]*)"', html)
    assert any("workshop-slot" in classes for classes in fieldsets)
    # "slot" belongs to the timetable, whose rows have no side padding.
    assert not any("slot" in classes.split() for classes in fieldsets)


def test_a_full_events_form_speaks_of_the_waiting_list_not_of_a_ticket(
    client, make_event, make_registration
):
    event = make_event(capacity=1)
    make_registration(event)
    html = client.get(f"/events/{event.slug}/register?lang=en").get_data(as_text=True)
    assert "Put me on the waiting list</button>" in html
    assert "Your confirmation and ticket are sent" not in html
    open_event = make_event()
    html = client.get(f"/events/{open_event.slug}/register?lang=en").get_data(as_text=True)
    assert ">Register</button>" in html


def test_a_waitlisted_persons_ticket_page_is_headed_waiting_list(
    client, make_event, make_registration
):
    from eventapp.models import RegistrationStatus

    registration = make_registration(make_event(), status=RegistrationStatus.WAITLISTED)
    html = client.get(f"/tickets/{registration.ticket_code}?lang=en").get_data(as_text=True)
    assert "<title>Waiting list ·" in html
    assert '<p class="ticket-kicker">Waiting list</p>' in html


def test_participants_read_the_events_date_in_their_own_language(client, make_event):
    event = make_event()
    day = event.local(event.starts_at)
    german = client.get(f"/events/{event.slug}/register?lang=de").get_data(as_text=True)
    english = client.get(f"/events/{event.slug}/register?lang=en").get_data(as_text=True)
    assert f"{day:%d.%m.%Y}, {day:%H:%M}" in german
    assert f"{day:%B} {day.day}, {day.year}" in english
    assert f"{day:%d.%m.%Y}" not in english
