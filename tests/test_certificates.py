"""Attendance certificates: the PDF after the event, its verification page, the signer."""

from __future__ import annotations

import base64
import io
import re
from datetime import UTC, datetime, time, timedelta

import pytest
from babel.dates import format_date
from clock import BERLIN
from PIL import Image
from pypdf import PdfReader
from support import (
    audit_actions,
    csrf_token_in,
    login,
    login_with_csrf,
    prepared_file,
    smtp_settings,
)
from werkzeug.test import EnvironBuilder

from eventapp.certificates import services, signature
from eventapp.extensions import db
from eventapp.legal.settings import stored_settings
from eventapp.mail.delivery import deliver_due
from eventapp.mail.schedule import queue_scheduled_mail
from eventapp.models import CheckIn, RegistrationStatus, Role, utcnow
from eventapp.models.checkin import ENTRANCE
from eventapp.registration.privacy import anonymize_registrations

# The event took place three days ago, 09:00–16:30 in Bürstadt: 7.5 hours.
PAST_DAY = datetime.combine(datetime.now(BERLIN).date() - timedelta(days=3), time(9), BERLIN)


def png(size: tuple[int, int] = (400, 120), fmt: str = "PNG") -> bytes:
    """A small signature-like image in ``fmt``."""
    image = Image.new("RGB", size, "white")
    for x in range(20, size[0] - 20):
        image.putpixel((x, size[1] // 2 + (x % 17) - 8), (10, 20, 90))
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


def attend(registration, *sessions) -> None:
    """Check ``registration`` in at the entrance and into ``sessions``, as the door does."""
    moment = registration.event.starts_at + timedelta(minutes=10)
    registration.checked_in_at = moment
    db.session.add(CheckIn(registration=registration, list_key=ENTRANCE, checked_in_at=moment))
    for session in sessions:
        db.session.add(
            CheckIn(
                registration=registration, list_key=f"session:{session.id}", checked_in_at=moment
            )
        )
    db.session.commit()


def pdf_text(data: bytes) -> list[str]:
    """The text of each page, whitespace made single spaces."""
    assert data.startswith(b"%PDF")
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(data)).pages]


@pytest.fixture
def past_event(make_programme):
    return make_programme(
        title="Fachkongress Quartier 2026",
        starts_at=PAST_DAY,
        ends_at=PAST_DAY + timedelta(hours=7, minutes=30),
        registration_closes_at=PAST_DAY,
        thank_you_enabled=True,
    )


def workshops(event):
    return {s.title: s for s in event.sessions}


@pytest.fixture
def attendee(past_event, make_registration):
    """Dr. Anna Beispiel came, and went to workshop A (not to B, though registered for it)."""
    registration = make_registration(
        past_event,
        academic_title="Dr.",
        first_name="Anna",
        last_name="Beispiel",
        email="anna.beispiel@example.org",
        organisation="Stadtverwaltung Bürstadt",
        accessibility_needs="Rollstuhlplatz",
    )
    attend(registration, workshops(past_event)["Werkstatt A: Teilhabe"])
    return registration


@pytest.fixture
def signer(app):
    signature.save_signer("Dr. Petra Leitung", "Leiterin der Geschäftsstelle", png(), None)
    db.session.commit()


def certificate_href(client, registration) -> str | None:
    html = client.get(f"/registrations/{registration.manage_token}").get_data(as_text=True)
    found = re.search(r'id="certificate-link" href="([^"]+)"', html)
    return found.group(1) if found else None


# --- the participant's certificate ------------------------------------------------------------


def test_certificate_names_person_event_date_hours_workshops_and_signer(
    client, attendee, past_event, signer
):
    href = certificate_href(client, attendee)
    assert href is not None and href.endswith(
        f"/registrations/{attendee.manage_token}/certificate.pdf"
    )

    response = client.get(href)

    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"
    [text] = pdf_text(response.data)
    db.session.refresh(attendee)
    code = attendee.certificate_code
    assert code and len(code) >= 22  # ≥ 128 bits, URL-safe
    assert re.fullmatch(r"[A-Za-z0-9_-]+", code)
    assert "Dr. Anna Beispiel" in text
    assert "Fachkongress Quartier 2026" in text
    assert format_date(PAST_DAY.date(), format="full", locale="de") in text
    assert "Bürgerhaus Bürstadt" in text
    assert "7,5" in text  # German decimal comma in the registration's language
    assert "Werkstatt A: Teilhabe" in text
    assert "Werkstatt B" not in text  # not checked in there
    assert "Dr. Petra Leitung" in text and "Leiterin der Geschäftsstelle" in text
    assert code in text
    assert f"/certificates/{code}" in text
    # The QR code and the signature are images on the page.
    images = PdfReader(io.BytesIO(response.data)).pages[0].images
    assert len(images) == 2
    # Downloading again keeps the code printed on the first PDF.
    client.get(href)
    db.session.refresh(attendee)
    assert attendee.certificate_code == code


def test_certificate_is_in_the_registrations_language(client, past_event, make_registration):
    registration = make_registration(past_event, locale="en", first_name="Ada", last_name="Park")
    attend(registration)

    [text] = pdf_text(
        client.get(f"/registrations/{registration.manage_token}/certificate.pdf").data
    )

    assert "Certificate of attendance" in text
    assert "Ada Park" in text
    assert "7.5" in text
    assert format_date(PAST_DAY.date(), format="full", locale="en") in text


def test_no_certificate_before_the_event_has_ended(client, make_event, make_registration):
    running = make_event(
        starts_at=utcnow() - timedelta(hours=2), ends_at=utcnow() + timedelta(hours=3)
    )
    registration = make_registration(running)
    attend(registration)

    response = client.get(f"/registrations/{registration.manage_token}/certificate.pdf")

    assert certificate_href(client, registration) is None
    assert response.status_code == 409
    assert response.mimetype == "text/html"
    db.session.refresh(registration)
    assert registration.certificate_code is None


def test_no_certificate_without_a_check_in_at_the_entrance(client, past_event, make_registration):
    absent = make_registration(past_event)
    workshop_only = make_registration(past_event)
    db.session.add(
        CheckIn(
            registration=workshop_only,
            list_key=f"session:{workshops(past_event)['Werkstatt A: Teilhabe'].id}",
        )
    )
    db.session.commit()

    for registration in (absent, workshop_only):
        assert certificate_href(client, registration) is None
        response = client.get(f"/registrations/{registration.manage_token}/certificate.pdf")
        assert response.status_code == 404
        assert response.mimetype == "text/html"


def test_certificate_opens_with_the_manage_token_only(client, attendee):
    assert client.get(f"/registrations/{attendee.manage_token}/certificate.pdf").status_code == 200
    for other in (
        attendee.ticket_code,
        attendee.calendar_token,
        attendee.manage_token[:-1],
        attendee.manage_token.upper(),
        str(attendee.id),
    ):
        assert client.get(f"/registrations/{other}/certificate.pdf").status_code == 404


# --- verification ---------------------------------------------------------------------------


def test_verification_page_confirms_name_event_and_date_and_nothing_more(client, attendee, english):
    client.get(f"/registrations/{attendee.manage_token}/certificate.pdf")
    db.session.refresh(attendee)

    response = client.get(f"/certificates/{attendee.certificate_code}?lang=en")
    html = response.get_data(as_text=True)

    assert response.status_code == 200
    assert 'data-valid="true"' in html
    assert re.search(r'id="certificate-name">Dr. Anna Beispiel<', html)
    assert re.search(r'id="certificate-event">Fachkongress Quartier 2026<', html)
    assert format_date(PAST_DAY.date(), format="long", locale="en") in html
    for private in (
        attendee.email,
        "Stadtverwaltung Bürstadt",
        "Rollstuhlplatz",
        "Werkstatt A",
        attendee.manage_token,
        attendee.ticket_code,
    ):
        assert private not in html
    assert response.headers["X-Robots-Tag"] == "noindex"


def test_an_unknown_code_does_not_verify(client, attendee):
    response = client.get("/certificates/" + "x" * 32)

    assert response.status_code == 404
    assert 'data-valid="false"' in response.get_data(as_text=True)


def test_a_cancelled_registrations_certificate_no_longer_verifies(client, attendee):
    client.get(f"/registrations/{attendee.manage_token}/certificate.pdf")
    db.session.refresh(attendee)
    code = attendee.certificate_code
    assert client.get(f"/certificates/{code}").status_code == 200

    attendee.status = RegistrationStatus.CANCELLED
    attendee.cancelled_at = utcnow()
    db.session.commit()

    response = client.get(f"/certificates/{code}")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert 'data-valid="false"' in html and "Anna" not in html
    assert client.get(f"/registrations/{attendee.manage_token}/certificate.pdf").status_code == 404


def test_an_anonymised_registrations_certificate_no_longer_verifies(client, attendee):
    client.get(f"/registrations/{attendee.manage_token}/certificate.pdf")
    db.session.refresh(attendee)
    code = attendee.certificate_code

    anonymize_registrations([attendee], utcnow())
    db.session.commit()

    assert attendee.certificate_code is None
    response = client.get(f"/certificates/{code}")
    assert response.status_code == 404
    assert "Beispiel" not in response.get_data(as_text=True)


# --- the thank-you mail ----------------------------------------------------------------------


class TestThankYouMail:
    @pytest.fixture
    def config_overrides(self, smtp_server):
        return smtp_settings(smtp_server)

    def test_thank_you_mail_links_the_certificate_for_people_who_came(
        self, app, attendee, past_event, make_registration, smtp_server
    ):
        make_registration(past_event)  # confirmed, never came: no thank-you at all
        queue_scheduled_mail(utcnow())
        db.session.commit()

        assert deliver_due().sent == 1
        [message] = smtp_server.messages()
        assert message["To"].addresses[0].addr_spec == attendee.email
        text = message.get_body(preferencelist=("plain",)).get_content()
        html = message.get_body(preferencelist=("html",)).get_content()
        url = services.download_url(attendee)
        assert url.startswith("http") and url.endswith("/certificate.pdf")
        assert url in text
        assert f'href="{url}"' in html
        assert client_get_pdf(app, url).startswith(b"%PDF")


def client_get_pdf(app, url: str) -> bytes:
    path = re.sub(r"^https?://[^/]+", "", url)
    return app.test_client().get(path).data


# --- the signer on the operator settings page -------------------------------------------------


def post_signer(client, image: bytes | None = None, filename: str = "unterschrift.png", **fields):
    data = {
        "certificate_signer_name": "Dr. Petra Leitung",
        "certificate_signer_role": "Leiterin der Geschäftsstelle",
        **fields,
    }
    if image is not None:
        data["signature"] = (io.BytesIO(image), filename)
    builder = EnvironBuilder(
        path="/admin/settings/certificate",
        method="POST",
        data=data,
        content_type="multipart/form-data",
    )
    environ = builder.get_environ()
    try:
        return client.open(environ)
    finally:
        # A body over 500 KB is spooled to a temporary file: close it with the request.
        environ["wsgi.input"].close()
        builder.close()


def test_signer_and_png_signature_are_saved_shown_and_audited(admin_client, english):
    response = post_signer(admin_client, png())

    assert response.status_code == 302
    row = stored_settings()
    assert row.certificate_signer_name == "Dr. Petra Leitung"
    assert row.certificate_signature_type == "image/png"
    page = admin_client.get("/admin/settings").get_data(as_text=True)
    preview = re.search(
        r'id="signature-preview"[^>]*>\s*<img src="data:image/png;base64,([^"]+)"',
        page,
    )
    assert base64.b64decode(preview.group(1)) == row.certificate_signature
    assert audit_actions() == ["operator_settings.certificate"]


def test_a_jpeg_is_recognised_by_its_content_not_its_name(admin_client):
    response = post_signer(admin_client, png(fmt="JPEG"), filename="scan.png")

    assert response.status_code == 302
    assert stored_settings().certificate_signature_type == "image/jpeg"


@pytest.mark.parametrize(
    ("image", "filename"),
    [
        (png(fmt="GIF"), "unterschrift.png"),  # a GIF under a PNG name
        (b"%PDF-1.4 not an image", "unterschrift.jpg"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 200, "kaputt.png"),  # a PNG header, nothing behind
        (png(size=(20, 8)), "winzig.png"),  # too small to print
        (png(size=(4000, 200)), "riesig.png"),  # too wide
        (b"\xff\xd8\xff" + bytes(520 * 1024), "gross.jpg"),  # over 500 KB
    ],
)
def test_a_bad_signature_image_is_refused_and_nothing_changes(admin_client, image, filename):
    response = post_signer(admin_client, image, filename=filename)

    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert re.search(r'id="signature-error"', html)
    row = stored_settings()
    assert row is None or (row.certificate_signature is None and not row.certificate_signer_name)
    assert audit_actions() == []


def test_the_signature_image_can_be_removed(admin_client):
    post_signer(admin_client, png())

    response = admin_client.post("/admin/settings/certificate/signature/remove")

    assert response.status_code == 302
    row = stored_settings()
    assert row.certificate_signature is None and row.certificate_signature_type is None
    assert row.certificate_signer_name == "Dr. Petra Leitung"  # the name stays
    page = admin_client.get("/admin/settings").get_data(as_text=True)
    assert 'id="signature-preview"' not in page
    assert audit_actions() == ["operator_settings.certificate"] * 2


def test_operator_details_still_save_with_a_signature_stored(admin_client):
    post_signer(admin_client, png())

    response = admin_client.post("/admin/settings", data={"legal_name": "Land Hessen"})

    assert response.status_code == 302
    assert stored_settings().legal_name == "Land Hessen"
    assert audit_actions() == ["operator_settings.certificate", "operator_settings.update"]


class TestCsrf:
    @pytest.fixture
    def config_overrides(self):
        return {"WTF_CSRF_ENABLED": True}

    def test_signer_form_and_removal_need_the_csrf_token(self, client, make_user):
        login_with_csrf(client, make_user(Role.ADMIN))
        refused = post_signer(client, png())
        refused_removal = client.post("/admin/settings/certificate/signature/remove")
        token = csrf_token_in(client.get("/admin/settings").get_data(as_text=True))
        accepted = post_signer(client, png(), csrf_token=token)

        assert refused.status_code == 400
        assert refused_removal.status_code == 400
        assert accepted.status_code == 302
        assert audit_actions() == ["operator_settings.certificate"]


def test_only_organizers_reach_the_signer_and_the_event_certificates(client, make_user, past_event):
    assert client.post("/admin/settings/certificate").status_code in (302, 401)
    login(client, make_user(Role.CHECKIN))
    assert client.get(f"/admin/events/{past_event.id}/certificates.pdf").status_code == 403
    assert client.post("/admin/settings/certificate/signature/remove").status_code == 403


# --- all certificates of an event --------------------------------------------------------------


def test_organizers_get_all_certificates_in_one_pdf_a_page_each_by_name(
    admin_client, past_event, make_registration, signer
):
    for first, last in (("Zoe", "Zander"), ("Bernd", "Adler"), ("Clara", "Mertens")):
        attend(make_registration(past_event, first_name=first, last_name=last))
    make_registration(past_event, first_name="Nie", last_name="Gekommen")
    cancelled = make_registration(
        past_event,
        first_name="Storniert",
        last_name="Aaron",
        status=RegistrationStatus.CANCELLED,
        cancelled_at=utcnow(),
    )
    attend(cancelled)

    response = prepared_file(admin_client, past_event.id, "certificates")

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    pages = pdf_text(response.data)
    assert len(pages) == 3
    assert ["Adler" in pages[0], "Mertens" in pages[1], "Zander" in pages[2]] == [True] * 3
    assert not any("Gekommen" in page or "Storniert" in page for page in pages)
    # Each page's code verifies.
    codes = [re.search(r"/certificates/([A-Za-z0-9_-]+)", page).group(1) for page in pages]
    assert all(admin_client.get(f"/certificates/{code}").status_code == 200 for code in codes)
    exports = admin_client.get(f"/admin/events/{past_event.id}/exports").get_data(as_text=True)
    assert f"/admin/events/{past_event.id}/jobs?start=certificates" in exports


def test_certificate_link_is_absent_once_the_registration_is_anonymous(client, attendee):
    anonymize_registrations([attendee], datetime.now(UTC))
    db.session.commit()
    assert certificate_href(client, attendee) is None
