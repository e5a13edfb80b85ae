"""Group registration: the rules of the service, the mails (real SMTP), the form, the
registrant's group list on the manage page (cancel and change a member)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from clock import CONGRESS_DAY
from sqlalchemy import func, select
from support import smtp_settings

from eventapp.errors import http_status
from eventapp.extensions import db
from eventapp.mail.delivery import deliver_due
from eventapp.models import (
    ChoiceStatus,
    GroupMembership,
    OutboxMessage,
    Registration,
    RegistrationChange,
    RegistrationSource,
    RegistrationStatus,
)
from eventapp.registration import groups, services
from eventapp.registration.errors import EventFull, InvalidRegistration
from eventapp.registration.services import RegistrationInput

NOW = CONGRESS_DAY - timedelta(days=30)


def person(first: str, email: str = "", **fields) -> RegistrationInput:
    return RegistrationInput(
        first_name=first,
        last_name="Kolb",
        email=email,
        consent_privacy=True,
        organisation="Gemeinde Lorsch",
        **fields,
    )


LEADER = person("Lea", "lea@example.org")


def register(event, members, registrant=LEADER, session_ids=(), locale="de", **kwargs):
    result = groups.register_group(
        event, registrant, members, list(session_ids), locale, now=NOW, **kwargs
    )
    db.session.commit()
    return result


def stored() -> int:
    return db.session.scalar(select(func.count()).select_from(Registration))


def refusal(event, members, registrant=LEADER) -> InvalidRegistration:
    with pytest.raises(InvalidRegistration) as caught:
        groups.register_group(event, registrant, members, [], "de", now=NOW)
    db.session.rollback()
    return caught.value


# --- rules -------------------------------------------------------------------------------


@pytest.mark.usefixtures("english")
def test_seats_go_in_order_and_the_rest_wait_in_order(make_event, make_registration):
    event = make_event(capacity=3)
    make_registration(event)
    people = register(
        event,
        [person("Ben", "ben@example.org"), person("Cem"), person("Dana", "dana@example.org")],
    )
    assert [p.first_name for p in people] == ["Lea", "Ben", "Cem", "Dana"]
    assert [p.status for p in people] == [
        RegistrationStatus.CONFIRMED,
        RegistrationStatus.CONFIRMED,
        RegistrationStatus.WAITLISTED,
        RegistrationStatus.WAITLISTED,
    ]
    assert [services.waitlist_position(p) for p in people[2:]] == [1, 2]
    leader = people[0]
    assert leader.source == RegistrationSource.FORM
    assert {p.source for p in people[1:]} == {RegistrationSource.GROUP}
    assert people[2].email == "" and people[2].email_normalized == ""
    # Each is a registration of its own: own token, own ticket code.
    assert len({p.manage_token for p in people}) == 4
    assert len({p.ticket_code for p in people}) == 4
    rows = db.session.execute(select(GroupMembership).order_by(GroupMembership.position)).scalars()
    assert [(r.leader_id, r.member_id, r.position) for r in rows] == [
        (leader.id, people[1].id, 1),
        (leader.id, people[2].id, 2),
        (leader.id, people[3].id, 3),
    ]
    assert [m.id for m in leader.group_members] == [p.id for p in people[1:]]
    assert people[3].group_leader.id == leader.id
    history = {c.registration_id: c.detail for c in db.session.scalars(select(RegistrationChange))}
    assert history[leader.id]["group"] == "registrant"
    assert history[people[3].id]["group"] == "member"


@pytest.mark.usefixtures("english")
def test_registrants_workshops_are_theirs_only(make_workshop_day):
    event, morning, _, _ = make_workshop_day(capacity=10)
    leader, member = register(event, [person("Ben")], session_ids=[morning.id])
    assert [c.session_id for c in leader.choices] == [morning.id]
    assert member.choices == []


@pytest.mark.usefixtures("english")
def test_more_members_than_allowed_is_refused(make_event):
    event = make_event(max_group_size=2)
    error = refusal(event, [person("A"), person("B"), person("C")])
    assert "at most 2 colleagues" in error.fields["members"]
    assert http_status(error) == 422
    assert stored() == 0


@pytest.mark.usefixtures("english")
def test_no_member_is_refused(make_event):
    error = refusal(make_event(), [])
    assert "members" in error.fields


@pytest.mark.usefixtures("english")
def test_an_address_twice_in_the_group_is_refused(make_event):
    event = make_event()
    error = refusal(event, [person("Ben", "ben@example.org"), person("Cem", "BEN@example.org ")])
    assert set(error.fields) == {"members.1.email"}
    error = refusal(event, [person("Ben", "lea@example.org")])
    assert set(error.fields) == {"members.0.email"}
    assert stored() == 0


@pytest.mark.usefixtures("english")
def test_an_address_already_registered_is_refused(make_event, make_registration):
    event = make_event()
    make_registration(event, email="cem@example.org")
    error = refusal(event, [person("Ben"), person("Cem", "cem@example.org")])
    assert set(error.fields) == {"members.1.email"}
    assert "already registered" in error.fields["members.1.email"]
    assert stored() == 1
    make_registration(event, email="lea@example.org")
    assert "email" in refusal(event, [person("Ben")]).fields


@pytest.mark.usefixtures("english")
def test_invalid_member_rows_are_named_per_row(make_event):
    event = make_event()
    error = refusal(
        event,
        [
            person("Ben"),
            RegistrationInput(first_name="", last_name="", email="x@", consent_privacy=False),
        ],
        registrant=person("Lea", ""),
    )
    assert set(error.fields) == {
        "email",
        "members.1.first_name",
        "members.1.last_name",
        "members.1.email",
    }
    assert stored() == 0


@pytest.mark.usefixtures("english")
def test_without_a_waiting_list_a_group_that_does_not_fit_changes_nothing(make_event):
    event = make_event(capacity=1, waitlist_enabled=False)
    with pytest.raises(EventFull):
        groups.register_group(event, LEADER, [person("Ben")], [], "de", now=NOW)
    db.session.rollback()
    assert stored() == 0


@pytest.mark.usefixtures("english")
def test_the_same_form_sent_again_returns_the_same_group(make_event):
    event = make_event()
    first = register(event, [person("Ben")], submission_key="key-1")
    again = register(event, [person("Ben")], submission_key="key-1")
    assert [p.id for p in again] == [p.id for p in first]
    assert stored() == 2


# --- mails (real SMTP server) ------------------------------------------------------------


@pytest.fixture
def config_overrides(smtp_server):
    return smtp_settings(smtp_server)


def recipients(smtp_server) -> list[list[str]]:
    return [envelope.rcpt_tos for envelope in smtp_server.envelopes]


def pdfs(message) -> list[str]:
    return [
        part.get_filename()
        for part in message.iter_attachments()
        if part.get_content_type() == "application/pdf"
    ]


@pytest.mark.usefixtures("english")
def test_mails_member_own_registrant_one_with_all_tickets(make_event, smtp_server):
    event = make_event(capacity=3)
    register(
        event,
        [person("Ben", "ben@example.org"), person("Cem"), person("Dana")],
        locale="en",
    )
    assert all(m.recipient for m in db.session.scalars(select(OutboxMessage)))

    report = deliver_due()

    assert report.sent == 2
    assert sorted(recipients(smtp_server)) == [["ben@example.org"], ["lea@example.org"]]
    messages = {m["To"].addresses[0].addr_spec: m for m in smtp_server.messages()}
    group_mail = messages["lea@example.org"]
    assert "Group registration" in group_mail["Subject"]
    text = group_mail.get_body(preferencelist=("plain",)).get_content()
    for name in ("Lea Kolb", "Ben Kolb", "Cem Kolb", "Dana Kolb"):
        assert name in text
    assert "waiting list, position 1" in text
    # Lea, Ben and Cem are confirmed: three tickets; Dana waits.
    assert len(pdfs(group_mail)) == 3
    assert len(pdfs(messages["ben@example.org"])) == 1


@pytest.mark.usefixtures("english")
def test_promotion_of_a_member_without_address_goes_to_the_registrant(
    make_event, make_registration, smtp_server
):
    event = make_event(capacity=3)
    other = make_registration(event, email="olaf@example.org")
    _leader, _ben, cem = register(
        event, [person("Ben", "ben@example.org"), person("Cem")], locale="en"
    )
    assert cem.status == RegistrationStatus.WAITLISTED
    deliver_due()
    smtp_server.envelopes.clear()

    services.cancel_registration(other, now=NOW)
    db.session.commit()
    db.session.refresh(cem)
    assert cem.status == RegistrationStatus.CONFIRMED
    report = deliver_due()

    # Olaf's own cancellation, and Cem's promotion to Lea.
    assert report.sent == 2
    assert sorted(recipients(smtp_server)) == [["lea@example.org"], ["olaf@example.org"]]
    [message] = [m for m in smtp_server.messages() if "lea@" in str(m["To"])]
    assert message["To"].addresses[0].display_name == "Lea Kolb"
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "you registered Cem Kolb" in text
    assert len(pdfs(message)) == 1


@pytest.mark.usefixtures("english")
def test_no_mail_is_queued_to_an_empty_address(make_event):
    event = make_event(capacity=5)
    _leader, ben = register(event, [person("Ben")])
    # Without a registrant to fall back to (e.g. a group broken up by an erasure) nothing
    # is queued at all, instead of a row that can only fail.
    db.session.execute(GroupMembership.__table__.delete())
    db.session.commit()
    services.cancel_registration(ben, now=NOW)
    db.session.commit()
    rows = db.session.scalars(select(OutboxMessage)).all()
    assert [r.recipient for r in rows] == ["lea@example.org"]


# --- the form ------------------------------------------------------------------------------


def form_url(event) -> str:
    return f"/events/{event.slug}/register/group?lang=en"


FORM = {
    "first_name": "Lea",
    "last_name": "Kolb",
    "email": "lea@example.org",
    "organisation": "Gemeinde Lorsch",
    "consent_privacy": "y",
    "submission_key": "group-form-1",
    "members-0-first_name": "Ben",
    "members-0-last_name": "Ahrens",
    "members-0-email": "ben@example.org",
    "members-1-first_name": "",
    "members-1-last_name": "",
    "members-2-first_name": "Cem",
    "members-2-last_name": "Yilmaz",
}


def test_form_shows_three_rows_and_adds_one_without_storing(client, make_event):
    event = make_event()
    html = client.get(form_url(event)).get_data(as_text=True)
    assert html.count('class="fieldset member-row"') == 3
    assert 'name="members-2-email"' in html
    answer = client.post(form_url(event), data={**FORM, "add_row": "1"})
    assert answer.status_code == 200
    html = answer.get_data(as_text=True)
    assert html.count('class="fieldset member-row"') == 4
    assert 'value="Cem"' in html
    assert stored() == 0


def test_add_row_stops_at_the_events_limit(client, make_event):
    event = make_event(max_group_size=2)
    html = client.get(form_url(event)).get_data(as_text=True)
    assert html.count('class="fieldset member-row"') == 2
    assert 'id="add-row"' not in html


def test_form_registers_the_group_and_skips_empty_rows(client, make_event):
    event = make_event(capacity=2)
    answer = client.post(form_url(event), data=FORM)
    assert answer.status_code == 303
    people = db.session.scalars(select(Registration).order_by(Registration.id)).all()
    assert [(p.first_name, p.status) for p in people] == [
        ("Lea", RegistrationStatus.CONFIRMED),
        ("Ben", RegistrationStatus.CONFIRMED),
        ("Cem", RegistrationStatus.WAITLISTED),
    ]
    assert answer.headers["Location"].endswith(f"/registrations/{people[0].manage_token}#group")
    # Sent twice (the same submission key): the same group, nothing new.
    assert client.post(form_url(event), data=FORM).status_code == 303
    assert stored() == 3


def test_form_shows_a_members_error_on_its_row_and_stores_nothing(client, make_event):
    event = make_event()
    data = {**FORM, "members-2-email": "ben@example.org"}
    answer = client.post(form_url(event), data=data)
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert 'id="members-2-email-error"' in html
    assert "appears twice" in html
    assert stored() == 0
    data = {**FORM, "members-2-last_name": ""}
    html = client.post(form_url(event), data=data).get_data(as_text=True)
    assert 'id="members-2-last_name-error"' in html
    assert stored() == 0


def test_form_refuses_without_privacy_consent(client, make_event):
    event = make_event()
    answer = client.post(form_url(event), data={**FORM, "consent_privacy": ""})
    assert answer.status_code == 422
    assert stored() == 0


def test_group_form_is_linked_and_absent_when_the_event_takes_no_groups(client, make_event):
    event = make_event()
    assert f"/events/{event.slug}/register/group" in client.get(
        f"/events/{event.slug}/register"
    ).get_data(as_text=True)
    assert f"/events/{event.slug}/register/group" in client.get(f"/events/{event.slug}").get_data(
        as_text=True
    )
    single = make_event(max_group_size=0)
    assert client.get(form_url(single)).status_code == 404
    assert "/register/group" not in client.get(f"/events/{single.slug}/register").get_data(
        as_text=True
    )


# --- the registrant's manage page ------------------------------------------------------------


def manage(registration) -> str:
    return f"/registrations/{registration.manage_token}"


@pytest.fixture
def group(make_event, make_registration):
    """Lea (registrant) with Ben (confirmed) and Cem (waiting), two seats."""
    event = make_event(capacity=2)
    with_english = groups.register_group(
        event, LEADER, [person("Ben", "ben@example.org"), person("Cem")], [], "de"
    )
    db.session.commit()
    return with_english


def test_manage_page_lists_the_group_with_status_and_position(client, group):
    leader, ben, cem = group
    html = client.get(manage(leader) + "?lang=en").get_data(as_text=True)
    assert 'id="group"' in html
    assert f'data-member="{ben.id}" data-status="confirmed"' in html
    assert f'data-member="{cem.id}" data-status="waitlisted"' in html
    assert 'data-position="1"' in html
    assert f"/registrations/{leader.manage_token}/group/{ben.id}/cancel" in html
    assert f"/registrations/{leader.manage_token}/group/{cem.id}/workshops" in html
    # A member's own page shows only their own registration.
    html = client.get(manage(ben) + "?lang=en").get_data(as_text=True)
    assert 'id="group"' not in html
    assert "Cem" not in html
    assert "Lea Kolb registered you as part of a group" in html


def test_registrant_cancels_a_member_and_the_next_moves_up(client, group):
    leader, ben, cem = group
    url = f"{manage(leader)}/group/{ben.id}/cancel"
    page = client.get(url + "?lang=en")
    assert page.status_code == 200
    assert 'id="confirm-cancel"' in page.get_data(as_text=True)
    assert ben.status == RegistrationStatus.CONFIRMED  # asking changes nothing
    answer = client.post(url)
    assert answer.status_code == 303
    db.session.expire_all()
    assert db.session.get(Registration, ben.id).status == RegistrationStatus.CANCELLED
    assert db.session.get(Registration, cem.id).status == RegistrationStatus.CONFIRMED
    assert db.session.get(Registration, leader.id).status == RegistrationStatus.CONFIRMED


def test_only_the_registrants_token_reaches_the_members(client, group, make_registration):
    leader, ben, cem = group
    stranger = make_registration(leader.event)
    for token in (ben.manage_token, cem.manage_token, stranger.manage_token, "nope"):
        assert client.get(f"/registrations/{token}/group/{ben.id}/cancel").status_code == 404
        assert client.post(f"/registrations/{token}/group/{cem.id}/cancel").status_code == 404
        assert client.post(f"/registrations/{token}/group/{cem.id}/workshops").status_code == 404
    # The registrant is no member of their own group.
    assert client.post(f"{manage(leader)}/group/{leader.id}/cancel").status_code == 404
    db.session.expire_all()
    assert db.session.get(Registration, ben.id).status == RegistrationStatus.CONFIRMED


def test_registrant_changes_a_members_workshops(client, make_workshop_day):
    event, morning, _parallel, afternoon = make_workshop_day(capacity=10)
    leader, ben = groups.register_group(event, LEADER, [person("Ben")], [], "de")
    db.session.commit()
    url = f"{manage(leader)}/group/{ben.id}/workshops"
    page = client.get(url + "?lang=en")
    assert page.status_code == 200
    assert 'name="slot_0"' in page.get_data(as_text=True)
    answer = client.post(url, data={"slot_0": str(morning.id), "slot_1": str(afternoon.id)})
    assert answer.status_code == 303
    db.session.expire_all()
    choices = {c.session_id: c.status for c in db.session.get(Registration, ben.id).choices}
    assert choices == {morning.id: ChoiceStatus.CONFIRMED, afternoon.id: ChoiceStatus.CONFIRMED}
    assert db.session.get(Registration, leader.id).choices == []
    # An unknown workshop: a clear refusal, nothing changed.
    answer = client.post(url, data={"slot_0": "999999"})
    assert answer.status_code == 422
    db.session.expire_all()
    assert len(db.session.get(Registration, ben.id).choices) == 2


def test_the_history_in_the_back_office_names_the_group(admin_client, group):
    leader, _ben, cem = group
    html = admin_client.get(f"/admin/registrations/{leader.id}?lang=en").get_data(as_text=True)
    assert "Registered 2 colleagues in the same group" in html
    html = admin_client.get(f"/admin/registrations/{cem.id}?lang=en").get_data(as_text=True)
    assert "Registered by a group&#39;s registrant (place 2)" in html


def test_the_back_office_links_registrant_and_members(admin_client, group):
    leader, ben, cem = group
    html = admin_client.get(f"/admin/registrations/{leader.id}?lang=en").get_data(as_text=True)
    members = html.split('id="group-members">')[1].split("</dd>")[0]
    assert f'href="/admin/registrations/{ben.id}"' in members
    assert f'href="/admin/registrations/{cem.id}"' in members
    html = admin_client.get(f"/admin/registrations/{cem.id}?lang=en").get_data(as_text=True)
    assert f'id="group-leader"><a href="/admin/registrations/{leader.id}"' in html
    assert 'id="group-members"' not in html
