"""Stopping announcements (RFC 8058): the headers and link on bulk mail and reminders, none on
transactional mail, the page and the one-click POST, and what a forged token gets."""

from __future__ import annotations

import re
import secrets

import pytest
from itsdangerous import URLSafeSerializer
from support import (
    announcement,
    csrf_token_in,
    login_with_csrf,
    outbox,
    record,
    smtp_settings,
)

from eventapp.extensions import db
from eventapp.mail import optout
from eventapp.mail.delivery import deliver_due
from eventapp.mail.outbox import MessageKind
from eventapp.mail.schedule import queue_for
from eventapp.mail.services import enqueue_bulk
from eventapp.models import ChangeKind, OutboxStatus, Registration, RegistrationChange


@pytest.fixture
def config_overrides(smtp_server):
    # CSRF on: the one-click POST must work without a token, the page's button must not.
    return smtp_settings(smtp_server, WTF_CSRF_ENABLED=True)


@pytest.fixture
def person(make_event, make_registration) -> Registration:
    return make_registration(make_event(), first_name="Gustav", last_name="Weber")


def stop_path(registration: Registration) -> str:
    return f"/stop/{optout.stop_token(registration)}"


def bulk_mail_to(*registrations: Registration) -> int:
    batch = announcement(registrations[0].event, "Parken", "Bitte am Bürgerhaus parken.")
    queued = enqueue_bulk(list(registrations), batch)
    db.session.commit()
    return queued


def reloaded(registration: Registration) -> Registration:
    db.session.expire_all()
    return db.session.get(Registration, registration.id)


def history(registration: Registration) -> list[ChangeKind]:
    return list(
        db.session.execute(
            db.select(RegistrationChange.kind)
            .where(RegistrationChange.registration_id == registration.id)
            .order_by(RegistrationChange.id)
        ).scalars()
    )


# --- the headers and the link --------------------------------------------------------------


def test_an_announcement_carries_list_unsubscribe_and_the_same_link_in_text_and_html(
    person, smtp_server
):
    bulk_mail_to(person)
    deliver_due()

    [mail] = smtp_server.messages()
    url = f"http://events.example.org{stop_path(person)}?lang=de"
    assert mail["List-Unsubscribe"] == f"<{url}>"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert url in mail.get_body(("plain",)).get_content()
    assert f'href="{url}"' in mail.get_body(("html",)).get_content()


def test_a_reminder_carries_the_headers_too(person, smtp_server):
    queue_for(MessageKind.REMINDER, person.event)
    db.session.commit()
    deliver_due()

    [mail] = smtp_server.messages()
    assert mail["List-Unsubscribe"].startswith("<http://events.example.org/stop/")
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_a_confirmation_carries_no_stop_header_and_no_stop_link(person, smtp_server):
    record(person, "registered", status="confirmed")
    deliver_due()

    [mail] = smtp_server.messages()
    assert mail["List-Unsubscribe"] is None and mail["List-Unsubscribe-Post"] is None
    assert "/stop/" not in mail.get_body(("plain",)).get_content()
    assert "/stop/" not in mail.get_body(("html",)).get_content()


# --- the one-click POST and the page -----------------------------------------------------------


def test_the_one_click_post_without_csrf_token_or_cookie_stops_later_bulk_mail(
    app, person, make_registration, smtp_server
):
    other = make_registration(person.event)
    provider = app.test_client(use_cookies=False)

    response = provider.post(stop_path(person), data={"List-Unsubscribe": "One-Click"})

    assert response.status_code == 200
    assert reloaded(person).announcements_stopped_at is not None
    assert history(person) == [ChangeKind.ANNOUNCEMENTS_STOPPED]
    assert bulk_mail_to(reloaded(person), other) == 1
    deliver_due()
    assert [e.rcpt_tos for e in smtp_server.envelopes] == [[other.email]]


def test_a_second_one_click_changes_nothing_more(app, person):
    provider = app.test_client(use_cookies=False)
    for _ in range(2):
        provider.post(stop_path(person), data={"List-Unsubscribe": "One-Click"})
    assert history(person) == [ChangeKind.ANNOUNCEMENTS_STOPPED]


def test_a_bulk_mail_queued_before_the_stop_is_not_sent(app, person, smtp_server):
    bulk_mail_to(person)
    app.test_client().post(stop_path(person), data={"List-Unsubscribe": "One-Click"})

    deliver_due()

    assert smtp_server.envelopes == []
    assert [m.status for m in outbox()] == [OutboxStatus.DISCARDED]


def test_the_page_stops_with_its_button_and_offers_to_undo(app, person):
    browser = app.test_client()
    page = browser.get(stop_path(person) + "?lang=en")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="stop-button"' in html
    assert person.event.title in html
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert reloaded(person).announcements_stopped_at is None  # a GET changes nothing

    stopped = browser.post(
        stop_path(person), data={"csrf_token": csrf_token_in(html), "action": "stop"}
    )
    stopped_html = stopped.get_data(as_text=True)
    assert stopped.status_code == 200
    assert 'id="stopped"' in stopped_html and 'id="resume-button"' in stopped_html
    assert reloaded(person).announcements_stopped_at is not None

    browser.post(
        stop_path(person), data={"csrf_token": csrf_token_in(stopped_html), "action": "resume"}
    )
    assert reloaded(person).announcements_stopped_at is None
    assert history(person) == [ChangeKind.ANNOUNCEMENTS_STOPPED, ChangeKind.ANNOUNCEMENTS_RESUMED]


def test_the_page_speaks_german_by_default_and_english_on_request(app, person):
    german = app.test_client().get(stop_path(person)).get_data(as_text=True)
    english = app.test_client().get(stop_path(person) + "?lang=en").get_data(as_text=True)
    assert '<html lang="de"' in german
    assert '<html lang="en"' in english and "Stop these messages" in english


def test_the_page_button_without_csrf_token_is_refused_and_changes_nothing(app, person):
    response = app.test_client().post(stop_path(person), data={"action": "stop"})
    assert response.status_code == 400
    assert reloaded(person).announcements_stopped_at is None
    assert history(person) == []


# --- tokens ----------------------------------------------------------------------------------


def forged_tokens(registration: Registration) -> list[str]:
    token = optout.stop_token(registration)
    other_salt = URLSafeSerializer("test-secret-key", salt="another.purpose").dumps(registration.id)
    other_key = URLSafeSerializer("another-key", salt=optout.SALT).dumps(registration.id)
    payload, _sep, signature = token.partition(".")
    return [
        secrets.token_urlsafe(24),
        token[:-1],
        f"{payload}.{signature.upper()}",
        URLSafeSerializer("test-secret-key", salt=optout.SALT).dumps(registration.id)[:-2] + "xx",
        other_salt,
        other_key,
        registration.manage_token,
        str(registration.id),
        URLSafeSerializer("test-secret-key", salt=optout.SALT).dumps("1"),
        URLSafeSerializer("test-secret-key", salt=optout.SALT).dumps(10**30),
    ]


def test_a_forged_token_gets_a_clear_page_and_changes_nothing(app, person):
    client = app.test_client(use_cookies=False)
    for token in forged_tokens(person):
        for method, data in (("GET", None), ("POST", {"List-Unsubscribe": "One-Click"})):
            response = client.open(f"/stop/{token}", method=method, data=data)
            assert response.status_code == 404, (token, method, response.status_code)
            assert 'id="stop-invalid"' in response.get_data(as_text=True)
            assert person.event.title not in response.get_data(as_text=True)
    assert reloaded(person).announcements_stopped_at is None


def test_a_token_names_one_registration_and_is_not_its_id(person, make_registration):
    other = make_registration(person.event)
    token = optout.stop_token(person)
    assert optout.registration_for(token) == person
    assert optout.registration_for(optout.stop_token(other)) == other
    assert str(person.id) != token and len(token) > 20


def test_an_erased_registration_has_no_stop_page(app, person):
    path = stop_path(person)
    person.anonymized_at = person.created_at
    db.session.commit()
    assert app.test_client().get(path).status_code == 404


# --- the back office shows how many stopped ------------------------------------------------------


def test_dashboard_and_compose_page_count_who_stopped(app, admin, person, make_registration):
    make_registration(person.event)
    optout.stop(person)
    db.session.commit()
    client = app.test_client()
    login_with_csrf(client, admin)

    dashboard = client.get(f"/admin/events/{person.event_id}/").get_data(as_text=True)
    compose = client.get(f"/admin/events/{person.event_id}/mail").get_data(as_text=True)

    assert re.search(r'id="announcements-stopped" data-count="1"', dashboard)
    assert re.search(r'id="stopped-count" data-count="1"', compose)


def test_the_criterion_for_the_scheduler_leaves_out_who_stopped(person, make_registration):
    other = make_registration(person.event)
    optout.stop(person)
    db.session.commit()
    allowed = db.session.execute(
        db.select(Registration.id).where(optout.ANNOUNCEMENTS_ALLOWED)
    ).scalars()
    assert list(allowed) == [other.id]
    assert not optout.announcements_allowed(person) and optout.announcements_allowed(other)
