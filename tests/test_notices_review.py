"""The organizer's review of programme changes: the page, sending once, and no notice at all."""

from __future__ import annotations

import re

import pytest
from support import audit_actions, csrf_token_in, login_with_csrf, outbox, readable_text, workshop

from eventapp.extensions import db
from eventapp.models import (
    ChoiceStatus,
    MailBatch,
    NoticeState,
    ProgrammeChange,
    SessionChoice,
    SessionKind,
)


def moved_room(make_programme, make_registration, *, locale="de"):
    """Workshop A moved to Raum Rhein, chosen by two people; one bystander in workshop B."""
    event = make_programme()
    a = workshop(event)
    people = [
        make_registration(
            event,
            first_name=first,
            locale=locale,
            choices=[SessionChoice(session=a, status=ChoiceStatus.CONFIRMED)],
        )
        for first in ("Anna", "Bernd")
    ]
    make_registration(
        event, choices=[SessionChoice(session=workshop(event, "B"), status=ChoiceStatus.CONFIRMED)]
    )
    a.room = event.rooms[1]
    db.session.commit()
    return event, people


def send_key_of(html: str) -> str:
    return re.search(r'name="send_key"[^>]*value="([^"]+)"', html).group(1)


def test_the_review_page_shows_the_change_who_hears_of_it_and_previews(
    admin_client, make_programme, make_registration
):
    event, people = moved_room(make_programme, make_registration)
    page = admin_client.get(f"/admin/events/{event.id}/changes", headers={"Accept-Language": "de"})
    assert page.status_code == 200
    text = readable_text(page)
    assert 'Großer Saal</span> → <strong class="after">Raum Rhein' in text
    assert 'data-audience="2"' in text and 'data-recipients="2"' in text
    for person in people:
        assert person.name in text
    # The digest in both languages, for the first person on the list.
    assert 'data-preview="de"' in text and 'data-preview="en"' in text
    assert "Raum: Großer Saal → Raum Rhein" in text and "Room: Großer Saal → Raum Rhein" in text
    assert outbox() == []


def test_sending_queues_one_digest_per_person_and_a_second_post_queues_nothing(
    app, make_programme, make_registration, admin
):
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    token = login_with_csrf(client, admin)
    event, people = moved_room(make_programme, make_registration)
    html = client.get(f"/admin/events/{event.id}/changes").get_data(as_text=True)
    form = {"csrf_token": csrf_token_in(html), "send_key": send_key_of(html)}
    assert token

    first = client.post(f"/admin/events/{event.id}/changes/send", data=form)
    again = client.post(
        f"/admin/events/{event.id}/changes/send",
        data=form,
        headers={"Accept-Language": "en"},
        follow_redirects=True,
    )

    assert first.status_code == 302
    assert sorted(m.registration_id for m in outbox()) == sorted(p.id for p in people)
    assert again.status_code == 200
    assert "This notice was already sent. Nothing was sent again." in again.get_data(as_text=True)
    [batch] = db.session.execute(db.select(MailBatch)).scalars()
    assert (batch.kind, batch.recipient_count, batch.created_by_id) == (
        "programme_changes",
        2,
        admin.id,
    )
    assert {m.batch_id for m in outbox()} == {batch.id}
    [change] = db.session.execute(
        db.select(ProgrammeChange).where(ProgrammeChange.kind != "added")
    ).scalars()
    assert (change.state, change.decided_by_id) == (NoticeState.SENT, admin.id)
    assert audit_actions() == ["programme_changes.send"]


def test_a_send_without_csrf_or_with_a_bad_key_changes_nothing(
    app, admin_client, make_programme, make_registration
):
    event, _people = moved_room(make_programme, make_registration)
    bad = admin_client.post(
        f"/admin/events/{event.id}/changes/send",
        data={"send_key": "<script>"},
        follow_redirects=True,
    )
    assert bad.status_code == 200
    assert outbox() == []
    app.config["WTF_CSRF_ENABLED"] = True
    refused = admin_client.post(
        f"/admin/events/{event.id}/changes/send", data={"send_key": "a" * 30}
    )
    assert refused.status_code in (302, 400)
    assert outbox() == [] and db.session.execute(db.select(MailBatch)).first() is None


def test_no_notice_needed_from_the_page_tells_nobody(
    admin_client, make_programme, make_registration, admin
):
    event, _people = moved_room(make_programme, make_registration)
    change = db.session.execute(
        db.select(ProgrammeChange).where(ProgrammeChange.kind != "added")
    ).scalar_one()

    dismiss = f"/admin/events/{event.id}/changes/dismiss"
    assert admin_client.post(dismiss, data={"change_id": "x"}).status_code == 302
    assert admin_client.post(dismiss, data={"change_id": "999999"}).status_code == 404
    assert db.session.get(ProgrammeChange, change.id).state == NoticeState.PENDING
    response = admin_client.post(dismiss, data={"change_id": str(change.id)})
    assert response.status_code == 302
    page = admin_client.get(f"/admin/events/{event.id}/changes").get_data(as_text=True)
    assert 'id="no-changes"' in page
    db.session.expire_all()
    change = db.session.get(ProgrammeChange, change.id)
    assert (change.state, change.decided_by_id) == (NoticeState.DISMISSED, admin.id)
    admin_client.post(dismiss, data={"change_id": str(change.id)})
    assert audit_actions() == ["programme_change.dismiss"]
    assert outbox() == []


def test_the_dashboard_and_programme_show_the_pending_count(
    admin_client, make_programme, make_registration, make_session
):
    event, _people = moved_room(make_programme, make_registration)
    make_session(event, title="Podium", kind=SessionKind.PANEL, capacity=None)
    workshop(event, "B").room = event.rooms[0]
    db.session.commit()

    for path in (f"/admin/events/{event.id}/", f"/admin/events/{event.id}/programme"):
        page = admin_client.get(path, headers={"Accept-Language": "en"}).get_data(as_text=True)
        assert f'href="/admin/events/{event.id}/changes"' in page
        note = page.split('id="pending-changes-note"')[1].split("</p>")[0]
        assert "2 programme changes wait for your review" in note


@pytest.mark.parametrize("action", ["cancel", "delete"])
def test_cancelling_or_deleting_asks_first_with_the_number_of_people(
    admin_client, make_programme, make_registration, action
):
    event = make_programme()
    keynote = next(s for s in event.sessions if s.kind == SessionKind.KEYNOTE)
    for _ in range(3):
        make_registration(event)
    page = admin_client.get(
        f"/admin/sessions/{keynote.id}/{action}", headers={"Accept-Language": "en"}
    )
    assert page.status_code == 200
    assert "3 people have this session in their programme." in page.get_data(as_text=True)
    assert outbox() == []
