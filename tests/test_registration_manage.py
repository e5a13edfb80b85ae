"""The participant's manage page: status, positions, workshop changes, cancelling, links."""

from __future__ import annotations

import re

import pytest

from eventapp.extensions import db
from eventapp.models import ChoiceStatus, RegistrationStatus, SessionChoice


def manage(registration) -> str:
    return f"/registrations/{registration.manage_token}"


@pytest.fixture
def workshops(make_workshop_day):
    return make_workshop_day(capacity=1)


def test_manage_page_shows_status_workshops_and_links(client, workshops, make_registration):
    event, first, _, _ = workshops
    person = make_registration(event, email="lena@example.org")
    person.choices.append(SessionChoice(session=first, status=ChoiceStatus.CONFIRMED))
    db.session.commit()
    page = client.get(manage(person) + "?lang=en")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    html = page.get_data(as_text=True)
    assert 'id="manage" data-status="confirmed"' in html
    assert "lena@example.org" in html
    assert f'data-session="{first.id}" data-status="confirmed"' in html
    assert f"/registrations/{person.manage_token}/data.json" in html
    assert f"/registrations/{person.manage_token}/cancel" in html
    assert 'name="slot_0"' in html and 'name="slot_1"' in html
    # The current choice is preselected in the change form.
    assert re.search(
        rf'<input checked id="slot_0-\d" name="slot_0" type="radio" value="{first.id}">', html
    )
    assert person.ticket_code in html
    assert person.calendar_token in html


def test_unknown_token_is_404_without_personal_data(client):
    assert client.get("/registrations/not-a-token").status_code == 404
    assert client.get("/registrations/not-a-token/cancel").status_code == 404
    assert client.post("/registrations/not-a-token/workshops").status_code == 404


def test_waiting_person_sees_position_and_no_ticket(client, workshops, make_registration):
    event, _, _, _ = workshops
    make_registration(event)
    waiting = make_registration(event, status=RegistrationStatus.WAITLISTED)
    html = client.get(manage(waiting)).get_data(as_text=True)
    assert 'data-status="waitlisted"' in html
    assert 'id="waitlist-position" data-position="1"' in html
    assert 'id="ticket-link"' not in html


def test_change_workshops_through_the_page(client, workshops, make_registration):
    event, _first, second, afternoon = workshops
    person = make_registration(event)
    response = client.post(
        manage(person) + "/workshops", data={"slot_0": str(second.id), "slot_1": str(afternoon.id)}
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert {(c.session_id, c.status) for c in person.choices} == {
        (second.id, ChoiceStatus.CONFIRMED),
        (afternoon.id, ChoiceStatus.CONFIRMED),
    }
    client.post(manage(person) + "/workshops", data={"slot_0": "", "slot_1": str(afternoon.id)})
    db.session.expire_all()
    assert [c.session_id for c in person.choices] == [afternoon.id]


def test_change_to_a_workshop_of_another_slot_value_is_refused(
    client, workshops, make_registration
):
    event, _first, _, afternoon = workshops
    person = make_registration(event)
    response = client.post(manage(person) + "/workshops", data={"slot_0": str(afternoon.id)})
    assert response.status_code == 422
    db.session.expire_all()
    assert person.choices == []


def test_cancel_asks_first_then_cancels_and_promotes(client, workshops, make_registration):
    event, first, _, _ = workshops
    holder = make_registration(event)
    holder.choices.append(SessionChoice(session=first, status=ChoiceStatus.CONFIRMED))
    waiting = make_registration(event, status=RegistrationStatus.WAITLISTED)
    waiting.choices.append(SessionChoice(session=first, status=ChoiceStatus.WAITLISTED))
    db.session.commit()

    question = client.get(manage(holder) + "/cancel")
    assert question.status_code == 200
    assert 'id="confirm-cancel"' in question.get_data(as_text=True)
    db.session.expire_all()
    assert holder.status == RegistrationStatus.CONFIRMED

    response = client.post(manage(holder) + "/cancel")
    assert response.status_code == 303
    db.session.expire_all()
    assert holder.status == RegistrationStatus.CANCELLED
    assert waiting.status == RegistrationStatus.CONFIRMED
    assert [c.status for c in waiting.choices] == [ChoiceStatus.CONFIRMED]

    html = client.get(manage(holder)).get_data(as_text=True)
    assert 'data-status="cancelled"' in html
    assert 'id="cancel-link"' not in html
    assert 'name="slot_0"' not in html
    again = client.post(manage(holder) + "/cancel")
    assert again.status_code == 303


class TestCsrf:
    @pytest.fixture
    def config_overrides(self):
        return {"WTF_CSRF_ENABLED": True}

    def test_cancel_and_change_without_token_change_nothing(
        self, client, workshops, make_registration
    ):
        event, first, _, _ = workshops
        person = make_registration(event)
        assert client.post(manage(person) + "/cancel").status_code == 400
        assert (
            client.post(manage(person) + "/workshops", data={"slot_0": str(first.id)}).status_code
            == 400
        )
        db.session.expire_all()
        assert person.status == RegistrationStatus.CONFIRMED
        assert person.choices == []
