"""Every back-office page reads as German text: no stored codes, raw JSON or ISO dates.

The site is populated the way a congress day leaves it (audit entries of edits and
cancellations, a workshop change in a history, scans with every kind of answer), then
each page an organizer or the door staff opens is rendered in German and its visible
text is searched for what only a machine should see.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from eventapp.admin import audit
from eventapp.checkin import services as checkin
from eventapp.extensions import db
from eventapp.models import EventStatus, Session, SessionStatus
from eventapp.programme import editing
from eventapp.registration import services as registration_services
from eventapp.registration.management import actions

# Pages that are files, not pages (CSV, XLSX, PDF), and forms that only confirm a deletion.
NOT_PAGES = (
    "admin.export_",
    "admin.bulk_send_progress",
    # A background job's file and the jobs' progress as JSON.
    "admin.job_download",
    "admin.jobs_progress",
    # The scanner's service worker script and web app manifest are files, not pages.
    "checkin.service_worker",
    "checkin.manifest",
)
SNAKE_CASE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
RAW_JSON = re.compile(r"[{\[]\s*\"|\"\s*:\s*[\[{\"\d]")
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
# Addresses and links are shown as they are; they may contain underscores or dates. So are
# the placeholders organizers type into their mail texts ("{first_name}").
ALLOWED = re.compile(r"\S+@\S+|https?://\S+|/\S+|\{[a-z_]+\}")


class VisibleText(HTMLParser):
    """The text a person sees: no tags, attribute values, scripts or styles."""

    HIDDEN = {"script", "style", "template"}

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.HIDDEN:
            self._hidden += 1

    def handle_endtag(self, tag):
        if tag in self.HIDDEN and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    return ALLOWED.sub(" ", " ".join(parser.parts))


def machine_tokens(html: str) -> list[str]:
    """What in the page's visible text is a code, JSON or an ISO date."""
    text = visible_text(html)
    return [*SNAKE_CASE.findall(text), *RAW_JSON.findall(text), *ISO_DATE.findall(text)]


def test_visible_text_finds_what_only_a_machine_should_show():
    page = (
        '<p data-kind="workshops_changed">Workshops geändert</p>'
        "<script>var already_checked_in = 1;</script>"
        '<td>workshops_changed</td><code>{"added": [7]}</code><td>2027-05-16 09:30</td>'
        "<td>office_team@example.org</td>"
    )
    assert machine_tokens(page) == ["workshops_changed", '{"', '": [', "2027-05-16"]


@pytest.fixture
def congress_day(populated, admin_client):
    """The populated site after a day of edits, workshop changes and scans."""
    world = populated
    event, admin = world.event, world.admin
    # Organizer edits: a room change, a cancelled and reinstated session, a cancellation.
    session = world.workshop
    before = audit.snapshot(session, {"speaker_ids": []})
    other_room = next(room for room in event.rooms if room.id != session.room_id)
    session.room = other_room
    db.session.flush()
    audit.record(admin, "session.update", session, before, audit.snapshot(session))
    editing.set_session_status(admin, session, SessionStatus.CANCELLED)
    editing.set_session_status(admin, session, SessionStatus.SCHEDULED)
    editing.set_event_status(admin, event, EventStatus.DRAFT)
    editing.set_event_status(admin, event, EventStatus.PUBLISHED)
    actions.cancel(admin, world.waitlisted)
    # The participant swaps workshop A for workshop B.
    other = db.session.execute(
        db.select(Session).where(
            Session.event_id == event.id, Session.capacity.is_not(None), Session.id != session.id
        )
    ).scalar_one()
    registration_services.change_workshops(world.confirmed, [other.id])
    db.session.commit()
    # At the door: a check-in, the same ticket again, a stranger's code, an undo, again.
    for code in (world.confirmed.ticket_code, world.confirmed.ticket_code, "bogus"):
        checkin.redeem_ticket(
            event_slug=event.slug, code=code, user_id=admin.id, device="Tür 1", nonce=None
        )
    checkin.annul_check_in(
        event_slug=event.slug, code=world.confirmed.ticket_code, user_id=admin.id
    )
    checkin.annul_check_in(
        event_slug=event.slug, code=world.confirmed.ticket_code, user_id=admin.id
    )
    checkin.redeem_ticket(
        event_slug=event.slug, code=world.confirmed.ticket_code, user_id=admin.id, nonce=None
    )
    db.session.commit()
    # The office edits its details, and someone reports a barrier (mailed to the office).
    saved = admin_client.post(
        "/admin/settings",
        data={
            "legal_name": "Geschäftsstelle des Zukunftsbündnisses",
            "contact_email": "office@example.org",
            "conformance_status": "partial",
        },
    )
    assert saved.status_code == 302
    reported = admin_client.post(
        "/barrierefreiheit", data={"description": "Der Kalender ist ohne Maus nicht bedienbar."}
    )
    assert reported.status_code in (200, 302)
    return world


def back_office_paths(app, route_path, world) -> list[str]:
    rules = [
        rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint.split(".")[0] in ("admin", "checkin")
        and "GET" in rule.methods
        and not rule.endpoint.startswith(NOT_PAGES)
    ]
    paths = []
    # Each catalogue page with an item of its own kind (ids differ between the tables).
    items = {
        "tracks": world.track.id,
        "rooms": world.event.rooms[0].id,
        "speakers": world.speaker.id,
    }
    for rule in rules:
        if "kind" not in rule.arguments:
            paths.append(route_path(rule))
            continue
        for kind, item_id in items.items():
            paths.append(route_path(rule, kind=kind, item_id=item_id))
    return sorted(set(paths))


def test_every_back_office_page_reads_as_german_text(app, admin_client, congress_day, route_path):
    paths = back_office_paths(app, route_path, congress_day)
    assert "/admin/audit" in paths and f"/checkin/{congress_day.event.slug}/log" in paths
    found = {}
    for path in paths:
        response = admin_client.get(path, headers={"Accept-Language": "de"})
        assert response.status_code == 200, path
        assert 'lang="de"' in response.get_data(as_text=True), path
        tokens = machine_tokens(response.get_data(as_text=True))
        if tokens:
            found[path] = sorted(set(tokens))
    assert found == {}


def test_histories_and_the_audit_log_read_as_sentences(admin_client, congress_day):
    world = congress_day
    detail = admin_client.get(f"/admin/registrations/{world.confirmed.id}").get_data(as_text=True)
    history = visible_text(detail.split('id="history"')[1])
    assert "„Werkstatt B: Lebensqualität“ statt „Werkstatt A: Teilhabe“ gewählt" in history
    assert "Workshops geändert" in history and "Einlass" in history
    log = visible_text(admin_client.get("/admin/audit").get_data(as_text=True))
    assert "Programmpunkt geändert" in log
    assert "Raum: Großer Saal → Raum Rhein" in log
    assert "Status: bestätigt → storniert" not in log  # a waiting person was cancelled
    assert "Status: auf der Warteliste → storniert" in log
    scans = visible_text(
        admin_client.get(f"/checkin/{world.event.slug}/log").get_data(as_text=True)
    )
    assert "Bereits eingecheckt" in scans and "Check-in rückgängig gemacht" in scans
    assert "Rücknahme nicht möglich: Nicht eingecheckt" in scans
