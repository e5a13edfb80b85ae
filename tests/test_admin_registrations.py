"""Back office: the registration list, one registration's history and actions, bulk email."""

from __future__ import annotations

import re

import pytest
from support import choose, workshop

from eventapp.extensions import db
from eventapp.models import (
    ENTRANCE,
    AuditEntry,
    CheckIn,
    ChoiceStatus,
    OutboxMessage,
    OutboxStatus,
    Registration,
    RegistrationChange,
    RegistrationStatus,
    Role,
    Sector,
    Session,
)


@pytest.fixture
def admin(make_user):
    """The office account whose address the history and audit pages show."""
    return make_user(Role.ADMIN, email="office@example.org")


def workshops(event) -> tuple[Session, Session]:
    return workshop(event, "A"), workshop(event, "B")


def listed_ids(response) -> list[int]:
    return [
        int(i) for i in re.findall(r'data-registration="(\d+)"', response.get_data(as_text=True))
    ]


def fresh(model, id_):
    db.session.expire_all()
    return db.session.get(model, id_)


def outbox_kinds() -> list[str]:
    return list(
        db.session.execute(db.select(OutboxMessage.kind).order_by(OutboxMessage.id)).scalars()
    )


# --- the list --------------------------------------------------------------------------


@pytest.fixture
def people(make_programme, make_registration):
    event = make_programme()
    a, b = workshops(event)
    anna = make_registration(
        event,
        first_name="Anna",
        last_name="Müller",
        organisation="Stadt Bürstadt",
        email="anna@example.org",
        sector=Sector.MUNICIPALITY,
    )
    choose(anna, a)
    bernd = make_registration(
        event,
        first_name="Bernd",
        last_name="Özdemir",
        organisation="NHW Wohnstadt",
        sector=Sector.HOUSING,
        status=RegistrationStatus.WAITLISTED,
    )
    choose(bernd, b, ChoiceStatus.WAITLISTED)
    clara = make_registration(
        event,
        first_name="Clara",
        last_name="Schäfer",
        organisation="Hochschule Darmstadt",
        sector=Sector.RESEARCH,
        status=RegistrationStatus.CANCELLED,
    )
    return event, anna, bernd, clara


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["anna", "bernd", "clara"]),
        ("?q=müller", ["anna"]),
        ("?q=Anna+Müller", ["anna"]),
        ("?q=anna@example", ["anna"]),
        ("?q=wohnstadt", ["bernd"]),
        ("?q=100%25", []),
        ("?status=waitlisted", ["bernd"]),
        ("?status=active", ["anna", "bernd"]),
        ("?status=cancelled", ["clara"]),
        ("?sector=research", ["clara"]),
        ("?status=nonsense", ["anna", "bernd", "clara"]),
    ],
)
def test_the_list_searches_and_filters(admin_client, people, query, expected):
    event, anna, bernd, clara = people
    ids = {"anna": anna.id, "bernd": bernd.id, "clara": clara.id}
    response = admin_client.get(f"/admin/events/{event.id}/registrations{query}")
    assert response.status_code == 200
    # Order by name follows the database's collation (umlauts differ), so compare sets.
    assert sorted(listed_ids(response)) == sorted(ids[name] for name in expected)


def test_the_list_filters_by_workshop(admin_client, people):
    event, anna, bernd, _clara = people
    a, b = workshops(event)
    url = f"/admin/events/{event.id}/registrations?workshop="
    assert listed_ids(admin_client.get(url + str(a.id))) == [anna.id]
    assert listed_ids(admin_client.get(url + str(b.id))) == [bernd.id]


def test_the_list_is_paginated(admin_client, make_event, make_registration):
    event = make_event()
    for n in range(57):
        make_registration(event, last_name=f"Person {n:02d}")
    url = f"/admin/events/{event.id}/registrations?status=confirmed"
    first, second = admin_client.get(url), admin_client.get(url + "&page=2")
    assert len(listed_ids(first)) == 50 and len(listed_ids(second)) == 7
    assert set(listed_ids(first)).isdisjoint(listed_ids(second))
    assert "status=confirmed" in first.get_data(as_text=True).split('rel="next"')[0][-200:]
    # Past the last page the list shows the last page (see test_admin_registrations_order).
    assert listed_ids(admin_client.get(url + "&page=9")) == listed_ids(second)


def test_the_list_of_another_event_does_not_show_these_people(admin_client, people, make_event):
    other = make_event()
    assert listed_ids(admin_client.get(f"/admin/events/{other.id}/registrations")) == []


# --- one registration --------------------------------------------------------------------


def test_the_detail_page_shows_history_and_check_ins(admin_client, admin, people):
    _event, anna, *_ = people
    db.session.add(RegistrationChange(registration=anna, kind="registered", actor="participant"))
    db.session.add(CheckIn(registration=anna, list_key=ENTRANCE, user_id=admin.id, device="Tür 1"))
    db.session.commit()
    page = admin_client.get(f"/admin/registrations/{anna.id}").get_data(as_text=True)
    history = page.split('id="history"')[1]
    assert "Angemeldet" in history and "die Person selbst" in history
    assert "Einlass" in history and "office@example.org" in history and "Tür 1" in history
    assert "Werkstatt A: Teilhabe" in page


def test_cancelling_moves_the_first_waiting_person_up(admin_client, make_event, make_registration):
    event = make_event(capacity=1)
    seated = make_registration(event)
    waiting = make_registration(event, status=RegistrationStatus.WAITLISTED)
    response = admin_client.post(f"/admin/registrations/{seated.id}/cancel")
    assert response.status_code == 302
    assert fresh(Registration, seated.id).status == RegistrationStatus.CANCELLED
    assert fresh(Registration, waiting.id).status == RegistrationStatus.CONFIRMED
    change = fresh(Registration, seated.id).changes[-1]
    assert (change.kind, change.actor) == ("cancelled", "admin:office@example.org")
    entry = db.session.execute(db.select(AuditEntry)).scalar_one()
    assert entry.action == "registration.cancel"
    assert (entry.before["status"], entry.after["status"]) == ("confirmed", "cancelled")
    assert outbox_kinds() == ["cancelled", "promoted"]


def test_cancelling_twice_is_refused_without_change(admin_client, people):
    _event, *_rest, clara = people
    admin_client.post(f"/admin/registrations/{clara.id}/cancel")
    assert db.session.execute(db.select(AuditEntry)).first() is None


def test_promoting_needs_a_free_seat(admin_client, make_event, make_registration):
    event = make_event(capacity=1)
    make_registration(event)
    waiting = make_registration(event, status=RegistrationStatus.WAITLISTED)
    response = admin_client.post(
        f"/admin/registrations/{waiting.id}/promote", follow_redirects=True
    )
    assert 'class="flash flash-error"' in response.get_data(as_text=True)
    assert fresh(Registration, waiting.id).status == RegistrationStatus.WAITLISTED
    event.capacity = 2
    db.session.commit()
    admin_client.post(f"/admin/registrations/{waiting.id}/promote")
    assert fresh(Registration, waiting.id).status == RegistrationStatus.CONFIRMED
    assert [e.action for e in db.session.execute(db.select(AuditEntry)).scalars()] == [
        "registration.promote"
    ]


def test_promoting_to_a_workshop_seat(admin_client, make_programme, make_registration):
    event = make_programme()
    a, _b = workshops(event)
    person = make_registration(event)
    choose(person, a, ChoiceStatus.WAITLISTED)
    admin_client.post(f"/admin/registrations/{person.id}/promote", data={"session_id": a.id})
    assert fresh(Registration, person.id).choices[0].status == ChoiceStatus.CONFIRMED


def test_moving_between_workshops_follows_the_rules(
    admin_client, make_programme, make_registration
):
    event = make_programme()
    a, b = workshops(event)
    person = make_registration(event)
    choose(person, a)
    url = f"/admin/registrations/{person.id}/move"
    assert (
        admin_client.post(url, data={"from_session_id": a.id, "to_session_id": b.id}).status_code
        == 302
    )
    assert [c.session_id for c in fresh(Registration, person.id).choices] == [b.id]
    # Back into a full workshop: refused, nothing changes.
    a.capacity = 1
    db.session.commit()
    choose(make_registration(event), a)
    response = admin_client.post(
        url, data={"from_session_id": b.id, "to_session_id": a.id}, follow_redirects=True
    )
    assert 'class="flash flash-error"' in response.get_data(as_text=True)
    assert [c.session_id for c in fresh(Registration, person.id).choices] == [b.id]
    admin_client.post(url, data={"from_session_id": "x", "to_session_id": a.id})
    assert [c.session_id for c in fresh(Registration, person.id).choices] == [b.id]
    actions = db.session.execute(db.select(AuditEntry.action)).scalars().all()
    assert actions == ["registration.move"]


def test_resending_the_confirmation_queues_it(admin_client, people):
    _event, anna, bernd, clara = people
    admin_client.post(f"/admin/registrations/{anna.id}/resend")
    admin_client.post(f"/admin/registrations/{bernd.id}/resend")
    admin_client.post(f"/admin/registrations/{clara.id}/resend")
    rows = db.session.execute(
        db.select(OutboxMessage.kind, OutboxMessage.recipient).order_by(OutboxMessage.id)
    ).all()
    assert rows == [("registration_confirmed", anna.email), ("waitlisted", bernd.email)]


# --- bulk email --------------------------------------------------------------------------


def test_bulk_email_shows_a_preview_with_the_count_before_sending(admin_client, people):
    event, *_ = people
    data = {"status": "active", "subject": "Anreise", "body": "Liebe Gäste,\n\nbitte früh kommen."}
    response = admin_client.post(
        f"/admin/events/{event.id}/mail", data={**data, "action": "preview"}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'data-count="2"' in page and "bitte früh kommen." in page
    assert re.search(r'name="previewed" type="hidden" value="[0-9a-f]{64}"', page)
    assert outbox_kinds() == []


def preview_fingerprint(client, url, data) -> str:
    page = client.post(url, data={**data, "action": "preview"}).get_data(as_text=True)
    return re.search(r'name="previewed" type="hidden" value="([0-9a-f]{64})"', page).group(1)


def test_bulk_email_is_queued_for_the_filtered_participants_only(admin_client, people):
    event, anna, _bernd, _clara = people
    a, _b = workshops(event)
    url = f"/admin/events/{event.id}/mail"
    data = {
        "status": "active",
        "workshop": str(a.id),
        "subject": "Ihre Werkstatt",
        "body": "Raum geändert.",
        "send_key": "the-key-of-this-form",
    }
    previewed = preview_fingerprint(admin_client, url, data)
    response = admin_client.post(url, data={**data, "action": "send", "previewed": previewed})
    assert response.status_code == 302
    message = db.session.execute(db.select(OutboxMessage)).scalar_one()
    assert (message.kind, message.recipient) == ("announcement", anna.email)
    assert message.payload == {"subject": "Ihre Werkstatt", "body": "Raum geändert."}
    assert message.batch_id is not None
    entry = db.session.execute(db.select(AuditEntry)).scalar_one()
    assert entry.action == "mail.bulk" and entry.after["recipients"] == 1


@pytest.mark.parametrize(
    "change",
    [
        {"status": "confirmed"},  # other recipients than previewed
        {"body": "Ein anderer Text."},
        {"previewed": ""},  # never previewed
    ],
)
def test_bulk_email_is_sent_only_exactly_as_previewed(admin_client, people, change):
    event, *_ = people
    url = f"/admin/events/{event.id}/mail"
    data = {"status": "active", "subject": "S", "body": "B", "send_key": "the-key-of-this-form"}
    previewed = preview_fingerprint(admin_client, url, data)
    response = admin_client.post(
        url, data={**data, "action": "send", "previewed": previewed, **change}
    )
    page = response.get_data(as_text=True)
    assert 'id="mail-preview"' in page  # shown again to check
    assert outbox_kinds() == []


def test_bulk_email_is_not_sent_when_a_recipient_joined_since_the_preview(
    admin_client, people, make_registration
):
    event, *_ = people
    url = f"/admin/events/{event.id}/mail"
    data = {"status": "active", "subject": "S", "body": "B", "send_key": "the-key-of-this-form"}
    previewed = preview_fingerprint(admin_client, url, data)
    make_registration(event)
    response = admin_client.post(url, data={**data, "action": "send", "previewed": previewed})
    page = response.get_data(as_text=True)
    assert 'class="flash flash-error"' in page and 'data-count="3"' in page
    assert outbox_kinds() == []


def test_bulk_email_without_subject_is_refused(admin_client, people):
    event, *_ = people
    data = {"status": "active", "subject": "", "body": "B", "action": "send", "previewed": "x"}
    response = admin_client.post(f"/admin/events/{event.id}/mail", data=data)
    assert response.status_code == 422
    assert outbox_kinds() == []


def test_bulk_email_never_reaches_cancelled_registrations(admin_client, people):
    event, *_ = people
    data = {"status": "cancelled", "subject": "S", "body": "B", "action": "preview"}
    response = admin_client.post(f"/admin/events/{event.id}/mail", data=data)
    assert response.status_code == 422  # not a choice offered
    assert outbox_kinds() == []


# --- audit log page ------------------------------------------------------------------------


def test_the_audit_page_lists_who_did_what(admin_client, people):
    event, anna, *_ = people
    admin_client.post(f"/admin/registrations/{anna.id}/cancel")
    admin_client.post(f"/admin/events/{event.id}/status", data={"status": "draft"})
    page = admin_client.get("/admin/audit").get_data(as_text=True)
    row = page.split('data-action="registration.cancel"')[1].split("</tr>")[0]
    assert "office@example.org" in row and "Status: bestätigt → storniert" in row
    filtered = admin_client.get("/admin/audit?object_type=event").get_data(as_text=True)
    assert 'data-action="registration.cancel"' not in filtered
    assert 'data-action="event.draft"' in filtered


def test_failed_mail_is_listed_and_can_be_sent_again(admin_client, people):
    _event, anna, *_ = people
    failed = OutboxMessage(
        kind="registration_confirmed",
        recipient=anna.email,
        registration_id=anna.id,
        status=OutboxStatus.FAILED,
        attempts=8,
        last_error="550 mailbox unavailable",
    )
    db.session.add(failed)
    db.session.commit()
    page = admin_client.get("/admin/outbox").get_data(as_text=True)
    assert 'data-count="failed">1<' in page and "550 mailbox unavailable" in page
    admin_client.post("/admin/outbox/retry", data={"message_id": failed.id})
    message = fresh(OutboxMessage, failed.id)
    assert (message.status, message.attempts) == (OutboxStatus.PENDING, 0)
    entry = db.session.execute(db.select(AuditEntry)).scalar_one()
    assert (entry.action, entry.object_id, entry.after) == (
        "mail.retry",
        failed.id,
        {"requeued": 1},
    )


def test_the_list_hands_its_filters_to_the_bulk_email(admin_client, people):
    event, *_ = people
    a, _b = workshops(event)
    listing = admin_client.get(
        f"/admin/events/{event.id}/registrations?status=confirmed&workshop={a.id}"
    ).get_data(as_text=True)
    link = re.search(r'href="([^"]+)" id="mail-these"', listing).group(1).replace("&amp;", "&")
    page = admin_client.get(link).get_data(as_text=True)
    assert '<option selected value="confirmed">' in page
    assert f'<option selected value="{a.id}">' in page
    assert outbox_kinds() == []


def test_resending_to_a_walk_in_without_an_address_says_so_and_queues_nothing(
    admin_client, make_event, make_registration
):
    walk_in = make_registration(make_event(), email="", email_normalized="", source="walk_in")

    response = admin_client.post(f"/admin/registrations/{walk_in.id}/resend", follow_redirects=True)

    assert 'class="flash flash-error"' in response.get_data(as_text=True)
    assert db.session.execute(db.select(OutboxMessage.id)).first() is None
    actions = db.session.execute(db.select(AuditEntry.action)).scalars().all()
    assert "registration.resend_confirmation" not in actions
