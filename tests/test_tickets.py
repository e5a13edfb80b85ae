"""Tickets: the page, the QR images (decoded again) and the PDF."""

from __future__ import annotations

import io
import itertools
import threading
import time

import pypdf
import pytest
import zxingcpp
from clock import CONGRESS_DATE, CONGRESS_YEAR, weekday
from PIL import Image
from sqlalchemy import event as sa_event
from support import choose, workshop

from eventapp.extensions import db
from eventapp.models import (
    ChoiceStatus,
    EventStatus,
    RegistrationStatus,
)
from eventapp.tickets import pdf, services


def decode_qr(image: Image.Image) -> str:
    results = zxingcpp.read_barcodes(image)
    assert len(results) == 1
    assert results[0].format == zxingcpp.BarcodeFormat.QRCode
    return results[0].text


@pytest.fixture
def registration(make_programme, make_registration):
    event = make_programme(meeting_point="Haupteingang")
    registration = make_registration(event, first_name="Zofia", last_name="Łukasiewicz")
    choose(registration, workshop(event, "A"))
    choose(registration, workshop(event, "B"), ChoiceStatus.WAITLISTED)
    return registration


def test_ticket_code_is_long_random_and_url_safe(make_event, make_registration):
    event = make_event()
    codes = {make_registration(event).ticket_code for _ in range(5)}
    assert len(codes) == 5
    for code in codes:
        assert len(code) >= 22  # 128 bits in URL-safe base64
        assert all(c.isalnum() or c in "-_" for c in code)


def test_ticket_page_shows_qr_name_event_and_workshops(client, registration):
    response = client.get(f"/tickets/{registration.ticket_code}?lang=en")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'data-ticket-state="valid"' in page
    assert f"/tickets/{registration.ticket_code}.svg" in page
    assert "Zofia Łukasiewicz" in page
    assert registration.event.title in page
    assert "Bürgerhaus Bürstadt" in page
    assert f"{weekday(CONGRESS_DATE, 'en')}, May 16, {CONGRESS_YEAR}, 09:00–17:00" in page
    assert "Werkstatt A: Teilhabe" in page
    assert "Werkstatt B: Lebensqualität" in page
    with client.get("/static/tickets/ticket.css") as stylesheet:
        assert "@media print" in stylesheet.get_data(as_text=True)
    assert "private" in response.headers["Cache-Control"]


def test_unknown_code_is_404_everywhere(client, registration):
    for suffix in ("", ".png", ".svg", ".pdf"):
        assert client.get(f"/tickets/not-a-code{suffix}").status_code == 404
    assert client.get("/tickets/" + "x" * 300).status_code == 404


def test_png_holds_exactly_the_code(client, registration):
    response = client.get(f"/tickets/{registration.ticket_code}.png")
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert decode_qr(Image.open(io.BytesIO(response.data))) == registration.ticket_code


def test_svg_is_a_qr_code_svg(client, registration):
    response = client.get(f"/tickets/{registration.ticket_code}.svg")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert b"<svg" in response.data
    assert response.data == services.qr_svg(registration.ticket_code)


def test_images_carry_etag_and_answer_304(client, registration):
    url = f"/tickets/{registration.ticket_code}.png"
    first = client.get(url)
    etag = first.headers["ETag"]
    assert "max-age" in first.headers["Cache-Control"]
    second = client.get(url, headers={"If-None-Match": etag})
    assert second.status_code == 304
    assert second.data == b""


def test_a_qr_image_asks_the_database_one_small_question(app, client, registration):
    url = f"/tickets/{registration.ticket_code}.png"
    client.get(url)
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        seen.append(" ".join(statement.split()))

    db.session.remove()  # the request loads nothing the test already holds
    sa_event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert client.get(url).status_code == 200
        assert client.get(url, headers={"If-None-Match": "x"}).status_code == 200
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", record)
    # The registration's status and its event's, not both rows whole (SQLite adds BEGIN).
    queries = [s for s in seen if s != "BEGIN"]
    assert len(queries) == 2
    assert all(s.startswith("SELECT registration.status, event.status ") for s in queries)


def test_qr_images_are_cached_in_process(registration):
    code = registration.ticket_code
    services.qr_png.cache_clear()
    services.qr_png(code)
    services.qr_png(code)
    assert services.qr_png.cache_info().hits == 1


def test_pdf_ticket_contains_the_qr_and_the_details(client, registration):
    response = client.get(f"/tickets/{registration.ticket_code}.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    reader = pypdf.PdfReader(io.BytesIO(response.data))
    assert len(reader.pages) == 1
    page = reader.pages[0]
    text = page.extract_text()
    assert "Łukasiewicz" in text
    assert registration.event.title in text
    assert "Werkstatt A: Teilhabe" in text
    images = list(page.images)
    assert len(images) == 1
    assert decode_qr(images[0].image) == registration.ticket_code
    again = client.get(
        f"/tickets/{registration.ticket_code}.pdf",
        headers={"If-None-Match": response.headers["ETag"]},
    )
    assert again.status_code == 304


def test_ticket_pdf_service_works_outside_a_request(app, registration):
    data = pdf.ticket_pdf(registration)
    assert data.startswith(b"%PDF")


def test_cancelled_registration_page_says_so_and_images_are_gone(client, registration):
    registration.status = RegistrationStatus.CANCELLED
    db.session.commit()
    page = client.get(f"/tickets/{registration.ticket_code}")
    assert page.status_code == 200
    assert b'data-ticket-state="cancelled"' in page.data
    assert f"{registration.ticket_code}.svg" not in page.get_data(as_text=True)
    for suffix in (".png", ".svg", ".pdf"):
        assert client.get(f"/tickets/{registration.ticket_code}{suffix}").status_code == 410
    assert services.ticket_valid(registration) is False


def test_waitlisted_registration_has_no_ticket_yet(client, make_event, make_registration):
    registration = make_registration(make_event(), status=RegistrationStatus.WAITLISTED)
    page = client.get(f"/tickets/{registration.ticket_code}")
    assert page.status_code == 200
    assert b'data-ticket-state="waitlisted"' in page.data
    assert f"{registration.ticket_code}.svg" not in page.get_data(as_text=True)
    for suffix in (".png", ".svg", ".pdf"):
        assert client.get(f"/tickets/{registration.ticket_code}{suffix}").status_code == 404
    assert services.ticket_valid(registration) is False


def test_ticket_of_cancelled_event_is_not_valid(client, make_event, make_registration):
    event = make_event(status=EventStatus.CANCELLED)
    registration = make_registration(event)
    assert services.ticket_valid(registration) is False
    assert client.get(f"/tickets/{registration.ticket_code}.png").status_code == 404


def test_cached_image_is_not_served_after_cancellation(client, registration):
    url = f"/tickets/{registration.ticket_code}.png"
    assert client.get(url).status_code == 200
    registration.status = RegistrationStatus.CANCELLED
    db.session.commit()
    assert client.get(url).status_code == 410


def test_no_line_of_the_pdf_ticket_overlaps_the_line_above(app, registration):
    """Each baseline sits at least the line's own font size below the one above it."""
    lines: list[tuple[float, float, str]] = []

    def collect(text, _cm, tm, _font, size):
        if text.strip():
            lines.append((tm[5], size * tm[3], text.strip()))

    pypdf.PdfReader(io.BytesIO(pdf.ticket_pdf(registration))).pages[0].extract_text(
        visitor_text=collect
    )
    lines.sort(key=lambda line: -line[0])
    assert len(lines) >= 5
    for (upper_y, _, upper), (lower_y, size, lower) in itertools.pairwise(lines):
        assert upper_y - lower_y >= size, f"{lower!r} overlaps {upper!r}"


def test_pdfs_saved_at_once_in_two_threads_embed_their_fonts_one_after_the_other(
    monkeypatch,
):
    """reportlab rebuilds the glyph table on the shared font while it embeds a document's
    subset: two mail senders saving tickets at once failed with an IndexError there."""
    from reportlab.pdfbase.ttfonts import TTFontFile
    from reportlab.pdfgen.canvas import Canvas

    regular, _bold = pdf.pdf_fonts()
    assert regular == "TicketSans"  # DejaVu is installed with the test setup
    inside, most = [0], [0]
    subset = TTFontFile.makeSubset

    def watched(self, *args, **kwargs):
        inside[0] += 1
        most[0] = max(most[0], inside[0])
        time.sleep(0.05)  # long enough for the other thread to arrive
        try:
            return subset(self, *args, **kwargs)
        finally:
            inside[0] -= 1

    monkeypatch.setattr(TTFontFile, "makeSubset", watched)
    start = threading.Barrier(2)
    documents: list[bytes] = []

    def save(name: str) -> None:
        buffer = io.BytesIO()
        canvas = Canvas(buffer)
        canvas.setFont(regular, 12)
        canvas.drawString(50, 700, f"Ticket für {name} – Łódź, İstanbul, Győr")
        canvas.showPage()
        start.wait(timeout=10)
        pdf.save_pdf(canvas)
        documents.append(buffer.getvalue())

    threads = [threading.Thread(target=save, args=(name,)) for name in ("Jörg", "Ayşe")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert most[0] == 1
    texts = sorted(pypdf.PdfReader(io.BytesIO(d)).pages[0].extract_text() for d in documents)
    assert [text.split()[2] for text in texts] == ["Ayşe", "Jörg"]
