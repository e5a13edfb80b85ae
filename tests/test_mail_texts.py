"""Organizers' own mail texts and an event's mail settings, proven on mail from real SMTP."""

from __future__ import annotations

from datetime import time

import pytest
from flask import current_app
from support import audit_actions, count, login, record, smtp_settings
from test_backoffice_text import machine_tokens, visible_text

from eventapp import urls
from eventapp.extensions import db
from eventapp.mail import management, texts
from eventapp.mail.delivery import deliver_due
from eventapp.models import MailText, OutboxMessage, Role

BUILT_IN_DE = "Vielen Dank für Ihre Anmeldung. Ihr Platz ist bestätigt."
BUILT_IN_EN = "Thank you for registering. Your place is confirmed."
OWN_DE = "Schön, dass Sie dabei sind, {formal_name}!\n\nBitte bringen Sie Ihr Ticket mit."
OWN_EN = "Great to have you with us, {first_name}!\n\nPlease bring your ticket."


@pytest.fixture
def config_overrides(smtp_server):
    return smtp_settings(smtp_server)


def settings_url(event) -> str:
    return f"/admin/events/{event.id}/mail-settings"


def save_texts(client, event, kind="registration_confirmed", de="", en="", lang="de", **extra):
    """Post one mail kind's texts (``preview=...``: only preview them), the page in ``lang``."""
    return client.post(
        f"{settings_url(event)}/texts",
        data={"kind": kind, "text_de": de, "text_en": en, **extra},
        headers={"Accept-Language": lang},
    )


def mails_by_recipient(smtp_server) -> dict[str, tuple[str, str]]:
    """Each received mail's plain text and HTML (with Unix line ends), by recipient address."""
    return {
        message["To"].addresses[0].addr_spec: bodies(message) for message in smtp_server.messages()
    }


def bodies(message) -> tuple[str, str]:
    return tuple(
        message.get_body(preferencelist=(subtype,)).get_content().replace("\r\n", "\n")
        for subtype in ("plain", "html")
    )


def confirm(*registrations) -> None:
    """Record each registration as confirmed and send what that queues."""
    for registration in registrations:
        record(registration, "registered", status="confirmed")
    deliver_due()


def test_organizers_texts_reach_each_recipient_in_their_language(
    admin_client, make_event, make_registration, smtp_server
):
    event, other_event = make_event(), make_event()
    german = make_registration(
        event, locale="de", salutation="ms", academic_title="Dr.", last_name="Weber"
    )
    english = make_registration(event, locale="en", first_name="Ada")
    elsewhere = make_registration(other_event, locale="de")

    saved = save_texts(admin_client, event, de=OWN_DE, en=OWN_EN)
    assert saved.status_code == 302
    confirm(german, english, elsewhere)

    mails = mails_by_recipient(smtp_server)
    de_text, de_html = mails[german.email]
    en_text, en_html = mails[english.email]
    # Placeholders filled in the recipient's language, paragraphs kept.
    assert "Schön, dass Sie dabei sind, Frau Dr. Weber!\n\nBitte bringen Sie" in de_text
    assert "<p>Schön, dass Sie dabei sind, Frau Dr. Weber!</p>" in de_html
    assert "<p>Bitte bringen Sie Ihr Ticket mit.</p>" in de_html
    assert "Great to have you with us, Ada!" in en_text and "Ada!</p>" in en_html
    for text in (de_text, en_text):
        assert BUILT_IN_DE not in text and BUILT_IN_EN not in text
        assert "{" not in text
    assert "Schön, dass" not in en_text and "Great to have" not in de_text
    # The generated parts are still there around the organizer's text.
    with current_app.test_request_context("/"):
        for registration, (text, html) in (
            (german, mails[german.email]),
            (english, (en_text, en_html)),
        ):
            for url in (urls.manage_url(registration), urls.ticket_url(registration)):
                assert url in text and url in html
    # Another event keeps the built-in text.
    other_text, _ = mails[elsewhere.email]
    assert BUILT_IN_DE in other_text and "Schön, dass" not in other_text


def test_reset_brings_back_the_built_in_text_and_is_logged(
    admin_client, make_event, make_registration, smtp_server
):
    event = make_event()
    registration = make_registration(event, locale="en")
    save_texts(admin_client, event, de=OWN_DE, en=OWN_EN)
    assert count(MailText) == 2

    reset = admin_client.post(
        f"{settings_url(event)}/reset", data={"kind": "registration_confirmed", "locale": "en"}
    )

    assert reset.status_code == 302
    assert [row.locale for row in db.session.execute(db.select(MailText)).scalars()] == ["de"]
    assert audit_actions() == ["mail_text.save", "mail_text.save", "mail_text.reset"]
    confirm(registration)
    [(text, html)] = mails_by_recipient(smtp_server).values()
    assert BUILT_IN_EN in text and f"<p>{BUILT_IN_EN}</p>" in html
    assert "Great to have" not in text


def test_text_left_as_built_in_or_empty_stores_nothing(admin_client, make_event):
    event = make_event()
    page = admin_client.get(settings_url(event)).get_data(as_text=True)
    # The built-in text is the starting value of the field.
    assert f"{BUILT_IN_DE}</textarea>" in page and f"{BUILT_IN_EN}</textarea>" in page

    saved = save_texts(admin_client, event, de=BUILT_IN_DE + "\r\n", en="")

    assert saved.status_code == 302
    assert count(MailText) == 0 and audit_actions() == []


def test_unknown_placeholder_is_refused_and_nothing_saved(admin_client, make_event):
    event = make_event()

    refused = save_texts(admin_client, event, de="Hallo {vorname}", en="Hello {first_name}")

    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    error = page.split('id="registration-confirmed-text-de-error"')[1].split("</p>")[0]
    assert "{vorname}" in error and "{first_name}" in error  # what is wrong, and what is known
    assert 'id="registration-confirmed-text-en-error"' not in page
    assert count(MailText) == 0 and audit_actions() == []


def test_template_syntax_stays_literal_and_markup_is_escaped(
    admin_client, make_event, make_registration, smtp_server
):
    event = make_event()
    registration = make_registration(event, locale="de")
    injected = "{{ config }} {% if 1 %}x{% endif %} %(event)s <script>alert(1)</script>"
    assert save_texts(admin_client, event, de=injected).status_code == 302
    # A placeholder that reaches into objects is not on the list, so it cannot be saved …
    refused = save_texts(admin_client, event, de="{__class__}", en="")
    assert refused.status_code == 422
    assert db.session.execute(db.select(MailText.text)).scalar_one() == injected
    # … and even written straight into the table it stays text.
    db.session.add(MailText(event_id=event.id, kind="reminder", locale="de", text="{__class__}"))
    db.session.commit()

    confirm(registration)
    db.session.add(
        OutboxMessage(kind="reminder", locale="de", registration=registration, recipient="x")
    )
    db.session.commit()
    deliver_due()

    [(confirmation, html), (reminder, _)] = [bodies(m) for m in smtp_server.messages()]
    assert "{{ config }} {% if 1 %}x{% endif %} %(event)s <script>" in confirmation
    assert "SECRET_KEY" not in confirmation and "test-secret-key" not in confirmation
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>" not in html
    assert "{__class__}" in reminder and "<class" not in reminder


def test_preview_shows_the_whole_mail_in_each_language_without_saving(admin_client, make_event):
    event = make_event()

    shown = save_texts(
        admin_client, event, kind="reminder", de="Bis bald, {name}!", en="", preview="Vorschau"
    )

    assert shown.status_code == 200
    page = visible_text(shown.get_data(as_text=True))
    assert "Bis bald, Dr. Erika Mustermann!" in page  # the draft, for a made-up participant
    assert f"We look forward to seeing you at {event.title}." in page  # English: built-in
    assert "Sehr geehrte Frau Dr. Mustermann," in page and "Dear Ms Dr. Mustermann," in page
    assert "/registrations/preview" in shown.get_data(as_text=True)  # the generated links
    assert count(MailText) == 0 and count(OutboxMessage) == 0
    assert machine_tokens(shown.get_data(as_text=True)) == []


def test_every_editable_kind_has_its_built_in_text_in_both_languages(app, make_event):
    event = make_event(title="Fachkongress 2027")
    assert texts.built_in(event, "thank_you", "en").startswith(
        "Thank you for taking part in Fachkongress 2027."
    )
    assert texts.built_in(event, "programme_changes", "en") == (
        "The programme of the event “Fachkongress 2027” has changed."
        " These changes concern your personal programme:"
    )
    for kind in texts.EDITABLE_KINDS:
        de, en = texts.built_in(event, kind, "de"), texts.built_in(event, kind, "en")
        assert de and en


def test_too_long_text_is_refused(admin_client, make_event):
    event = make_event()

    refused = save_texts(admin_client, event, en="x" * (texts.MAX_LENGTH + 1))

    assert refused.status_code == 422
    assert count(MailText) == 0


# --- the reminder and thank-you settings ---------------------------------------------------


def settings(**overrides) -> dict[str, str]:
    values = {
        "reminder_enabled": "y",
        "reminder_days_before": "3",
        "reminder_time": "08:30",
        "thank_you_enabled": "y",
        "slides_url": "https://events.example.org/folien",
    }
    values.update(overrides)
    return {key: value for key, value in values.items() if value is not None}


def test_settings_page_saves_the_reminder_and_thank_you_mail(admin_client, make_event):
    event = make_event()

    saved = admin_client.post(settings_url(event), data=settings(reminder_enabled=None))

    assert saved.status_code == 302
    db.session.refresh(event)
    assert event.reminder_enabled is False
    assert (event.reminder_days_before, event.reminder_time) == (3, time(8, 30))
    assert event.thank_you_enabled is True
    assert event.slides_url == "https://events.example.org/folien"
    assert audit_actions() == ["event.mail_settings"]
    log = visible_text(
        admin_client.get("/admin/audit", headers={"Accept-Language": "en"}).data.decode()
    )
    assert "Reminder and thank-you mail changed" in log
    assert "Days before the event: 2 → 3" in log and "Time of the reminder: 09:00 → 08:30" in log


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("reminder_days_before", "99"),
        ("reminder_days_before", "-1"),
        ("reminder_days_before", "zwei"),
        ("reminder_time", "25:00"),
        ("slides_url", "javascript:alert(1)"),
        ("slides_url", "http://events.example.org/folien"),
        ("slides_url", "https://"),
    ],
)
def test_settings_page_refuses_bad_values_and_changes_nothing(
    admin_client, make_event, field, value
):
    event = make_event()

    refused = admin_client.post(settings_url(event), data=settings(**{field: value}))

    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert f'id="{field}-error"' in page
    db.session.refresh(event)
    assert (event.reminder_days_before, event.reminder_time) == (2, time(9, 0))
    assert event.slides_url == "" and event.thank_you_enabled is False
    assert audit_actions() == []


def test_mail_settings_are_for_admins_only(app, make_event, make_user):
    event = make_event()
    anonymous, door = app.test_client(), app.test_client()
    login(door, make_user(Role.CHECKIN))
    for client in (anonymous, door):
        assert client.get(settings_url(event)).status_code in (302, 403)
        assert client.post(settings_url(event), data=settings()).status_code in (302, 403)
        assert save_texts(client, event, de="Hallo").status_code in (302, 403)
        reset = client.post(
            f"{settings_url(event)}/reset", data={"kind": "reminder", "locale": "de"}
        )
        assert reset.status_code in (302, 403)
    db.session.refresh(event)
    assert event.thank_you_enabled is False and count(MailText) == 0


def test_mail_settings_page_and_its_log_read_as_text(admin_client, make_event):
    event = make_event()
    save_texts(admin_client, event, kind="thank_you", de="Danke, {first_name}!", en="Thanks!")
    admin_client.post(f"{settings_url(event)}/reset", data={"kind": "thank_you", "locale": "en"})

    page = admin_client.get(settings_url(event), headers={"Accept-Language": "de"})
    log = admin_client.get("/admin/audit", headers={"Accept-Language": "en"})

    assert page.status_code == 200
    assert machine_tokens(page.get_data(as_text=True)) == []
    assert machine_tokens(log.get_data(as_text=True)) == []
    log_text = visible_text(log.get_data(as_text=True))
    assert "Mail text changed" in log_text and "Mail text reset to the built-in text" in log_text
    assert "Kind: Thank-you mail" in log_text and "Language: English" in log_text


@pytest.mark.parametrize("kind", texts.EDITABLE_KINDS)
def test_every_mail_kind_can_be_previewed_or_says_why_not(admin_client, make_programme, kind):
    event = make_programme()

    shown = save_texts(admin_client, event, kind=kind, de="Vorab: {name}", preview="1", lang="en")

    assert shown.status_code == 200
    page = visible_text(shown.get_data(as_text=True))
    if management.previewable(kind):
        assert "Vorab: Dr. Erika Mustermann" in page
        assert texts.built_in(event, kind, "en") in page
    else:
        assert "A preview of this mail is not available yet." in page
    assert count(MailText) == 0


def test_two_organizers_saving_the_same_new_text_at_once_get_a_clear_answer(
    admin_client, make_event, monkeypatch
):
    event = make_event()
    db.session.add(MailText(event_id=event.id, kind="cancelled", locale="de", text="Zuerst"))
    db.session.commit()
    # The other organizer's row arrived after this request looked: it saw none.
    monkeypatch.setattr(texts, "own_texts", lambda event: {})

    refused = save_texts(admin_client, event, kind="cancelled", de="Danach", en="Later", lang="en")

    assert refused.status_code == 409
    assert "Someone else saved this text" in refused.get_data(as_text=True)
    rows = db.session.execute(db.select(MailText.locale, MailText.text)).all()
    assert [tuple(row) for row in rows] == [("de", "Zuerst")]
    assert audit_actions() == []
