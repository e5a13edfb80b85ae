"""The certificate of attendance: one A4 page per person, drawn like the ticket.

Fonts, the line writer and the QR image come from the ticket (``tickets.pdf``,
``tickets.services.qr_png``); the QR holds the public verification URL.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import BinaryIO

from flask_babel import force_locale
from flask_babel import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

from eventapp.certificates import services
from eventapp.certificates.signature import Signer, signer
from eventapp.content import localized
from eventapp.legal.settings import Operator, operator_settings
from eventapp.models import Event, Registration
from eventapp.tickets.pdf import ACCENT, LineWriter, qr_reader, save_pdf
from eventapp.tickets.services import session_times

SIGNATURE_BOX = (60 * mm, 22 * mm)
QR_SIZE = 32 * mm


def certificate_pdf(registration: Registration) -> bytes:
    """The certificate of ``registration`` (which must have one: see ``services.refusal``)."""
    with force_locale(registration.locale or "de"):
        title = _("Certificate of attendance")
    return _document([registration], title)


def event_certificates_pdf(event: Event) -> bytes:
    """Every certificate of ``event`` in one PDF, a page each, by name."""
    return _document(services.event_certificates(event), _("Certificates of attendance"))


def write_certificates(
    registrations: list[Registration], out: BinaryIO, advance: Callable[[int], None]
) -> None:
    """Write the certificates of ``registrations`` (``services.event_certificates``) to
    ``out``, as the background job does; ``advance(1)`` is told after each page."""
    _document(registrations, _("Certificates of attendance"), out, advance)


def _document(
    registrations: list[Registration],
    title: str,
    out: BinaryIO | None = None,
    advance: Callable[[int], None] | None = None,
) -> bytes:
    buffer = out if out is not None else io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=True, pageCompression=1)
    canvas.setTitle(title)
    operator, who_signs = operator_settings(), signer()
    for registration in registrations:
        _page(canvas, registration, operator, who_signs)
        canvas.showPage()
        if advance:
            advance(1)
    if not registrations:  # a PDF needs a page; say why it is empty
        LineWriter(canvas, 20 * mm, A4[1] - 30 * mm, A4[0] - 40 * mm).text(
            _("Nobody was checked in at this event."), size=12
        )
        canvas.showPage()
    save_pdf(canvas)
    return buffer.getvalue() if out is None else b""


def _page(canvas: Canvas, registration: Registration, operator: Operator, who: Signer) -> None:
    event = registration.event
    locale = registration.locale or "de"
    code = services.ensure_code(registration)
    url = services.verification_url(code)
    width, height = A4
    margin = 22 * mm
    text_width = width - 2 * margin
    with force_locale(locale):
        issuer = operator.legal_name or _("Zukunftsbündnis Sozialer Zusammenhalt")
        canvas.setFillColorRGB(*ACCENT)
        canvas.rect(0, height - 28 * mm, width, 28 * mm, stroke=0, fill=1)
        canvas.setFillColorRGB(1, 1, 1)
        header = LineWriter(canvas, margin, height - 13 * mm, text_width)
        header.text(issuer, size=10)
        header.text(_("Certificate of attendance"), size=16, bold=True)
        canvas.setFillColorRGB(0, 0, 0)

        body = LineWriter(canvas, margin, height - 50 * mm, text_width)
        body.text(_("Certificate of attendance"), size=24, bold=True)
        body.space(10 * mm)
        body.text(_("This is to certify that"), size=12)
        body.space(3 * mm)
        body.text(services.holder_name(registration), size=18, bold=True)
        body.space(3 * mm)
        body.text(_("took part in the following event:"), size=12)
        body.space(3 * mm)
        body.text(localized(event, "title", locale), size=15, bold=True)
        body.space(2 * mm)
        body.text(services.event_date(event, locale), size=12)
        place = ", ".join(part for part in (event.venue, event.address) if part)
        if place:
            body.text(place, size=12)
        body.text(
            _("Duration: %(hours)s hours", hours=services.duration_hours(event, locale)), size=12
        )
        workshops = services.attended_workshops(registration)
        if workshops:
            body.space(6 * mm)
            body.text(_("Workshops attended"), size=12, bold=True)
            for session in workshops:
                title = localized(session, "title", locale)
                body.text(f"{session_times(session)}  {title}", size=11)
        body.space(6 * mm)
        body.text(_("Organised by: %(operator)s", operator=issuer), size=11)
        for line in operator.address_lines:
            body.text(line, size=10)

        # Low on the page, but below the text however long it runs, and above the footer.
        _signature(canvas, margin, max(46 * mm, min(62 * mm, body.y - 30 * mm)), who)
        _verification(canvas, margin, width, code, url)


def _signature(canvas: Canvas, x: float, baseline: float, who: Signer) -> None:
    """The signature image above a line, the signer's name and role below it."""
    if who.image:
        reader = ImageReader(io.BytesIO(who.image))
        image_width, image_height = reader.getSize()
        box_width, box_height = SIGNATURE_BOX
        scale = min(box_width / image_width, box_height / image_height)
        canvas.drawImage(
            reader,
            x,
            baseline + 2 * mm,
            image_width * scale,
            image_height * scale,
            mask="auto",
        )
    if who.image or who.name:
        canvas.setLineWidth(0.5)
        canvas.line(x, baseline, x + SIGNATURE_BOX[0] + 10 * mm, baseline)
    lines = LineWriter(canvas, x, baseline - 5 * mm, 90 * mm)
    if who.name:
        lines.text(who.name, size=11, bold=True)
    if who.role:
        lines.text(who.role, size=10)


def _verification(canvas: Canvas, margin: float, width: float, code: str, url: str) -> None:
    """The QR of the verification URL at the bottom right, the code and URL beside it."""
    canvas.drawImage(qr_reader(url), width - margin - QR_SIZE, 14 * mm, QR_SIZE, QR_SIZE)
    footer = LineWriter(canvas, margin, 28 * mm, width - 2 * margin - QR_SIZE - 6 * mm)
    footer.text(_("Verification code: %(code)s", code=code), size=9)
    footer.text(_("Anyone can check this certificate at this address or with the QR code:"), 8)
    footer.text(url, size=8)
