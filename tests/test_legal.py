"""The legal pages, the operator settings behind them and the barrier feedback form."""

from __future__ import annotations

import re
from datetime import date

import pytest
from support import csrf_token_in, login

from eventapp.extensions import db
from eventapp.legal.settings import operator_settings
from eventapp.mail.messages import build_email
from eventapp.mail.outbox import MessageKind
from eventapp.models import AuditEntry, BarrierReport, OperatorSettings, OutboxMessage, Role

LEGAL_PAGES = ("/impressum", "/barrierefreiheit", "/leichte-sprache", "/gebaerdensprache")

# What each page says in each language, beside the operator's details.
HEADINGS = {
    "/impressum": ("Impressum", "Legal notice"),
    "/barrierefreiheit": ("Erklärung zur Barrierefreiheit", "Accessibility statement"),
    "/leichte-sprache": ("Informationen in Leichter Sprache", "Information in easy read"),
    "/gebaerdensprache": (
        "Informationen in Deutscher Gebärdensprache",
        "Information for deaf visitors",
    ),
}


@pytest.fixture
def operator(app):
    """Operator details as the back office saves them."""
    row = OperatorSettings(
        id=1,
        legal_name="Geschäftsstelle Beispielbündnis",
        address="Beispielweg 2\n65183 Wiesbaden",
        representative="Die Leitung der Geschäftsstelle",
        contact_email="office@example.org",
        contact_phone="+49 69 90009 101",
        data_protection_officer="Datenschutz-Team, datenschutz@example.org",
        supervisory_authority="Beispielministerium",
        enforcement_contact="Schlichtungsstelle, schlichtung@example.org",
        known_limitations="Lagepläne nur als Bild\nPDF nicht ausgezeichnet",
        last_review=date(2026, 11, 30),
    )
    db.session.add(row)
    db.session.commit()
    return row


def visible_text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.mark.parametrize("path", LEGAL_PAGES)
def test_legal_pages_render_in_german_and_english_from_the_operator_settings(
    client, operator, path
):
    german = client.get(path, headers={"Accept-Language": "de"})
    english = client.get(path + "?lang=en")

    for response, heading, language in (
        (german, HEADINGS[path][0], "de"),
        (english, HEADINGS[path][1], "en"),
    ):
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert f'<html lang="{language}">' in html
        assert f"<h1>{heading}</h1>" in html
        assert "Geschäftsstelle Beispielbündnis" in html
        assert "mailto:office@example.org" in html


def test_imprint_names_address_representative_and_supervisory_authority(client, operator):
    text = visible_text(client.get("/impressum?lang=de").get_data(as_text=True))

    assert "§ 5 Digitale-Dienste-Gesetz" in text
    assert "Beispielweg 2 65183 Wiesbaden" in text
    assert "Die Leitung der Geschäftsstelle" in text
    assert "Beispielministerium" in text
    assert "+49 69 90009 101" in text


def test_accessibility_statement_shows_status_limitations_review_and_enforcement(client, operator):
    html = client.get("/barrierefreiheit?lang=de").get_data(as_text=True)
    text = visible_text(html)

    assert 'data-status="partial"' in html
    assert "teilweise vereinbar" in text
    assert "<li>Lagepläne nur als Bild</li>" in html
    assert "Stand: November 2026" in text
    assert "Schlichtungsstelle, schlichtung@example.org" in text
    assert 'id="barrier-form"' in html


def test_environment_defaults_apply_until_the_back_office_saves_others(app, operator):
    app.config["OPERATOR_LEGAL_NAME"] = "Aus der Umgebung"
    app.config["OPERATOR_SENDER_NAME"] = "Umgebungsabsender"
    operator.legal_name = None
    db.session.commit()

    settings = operator_settings()

    assert settings.legal_name == "Aus der Umgebung"
    assert settings.sender_name == "Umgebungsabsender"
    assert settings.contact_email == "office@example.org"


def test_sender_and_reply_to_fall_back_to_the_mail_settings(app):
    app.config["MAIL_DEFAULT_SENDER"] = "Bündnis <events@example.org>"
    app.config["MAIL_REPLY_TO"] = "office@example.org"

    settings = operator_settings()

    assert (settings.sender_name, settings.sender_email) == ("Bündnis", "events@example.org")
    assert settings.reply_to == "office@example.org"


def test_sign_language_page_tells_how_to_reach_the_office_until_a_video_is_set(client, operator):
    before = client.get("/gebaerdensprache?lang=de").get_data(as_text=True)
    operator.dgs_video_url = "https://video.example.org/dgs"
    db.session.commit()
    after = client.get("/gebaerdensprache?lang=de").get_data(as_text=True)

    assert 'id="dgs-video-pending"' in before
    assert "/barrierefreiheit#feedback" in before
    assert "https://video.example.org/dgs" not in before
    assert 'href="https://video.example.org/dgs"' in after
    assert 'id="dgs-video-pending"' not in after


def test_privacy_notice_names_the_office_and_its_data_protection_officer(client, operator):
    text = visible_text(client.get("/privacy?lang=de").get_data(as_text=True))

    assert "Geschäftsstelle Beispielbündnis" in text
    assert "office@example.org" in text
    assert "Datenschutz-Team, datenschutz@example.org" in text


@pytest.mark.parametrize("path", ["/", "/privacy", "/events/{slug}", "/login", *LEGAL_PAGES])
def test_every_public_page_links_the_legal_pages_in_its_footer(client, make_event, path):
    event = make_event()
    html = client.get(path.format(slug=event.slug)).get_data(as_text=True)
    footer = html[html.index('<footer class="site-footer">') :]

    for target in LEGAL_PAGES:
        assert f'href="{target}"' in footer


def test_mail_names_the_operator_and_sender_saved_in_the_back_office(app, operator):
    from eventapp.mail.sender import mail_identity

    operator.sender_name = "Bündnis-Geschäftsstelle"
    operator.sender_email = "post@example.org"
    operator.reply_to = "antwort@example.org"
    db.session.commit()

    identity = mail_identity()

    assert identity.sender == "Bündnis-Geschäftsstelle <post@example.org>"
    assert identity.reply_to == "antwort@example.org"
    assert identity.operator == "Geschäftsstelle Beispielbündnis"
    assert identity.contact_email == "office@example.org"
    assert identity.privacy_contact == "Datenschutz-Team, datenschutz@example.org"


# --- the back office's settings page ------------------------------------------------


def test_settings_page_is_for_admins_only(app, client, make_user):
    anonymous = client.get("/admin/settings")
    door = app.test_client()
    login(door, make_user(Role.CHECKIN))

    assert anonymous.status_code == 302
    assert "/login" in anonymous.headers["Location"]
    assert door.get("/admin/settings").status_code == 403
    assert door.post("/admin/settings", data={"legal_name": "X"}).status_code == 403
    assert db.session.get(OperatorSettings, 1) is None


def test_settings_page_saves_the_operator_details_and_audits_it(admin_client):
    page = admin_client.get("/admin/settings")
    response = admin_client.post(
        "/admin/settings",
        data={
            "legal_name": "Neue Geschäftsstelle",
            "address": "Weg 1\r\n60311 Frankfurt am Main",
            "contact_email": "neu@example.org",
            "conformance_status": "full",
            "last_review": "2026-12-01",
            "dgs_video_url": "https://video.example.org/dgs",
        },
    )

    assert page.status_code == 200
    assert response.status_code == 302
    db.session.expire_all()
    settings = operator_settings()
    assert settings.legal_name == "Neue Geschäftsstelle"
    assert settings.address_lines == ["Weg 1", "60311 Frankfurt am Main"]
    assert settings.conformance_status == "full"
    assert settings.last_review == date(2026, 12, 1)
    entry = db.session.execute(db.select(AuditEntry)).scalar_one()
    assert entry.action == "operator_settings.update"
    imprint = admin_client.get("/impressum?lang=de").get_data(as_text=True)
    assert "Neue Geschäftsstelle" in imprint


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("contact_email", "not an address"),
        ("reply_to", "a@b@c"),
        ("dgs_video_url", "javascript:alert(1)"),
        ("last_review", "30.11.2026x"),
        ("conformance_status", "perfect"),
        ("legal_name", "x" * 201),
        ("legal_name", "Name\u202eevil"),
        ("contact_phone", "1\n2"),
    ],
)
def test_settings_page_refuses_bad_input_and_keeps_the_old_values(
    admin_client, operator, field, value
):
    response = admin_client.post("/admin/settings", data={"legal_name": "Neu", field: value})

    assert response.status_code == 400
    assert 'class="error"' in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(OperatorSettings, 1).legal_name == "Geschäftsstelle Beispielbündnis"


# --- the barrier feedback form ------------------------------------------------------


def test_barrier_report_is_stored_listed_and_mailed_to_the_office(client, admin_client, operator):
    response = client.post(
        "/barrierefreiheit?lang=de",
        data={
            "description": "Der Kontrast der Knöpfe ist zu gering.",
            "page": "/events/fachkongress",
            "name": "Alex Beispiel",
            "email": "alex@example.org",
        },
    )

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    report = db.session.execute(db.select(BarrierReport)).scalar_one()
    assert f'<strong id="report-number">{report.id}</strong>' in html
    assert "Vielen Dank für Ihre Meldung" in html
    assert report.description == "Der Kontrast der Knöpfe ist zu gering."

    listing = admin_client.get("/admin/barrier-reports").get_data(as_text=True)
    assert f'data-report="{report.id}"' in listing
    assert "Der Kontrast der Knöpfe ist zu gering." in listing

    message = db.session.execute(db.select(OutboxMessage)).scalar_one()
    assert message.kind == MessageKind.BARRIER_REPORT
    assert message.recipient == "office@example.org"
    email = build_email(message)
    assert email is not None
    assert "office@example.org" in email["To"]
    assert "alex@example.org" in email["Reply-To"]
    assert "Der Kontrast der Knöpfe ist zu gering." in email.get_content()


def test_anonymous_barrier_report_is_mailed_without_reply_to(client, operator):
    response = client.post("/barrierefreiheit", data={"description": "Bild ohne Alternativtext"})

    assert response.status_code == 200
    email = build_email(db.session.execute(db.select(OutboxMessage)).scalar_one())
    assert email["Reply-To"] is None


def test_barrier_report_without_an_office_address_is_stored_but_not_mailed(client):
    response = client.post("/barrierefreiheit", data={"description": "Bild ohne Alternativtext"})

    assert response.status_code == 200
    assert db.session.execute(db.select(BarrierReport)).scalar_one()
    assert db.session.execute(db.select(OutboxMessage)).first() is None


@pytest.mark.parametrize(
    "data",
    [
        {"description": ""},
        {"description": "   "},
        {"description": "x" * 5001},
        {"description": "Barriere", "email": "kein-at-zeichen"},
        {"description": "Barriere", "name": "x" * 201},
        {"description": "Barriere", "page": "Seite\u202e"},
        {"description": "Steuerzeichen \x07"},
    ],
)
def test_barrier_report_refuses_bad_input_and_stores_nothing(client, operator, data):
    response = client.post("/barrierefreiheit", data=data)

    assert response.status_code == 422
    assert 'class="error"' in response.get_data(as_text=True)
    assert db.session.execute(db.select(BarrierReport)).first() is None
    assert db.session.execute(db.select(OutboxMessage)).first() is None


def test_barrier_report_needs_the_csrf_token_when_csrf_is_on(make_app, operator):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        client = app.test_client()
        refused = client.post("/barrierefreiheit", data={"description": "Barriere"})
        token = csrf_token_in(client.get("/barrierefreiheit").get_data(as_text=True))
        accepted = client.post(
            "/barrierefreiheit", data={"description": "Barriere", "csrf_token": token}
        )

    assert refused.status_code == 400
    assert accepted.status_code == 200
    assert len(db.session.execute(db.select(BarrierReport)).all()) == 1


def test_barrier_reports_are_rate_limited_per_address(make_app, operator):
    app = make_app(RATELIMIT_ENABLED=True, FEEDBACK_RATE_LIMIT="2 per minute")
    with app.app_context():
        client = app.test_client()
        answers = [
            client.post("/barrierefreiheit", data={"description": f"Barriere {n}"}).status_code
            for n in range(3)
        ]
        looking = client.get("/barrierefreiheit").status_code

    assert answers == [200, 200, 429]
    assert looking == 200
    assert len(db.session.execute(db.select(BarrierReport)).all()) == 2


def test_demo_operator_is_the_office_at_projektstadt_with_fictitious_contacts(app):
    from eventapp.demo.services import load_operator

    assert load_operator() is True
    db.session.commit()
    assert load_operator() is False
    settings = operator_settings()

    assert "ProjektStadt" in settings.legal_name
    assert "Nassauische Heimstätte | Wohnstadt" in settings.legal_name
    for address in (settings.contact_email, settings.sender_email, settings.reply_to):
        assert address.endswith("@example.org")


@pytest.mark.parametrize(
    "path", ["/events/{slug}", "/events/{slug}/register", "/events/{slug}/register/group"]
)
def test_pages_about_one_event_link_its_lost_link_form_in_the_footer(client, make_event, path):
    event = make_event()
    html = client.get(path.format(slug=event.slug)).get_data(as_text=True)
    footer = html[html.index('<footer class="site-footer">') :]

    assert f'href="/events/{event.slug}/resend"' in footer
    assert 'href="/login/reset"' in footer


def test_pages_about_no_event_link_only_the_password_reset(client, admin_client, make_event):
    event = make_event()
    dashboard = admin_client.get(f"/admin/events/{event.id}", follow_redirects=True)
    assert dashboard.status_code == 200
    for response in (client.get("/"), dashboard):
        footer = response.get_data(as_text=True).split('<footer class="site-footer">')[1]
        assert "/resend" not in footer
        assert 'href="/login/reset"' in footer
