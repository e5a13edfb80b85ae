"""The PDF ticket, drawn with reportlab on one A4 page from what ``services`` provides."""

from __future__ import annotations

import io
import os
import threading
from functools import lru_cache

from flask_babel import force_locale
from flask_babel import gettext as _
from PIL import Image
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader, simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from eventapp.content import localized
from eventapp.models import ChoiceStatus, Registration
from eventapp.tickets.services import (
    event_dates,
    qr_matrix,
    qr_png,
    session_times,
    ticket_sessions,
)

# DejaVu covers names beyond Latin-1 (ł, ş, ő …); Helvetica is the fallback without it.
FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu")
ACCENT = (0.2, 0.4, 0.54)


# reportlab builds a document's font subset from state it keeps on the shared font
# (``TTFontFile.makeSubset`` rebuilds the glyph table there): two threads saving PDFs at
# once (two mail senders, two ticket downloads) broke each other's subset.
_SUBSETTING = threading.Lock()


def save_pdf(canvas: Canvas) -> None:
    """``canvas.save()``, one document at a time per process: it embeds the font subset."""
    with _SUBSETTING:
        canvas.save()


@lru_cache(maxsize=1)
def pdf_fonts() -> tuple[str, str]:
    for directory in FONT_DIRS:
        regular = os.path.join(directory, "DejaVuSans.ttf")
        bold = os.path.join(directory, "DejaVuSans-Bold.ttf")
        if os.path.exists(regular) and os.path.exists(bold):
            pdfmetrics.registerFont(TTFont("TicketSans", regular))
            pdfmetrics.registerFont(TTFont("TicketSans-Bold", bold))
            return "TicketSans", "TicketSans-Bold"
    return "Helvetica", "Helvetica-Bold"


def qr_reader(code: str) -> ImageReader:
    """The QR code as an image with one pixel per module, for PDFs of many pages (badges,
    certificates): a few hundred bytes, no PNG to encode; the PDF scales it up unsmoothed."""
    matrix = qr_matrix(code)
    image = Image.new("1", (len(matrix), len(matrix)), 1)
    image.putdata([0 if dark else 1 for row in matrix for dark in row])
    return ImageReader(image)


class LineWriter:
    """Lines of text flowing down the page, wrapped to the text width."""

    def __init__(self, canvas: Canvas, x: float, y: float, width: float) -> None:
        self.canvas, self.x, self.y, self.width = canvas, x, y, width
        self.regular, self.bold = pdf_fonts()
        self.last_size: float | None = None

    def text(self, value: str, size: float = 11, bold: bool = False, gap: float = 1.35) -> None:
        font = self.bold if bold else self.regular
        if self.last_size is not None and size > self.last_size:
            # The step below the last line was measured for its smaller type: make room
            # for this line's taller letters so they do not reach into that line.
            self.y -= (size - self.last_size) * gap
        self.last_size = size
        self.canvas.setFont(font, size)
        for line in simpleSplit(value, font, size, self.width) or [""]:
            self.canvas.drawString(self.x, self.y, line)
            self.y -= size * gap

    def space(self, points: float) -> None:
        self.y -= points


def ticket_pdf(registration: Registration) -> bytes:
    """The PDF ticket (A4): QR, name, event, date, venue and workshops."""
    return render_ticket_pdf(registration, qr_png(registration.ticket_code))


def render_ticket_pdf(registration: Registration, qr_image: bytes) -> bytes:
    """Draw the ticket; the output is byte-for-byte stable, so it can carry an ETag."""
    event = registration.event
    locale = registration.locale or "de"
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=True, pageCompression=1)
    width, height = A4
    margin = 20 * mm
    with force_locale(locale):
        title = localized(event, "title", locale)
        canvas.setTitle(_("Ticket") + f" – {title}")
        canvas.setAuthor(_("Zukunftsbündnis Sozialer Zusammenhalt"))

        canvas.setFillColorRGB(*ACCENT)
        canvas.rect(0, height - 28 * mm, width, 28 * mm, stroke=0, fill=1)
        canvas.setFillColorRGB(1, 1, 1)
        header = LineWriter(canvas, margin, height - 13 * mm, width - 2 * margin)
        header.text(_("Zukunftsbündnis Sozialer Zusammenhalt"), size=10)
        header.text(_("Ticket"), size=16, bold=True)
        canvas.setFillColorRGB(0, 0, 0)

        body = LineWriter(canvas, margin, height - 42 * mm, width - 2 * margin)
        body.text(title, size=18, bold=True)
        body.space(4)
        body.text(event_dates(event, locale), size=12)
        body.text(", ".join(part for part in (event.venue, event.address) if part), size=12)
        if event.meeting_point:
            body.text(_("Meeting point: %(place)s", place=event.meeting_point), size=11)

        qr_size = 70 * mm
        qr_top = body.y - 6 * mm
        canvas.drawImage(
            ImageReader(io.BytesIO(qr_image)),
            (width - qr_size) / 2,
            qr_top - qr_size,
            qr_size,
            qr_size,
        )
        body.y = qr_top - qr_size - 10 * mm
        body.text(registration.name, size=16, bold=True)
        if registration.organisation:
            body.text(registration.organisation, size=12)
        body.space(6)

        sessions = ticket_sessions(registration)
        if sessions:
            body.text(_("Your workshops"), size=12, bold=True)
            for session, status in sessions:
                line = f"{session_times(session)}  {localized(session, 'title', locale)}"
                if session.room is not None:
                    line += f" ({localized(session.room, 'name', locale)})"
                if status == ChoiceStatus.WAITLISTED:
                    line += " – " + _("waiting list")
                body.text(line, size=11)
            body.space(6)

        footer = LineWriter(canvas, margin, 24 * mm, width - 2 * margin)
        footer.text(_("Please show this ticket at the entrance, printed or on your phone."), 9)
        footer.text(_("Ticket code: %(code)s", code=registration.ticket_code), size=8)
    canvas.showPage()
    save_pdf(canvas)
    return buffer.getvalue()
