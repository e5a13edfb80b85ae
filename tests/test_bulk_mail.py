"""Bulk mail from the back office: once per form, confirmed above a count, in each reader's
language, with safe placeholders, a test send and its progress; mail to a real SMTP server."""

from __future__ import annotations

import re

import pytest
from support import all_at_once, login, outbox, smtp_settings

from eventapp.extensions import db
from eventapp.mail.delivery import deliver_due
from eventapp.models import MailBatch, OutboxStatus, Registration

CONFIRM_ABOVE = 3


@pytest.fixture
def config_overrides(smtp_server):
    return smtp_settings(smtp_server, BULK_MAIL_CONFIRM_ABOVE=CONFIRM_ABOVE)


@pytest.fixture
def event(make_event):
    return make_event()


def mail_url(event) -> str:
    return f"/admin/events/{event.id}/mail"


def send_key_of(client, event) -> str:
    """The one-time key the compose page hands out."""
    page = client.get(mail_url(event)).get_data(as_text=True)
    return re.search(r'name="send_key" type="hidden" value="([^"]+)"', page).group(1)


def fingerprint_of(page: str) -> str:
    return re.search(r'name="previewed" type="hidden" value="([0-9a-f]{64})"', page).group(1)


def compose(client, event, **text) -> dict[str, str]:
    """The form as an organizer fills it in, previewed: ready to be sent."""
    data = {"status": "active", "subject": "Anreise", "body": "Bitte früh kommen.", **text}
    data["send_key"] = send_key_of(client, event)
    preview = client.post(mail_url(event), data={**data, "action": "preview"})
    assert preview.status_code == 200, preview.get_data(as_text=True)
    data["previewed"] = fingerprint_of(preview.get_data(as_text=True))
    return data


def send(client, event, data, **more):
    return client.post(mail_url(event), data={**data, "action": "send", **more})


def delivered(smtp_server) -> dict[str, object]:
    """Each received message by its envelope recipient."""
    deliver_due()
    return {
        envelope.rcpt_tos[0]: message
        for envelope, message in zip(smtp_server.envelopes, smtp_server.messages(), strict=True)
    }


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content()


# --- once per form ---------------------------------------------------------------------


def test_a_double_posted_bulk_mail_is_sent_once_and_the_second_post_says_so(
    admin_client, event, make_registration, smtp_server
):
    people = [make_registration(event) for _ in range(2)]
    data = compose(admin_client, event)

    first = send(admin_client, event, data)
    again = send(admin_client, event, data)

    batch = db.session.execute(db.select(MailBatch)).scalar_one()
    assert first.status_code == 302
    assert first.headers["Location"].endswith(f"/mail/sends/{batch.id}")
    assert again.status_code == 409
    page = again.get_data(as_text=True)
    assert 'id="already-sent"' in page
    assert f'href="/admin/events/{event.id}/mail/sends/{batch.id}"' in page
    assert batch.send_key == data["send_key"] and batch.recipient_count == 2
    assert {m.batch_id for m in outbox()} == {batch.id}
    assert sorted(delivered(smtp_server)) == sorted(p.email for p in people)
    assert len(smtp_server.envelopes) == 2


def test_two_posts_of_one_form_at_the_same_moment_send_once(
    app, admin, event, make_registration, smtp_server
):
    make_registration(event)
    make_registration(event)
    clients = [app.test_client(), app.test_client()]
    for client in clients:
        login(client, admin)
    data = {**compose(clients[0], event), "action": "send"}
    url = mail_url(event)

    def post(client):
        def call():
            with app.app_context():
                return client.post(url, data=data).status_code

        return call

    calls = [post(client) for client in clients]
    # Outside a request SQLite begins IMMEDIATE: this session must not hold the write lock.
    db.session.rollback()
    statuses = all_at_once(calls)

    assert sorted(statuses) == [302, 409]
    assert len(db.session.execute(db.select(MailBatch)).scalars().all()) == 1
    assert len(outbox()) == 2


def test_a_send_without_its_form_key_queues_nothing(admin_client, event, make_registration):
    make_registration(event)
    data = compose(admin_client, event)
    response = send(admin_client, event, {**data, "send_key": ""})
    assert 'class="flash flash-error"' in response.get_data(as_text=True)
    assert outbox() == []


# --- second confirmation above the configured count -----------------------------------


def test_above_the_limit_a_second_confirmation_names_the_count_and_nothing_is_queued_before(
    admin_client, event, make_registration
):
    for _ in range(CONFIRM_ABOVE + 1):
        make_registration(event)
    data = compose(admin_client, event)

    asked = send(admin_client, event, data)
    page = asked.get_data(as_text=True)
    assert asked.status_code == 200
    assert 'id="confirm-step"' in page and "An 4 Personen senden" in page
    assert 'name="confirmed_count" value="4"' in page
    assert outbox() == [] and db.session.execute(db.select(MailBatch)).first() is None

    # A confirmation of another count is no confirmation.
    wrong = send(admin_client, event, data, confirmed_count="3")
    assert 'id="confirm-step"' in wrong.get_data(as_text=True)
    assert outbox() == []

    confirmed = send(admin_client, event, data, confirmed_count="4")
    assert confirmed.status_code == 302
    assert len(outbox()) == 4


def test_at_the_limit_no_second_confirmation_is_needed(admin_client, event, make_registration):
    for _ in range(CONFIRM_ABOVE):
        make_registration(event)
    response = send(admin_client, event, compose(admin_client, event))
    assert response.status_code == 302
    assert len(outbox()) == CONFIRM_ABOVE


def test_the_limit_is_read_from_the_environment(monkeypatch, tmp_path):
    from eventapp.config import ConfigurationError, from_environment

    monkeypatch.setenv("BULK_MAIL_CONFIRM_ABOVE", "132")
    assert from_environment(str(tmp_path))["BULK_MAIL_CONFIRM_ABOVE"] == 132
    monkeypatch.delenv("BULK_MAIL_CONFIRM_ABOVE")
    assert from_environment(str(tmp_path))["BULK_MAIL_CONFIRM_ABOVE"] == 50
    for wrong in ("viele", "-1"):
        monkeypatch.setenv("BULK_MAIL_CONFIRM_ABOVE", wrong)
        with pytest.raises(ConfigurationError, match="BULK_MAIL_CONFIRM_ABOVE"):
            from_environment(str(tmp_path))


# --- languages ----------------------------------------------------------------------------


def test_each_recipient_gets_the_text_in_their_language(
    admin_client, event, make_registration, smtp_server
):
    german = make_registration(event, locale="de")
    english = make_registration(event, locale="en")
    data = compose(
        admin_client,
        event,
        subject="Anreise mit der Bahn",
        body="Bitte nutzen Sie den Bahnhof Bürstadt.",
        subject_en="Travel by train",
        body_en="Please use Bürstadt station.",
    )
    assert send(admin_client, event, data).status_code == 302

    mails = delivered(smtp_server)
    assert mails[german.email]["Subject"] == "Anreise mit der Bahn"
    assert "Bitte nutzen Sie den Bahnhof" in text_of(mails[german.email])
    assert mails[english.email]["Subject"] == "Travel by train"
    assert "Please use Bürstadt station." in text_of(mails[english.email])
    assert "Bahnhof" not in text_of(mails[english.email])
    assert mails[english.email]["Content-Language"] == "en"


def test_an_english_reader_gets_the_german_text_when_there_is_no_english_one(
    admin_client, event, make_registration, smtp_server
):
    english = make_registration(event, locale="en")
    data = compose(admin_client, event, subject="Anreise", body="Bitte früh kommen.")
    assert send(admin_client, event, data).status_code == 302

    [mail] = delivered(smtp_server).values()
    assert mail["Subject"] == "Anreise"
    assert "Bitte früh kommen." in text_of(mail)
    # The whole mail is German then, not an English frame around a German text.
    assert mail["Content-Language"] == "de"
    assert english.email in mail["To"]


def test_half_an_english_text_is_refused(admin_client, event, make_registration):
    make_registration(event)
    response = admin_client.post(
        mail_url(event),
        data={
            "status": "active",
            "subject": "Anreise",
            "body": "Text",
            "subject_en": "Travel",
            "action": "preview",
        },
    )
    assert response.status_code == 422
    assert 'id="body_en-error"' in response.get_data(as_text=True)


# --- placeholders ---------------------------------------------------------------------------


def test_placeholders_are_filled_for_each_recipient_in_their_language(
    admin_client, event, make_registration, smtp_server
):
    anna = make_registration(
        event, first_name="Anna", last_name="Weber", salutation="ms", academic_title="Dr."
    )
    john = make_registration(event, first_name="John", last_name="Smith", locale="en")
    data = compose(
        admin_client,
        event,
        subject="Für {first_name}",
        body="{greeting}\n\nIhr Platz ist reserviert, {name}.",
        subject_en="For {first_name}",
        body_en="{greeting}\n\nYour seat is reserved, {name}.",
    )
    assert send(admin_client, event, data).status_code == 302

    mails = delivered(smtp_server)
    anna_text, john_text = text_of(mails[anna.email]), text_of(mails[john.email])
    assert mails[anna.email]["Subject"] == "Für Anna"
    assert mails[john.email]["Subject"] == "For John"
    assert "Ihr Platz ist reserviert, Dr. Anna Weber." in anna_text
    assert "Your seat is reserved, John Smith." in john_text
    assert john_text.startswith("Hello John Smith,")
    # The text greets the reader itself: the usual greeting line is not added a second time.
    assert anna_text.count("Dr. Weber,") == 1
    assert "{" not in anna_text + john_text


def test_template_and_format_syntax_stay_literal_text(
    admin_client, event, make_registration, smtp_server
):
    make_registration(event, first_name="Eve")
    tricky = "{{ config }} {{ 7 * 7 }} {% if true %}yes{% endif %} {0.__init__} {first_name}"
    data = compose(admin_client, event, subject="Hinweis {{ 7*7 }}", body=tricky)
    assert send(admin_client, event, data).status_code == 302

    [mail] = delivered(smtp_server).values()
    text = text_of(mail)
    html = mail.get_body(("html",)).get_content()
    assert "{{ config }} {{ 7 * 7 }} {% if true %}yes{% endif %} {0.__init__} Eve" in text
    assert "{{ config }} {{ 7 * 7 }} {% if true %}yes{% endif %} {0.__init__} Eve" in html
    assert mail["Subject"] == "Hinweis {{ 7*7 }}"
    # 7 * 7 was not worked out (the mail's links are random and may hold "49" inside).
    assert not re.search(r"(?<![\w-])49(?![\w-])", text)
    assert "test-secret-key" not in text + html
    assert "SECRET_KEY" not in text + html


@pytest.mark.parametrize("unknown", ["{__class__}", "{vorname}", "{config}"])
def test_an_unknown_placeholder_is_refused_with_a_clear_message(
    admin_client, event, make_registration, unknown
):
    make_registration(event)
    data = {
        "status": "active",
        "subject": "Anreise",
        "body": f"Hallo {unknown}",
        "action": "send",
        "send_key": "k",
        "previewed": "0" * 64,
    }
    response = admin_client.post(mail_url(event) + "?lang=en", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f"Unknown placeholder: {unknown}" in page
    assert outbox() == []


def test_the_form_lists_the_placeholders(admin_client, event):
    page = admin_client.get(mail_url(event)).get_data(as_text=True)
    help_text = page.split('id="placeholder-help"')[1].split("</details>")[0]
    for name in ("{greeting}", "{name}", "{first_name}", "{last_name}"):
        assert f"<code>{name}</code>" in help_text


# --- the test send ------------------------------------------------------------------------


def test_a_test_send_reaches_the_organizer_only_filled_with_the_first_recipient(
    admin_client, admin, event, make_registration, smtp_server
):
    first = make_registration(event, first_name="Anna", last_name="Adler")
    make_registration(event, first_name="Bernd", last_name="Zander")
    response = admin_client.post(
        mail_url(event),
        data={
            "status": "active",
            "subject": "Anreise für {first_name}",
            "body": "Hallo {name}, bitte früh kommen.",
            "action": "test",
        },
    )
    assert response.status_code == 200
    [message] = outbox()
    batch = db.session.get(MailBatch, message.batch_id)
    assert batch.is_test and batch.recipient_count == 1

    deliver_due()
    [envelope] = smtp_server.envelopes
    [mail] = smtp_server.messages()
    assert envelope.rcpt_tos == [admin.email]
    assert mail["To"].addresses[0].addr_spec == admin.email
    assert mail["Subject"].startswith("[Test]") and "Anreise für Anna" in mail["Subject"]
    assert "Hallo Anna Adler, bitte früh kommen." in text_of(mail)
    # Nothing that belongs to the participant: not their address, not their links.
    raw = envelope.content.decode("utf-8", "replace")
    assert first.email not in raw and first.manage_token not in raw
    assert "List-Unsubscribe" not in mail
    assert fresh_status(message.id) == OutboxStatus.SENT


def test_a_test_send_without_recipients_is_filled_with_the_organizer_name(
    app, make_user, event, smtp_server
):
    organizer = make_user(name="Olga Orga")
    client = app.test_client()
    login(client, organizer)
    response = client.post(
        mail_url(event),
        data={
            "status": "active",
            "subject": "Hallo {first_name}",
            "body": "{greeting}\n\nTest.",
            "action": "test",
        },
    )
    assert response.status_code == 200
    deliver_due()
    [envelope] = smtp_server.envelopes
    [mail] = smtp_server.messages()
    assert envelope.rcpt_tos == [organizer.email]
    assert "Hallo Olga" in mail["Subject"]
    assert "Olga Orga" in text_of(mail)
    # The organizer stood in for a participant only on paper: no registration was made.
    assert db.session.execute(db.select(db.func.count(Registration.id))).scalar_one() == 0


def fresh_status(message_id: int) -> OutboxStatus:
    db.session.expire_all()
    return next(m.status for m in outbox() if m.id == message_id)


# --- progress and past sends ----------------------------------------------------------------


def test_progress_counts_move_from_queued_to_sent_after_delivery(
    admin_client, event, make_registration, smtp_server
):
    people = [make_registration(event) for _ in range(3)]
    smtp_server.reject.add(people[2].email)
    assert send(admin_client, event, compose(admin_client, event)).status_code == 302
    batch = db.session.execute(db.select(MailBatch)).scalar_one()
    url = f"/admin/events/{event.id}/mail/sends/{batch.id}"

    before = admin_client.get(f"{url}/progress").get_json()
    assert before == {
        "queued": 3,
        "sent": 0,
        "failed": 0,
        "discarded": 0,
        "total": 3,
        "done": False,
    }

    deliver_due()

    after = admin_client.get(f"{url}/progress").get_json()
    assert after == {"queued": 0, "sent": 2, "failed": 1, "discarded": 0, "total": 3, "done": True}
    page = admin_client.get(url).get_data(as_text=True)
    assert 'data-count="sent">2<' in page and 'data-count="failed">1<' in page
    assert 'data-progress-url="' in page and "admin/mail-progress.js" in page
    rows = re.findall(r'<tr data-message="\d+" data-status="(\w+)"', page)
    assert sorted(rows) == ["failed", "sent", "sent"]
    for person in people:
        assert person.email in page


def test_past_sends_are_listed_with_subject_author_count_and_progress(
    admin_client, admin, event, make_registration, smtp_server
):
    make_registration(event)
    send(admin_client, event, compose(admin_client, event, subject="Parken am Bürgerhaus"))
    deliver_due()

    page = admin_client.get(f"/admin/events/{event.id}/mail/sends").get_data(as_text=True)
    row = page.split("<tbody>")[1].split("</tr>")[0]
    assert "Parken am Bürgerhaus" in row and admin.email in row
    assert '<td class="numeric">1</td>' in row
    dashboard = admin_client.get(f"/admin/events/{event.id}/").get_data(as_text=True)
    compose_page = admin_client.get(mail_url(event)).get_data(as_text=True)
    for linking in (dashboard, compose_page):
        assert f'href="/admin/events/{event.id}/mail/sends"' in linking


def test_a_send_of_another_event_is_not_found(admin_client, make_event, event):
    other = make_event(slug="anderes")
    batch = MailBatch(event_id=other.id, kind="announcement", send_key="k", subject_de="S")
    db.session.add(batch)
    db.session.commit()
    assert admin_client.get(f"/admin/events/{event.id}/mail/sends/{batch.id}").status_code == 404
    response = admin_client.get(f"/admin/events/{event.id}/mail/sends/{batch.id}/progress")
    assert response.status_code == 404


# --- the preview ---------------------------------------------------------------------------


def test_the_preview_shows_what_the_send_reaches_and_loads_only_the_people_it_shows(
    app, event, make_registration
):
    """Count, sample, left-out count, readers and filled text per language and the
    fingerprint agree with the people the send reaches (``recipients``); of those only
    the sample and each language's first reader are loaded."""
    from datetime import UTC, datetime

    from sqlalchemy import event as orm_event

    from eventapp.models import RegistrationStatus
    from eventapp.registration.management import bulk_mail

    stopped_at = datetime.now(UTC)
    for n in range(30):
        extra = {}
        if n in (4, 9):  # stopped announcements: left out, and counted as such
            extra["announcements_stopped_at"] = stopped_at
        if n == 5:
            extra["status"] = RegistrationStatus.CANCELLED
        if n == 6:
            extra["anonymized_at"] = stopped_at
        if n == 7:
            extra["status"] = RegistrationStatus.WAITLISTED
        make_registration(
            event,
            first_name=f"Vorname{n:02d}",
            last_name=f"Name{29 - n:02d}",
            locale="en" if n % 4 == 1 else "de",
            **extra,
        )
    text = bulk_mail.BulkText("Für {first_name}", "Hallo", "For {first_name}", "Hello")
    filters = {"status": "active"}
    event_id = event.id
    db.session.expunge_all()
    event = db.session.get(type(event), event_id)

    loaded = []
    listener = lambda target, _context: loaded.append(target.id)  # noqa: E731
    orm_event.listen(Registration, "load", listener)
    try:
        preview = bulk_mail.preview(event, filters, text)
    finally:
        orm_event.remove(Registration, "load", listener)

    reached = bulk_mail.recipients(event, filters)
    assert len(reached) == 26  # 30, less the cancelled, the anonymized and the two stopped
    assert preview.count == 26
    assert preview.stopped == 2
    assert [p.id for p in preview.sample] == [p.id for p in reached[: bulk_mail.PREVIEW_NAMES]]
    assert preview.fingerprint == bulk_mail.fingerprint(reached, text)
    english = [p for p in reached if p.locale == "en"]
    german = [p for p in reached if p.locale != "en"]
    assert [(t.locale, t.readers) for t in preview.texts] == [
        ("de", len(german)),
        ("en", len(english)),
    ]
    assert preview.texts[0].subject == f"Für {german[0].first_name}"
    assert preview.texts[1].subject == f"For {english[0].first_name}"
    assert len(loaded) <= bulk_mail.PREVIEW_NAMES + 2
