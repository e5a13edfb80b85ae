"""One visibility rule on every channel: cancelled events stay visible, marked; drafts never.

The HTML list, the JSON API (list and single event) and the all-events calendar feed
must agree; the API once listed only published events while the others kept cancelled ones.
"""

from __future__ import annotations

import pytest

from eventapp.models import EventStatus


@pytest.fixture
def three_events(make_event):
    """A published, a cancelled and a draft event."""
    return {
        status: make_event(slug=f"veranstaltung-{status.value}", status=status)
        for status in EventStatus
    }


def test_html_list_shows_cancelled_events_marked_and_hides_drafts(client, three_events):
    html = client.get("/").get_data(as_text=True)

    assert 'id="event-veranstaltung-published"' in html
    card = html.split('id="event-veranstaltung-cancelled"')[0].rsplit("<li", 1)[1]
    assert "is-cancelled" in card
    assert "veranstaltung-draft" not in html


def test_api_list_shows_cancelled_events_marked_and_hides_drafts(client, three_events):
    listed = {e["slug"]: e["status"] for e in client.get("/api/v1/events").get_json()}

    assert listed == {
        "veranstaltung-published": "published",
        "veranstaltung-cancelled": "cancelled",
    }


def test_api_single_event_shows_cancelled_marked_and_hides_drafts(client, three_events):
    cancelled = client.get("/api/v1/events/veranstaltung-cancelled")

    assert cancelled.status_code == 200
    assert cancelled.get_json()["status"] == "cancelled"
    assert cancelled.get_json()["registration_open"] is False
    assert client.get("/api/v1/events/veranstaltung-draft").status_code == 404


def test_all_events_feed_shows_cancelled_events_marked_and_hides_drafts(
    client, three_events, parse_ical
):
    calendar, _ = parse_ical(client.get("/calendar.ics").data)
    found = {str(entry["UID"]): str(entry["STATUS"]) for entry in calendar.walk("VEVENT")}

    uid = {status: f"event-{event.id}@events.example.org" for status, event in three_events.items()}
    assert found == {
        uid[EventStatus.PUBLISHED]: "CONFIRMED",
        uid[EventStatus.CANCELLED]: "CANCELLED",
    }


def test_check_in_sees_the_publicly_visible_events(admin_client, three_events):
    # Door staff see what the public sees: a draft admits nobody.
    html = admin_client.get("/checkin/").get_data(as_text=True)

    assert "veranstaltung-published" in html and "veranstaltung-cancelled" in html
    assert "veranstaltung-draft" not in html
    assert admin_client.get("/checkin/veranstaltung-draft").status_code == 404


def test_the_back_office_links_to_the_public_page_of_every_visible_event(
    admin_client, three_events
):
    for status, event in three_events.items():
        html = admin_client.get(f"/admin/events/{event.id}/?lang=en").get_data(as_text=True)
        linked = f'href="/events/{event.slug}"' in html and "View public page" in html
        assert linked == (status is not EventStatus.DRAFT), status
