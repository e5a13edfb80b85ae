"""Name badges for printing: one A6 page per confirmed person with name, organisation and QR."""

from __future__ import annotations

import io

from flask_babel import gettext as _
from reportlab.lib.pagesizes import A6
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader, simpleSplit
from reportlab.pdfgen.canvas import Canvas

from eventapp.content import localized
from eventapp.models import Event, Registration, RegistrationStatus
from eventapp.registration.management import roster
from eventapp.salutation import badge_name
from eventapp.tickets.pdf import pdf_fonts
from eventapp.tickets.services import qr_png

MARGIN = 8 * mm
QR_SIZE = 42 * mm
ACCENT = (0.2, 0.4, 0.54)


def _fit(canvas: Canvas, text: str, font: str, size: float, min_size: float, width: float):
    """The largest size (down to ``min_size``) at which ``text`` needs at most two lines."""
    while size > min_size and len(simpleSplit(text, font, size, width)) > 2:
        size -= 1
    return size, simpleSplit(text, font, size, width)[:3]


def _badge(canvas: Canvas, event: Event, person: Registration) -> None:
    width, height = A6
    regular, bold = pdf_fonts()
    text_width = width - 2 * MARGIN

    canvas.setFillColorRGB(*ACCENT)
    canvas.rect(0, height - 16 * mm, width, 16 * mm, stroke=0, fill=1)
    canvas.setFillColorRGB(1, 1, 1)
    canvas.setFont(bold, 9)
    # Each badge names the event in its wearer's language.
    title = localized(event, "title", person.locale)
    for index, line in enumerate(simpleSplit(title, bold, 9, text_width)[:2]):
        canvas.drawCentredString(width / 2, height - 7 * mm - index * 11, line)
    canvas.setFillColorRGB(0, 0, 0)

    y = height - 30 * mm
    size, lines = _fit(canvas, badge_name(person), bold, 22, 12, text_width)
    canvas.setFont(bold, size)
    for line in lines:
        canvas.drawCentredString(width / 2, y, line)
        y -= size * 1.2
    if person.organisation:
        y -= 2 * mm
        size, lines = _fit(canvas, person.organisation, regular, 12, 8, text_width)
        canvas.setFont(regular, size)
        for line in lines:
            canvas.drawCentredString(width / 2, y, line)
            y -= size * 1.25

    qr = ImageReader(io.BytesIO(qr_png(person.ticket_code)))
    canvas.drawImage(qr, (width - QR_SIZE) / 2, MARGIN, QR_SIZE, QR_SIZE)


def badge_people(event: Event) -> list[Registration]:
    """Confirmed participants in alphabetical order: the order badges are laid out on the table."""
    return roster.participants(event, status=RegistrationStatus.CONFIRMED.value)


def badges_pdf(event: Event) -> bytes:
    """The badges of every confirmed participant, one A6 page each."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A6, invariant=True, pageCompression=1)
    canvas.setTitle(_("Name badges") + f" – {event.title}")
    people = badge_people(event)
    for person in people:
        _badge(canvas, event, person)
        canvas.showPage()
    if not people:  # a PDF needs a page; say why it is empty
        canvas.setFont(pdf_fonts()[0], 11)
        canvas.drawString(MARGIN, A6[1] / 2, _("No confirmed participants yet."))
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()
