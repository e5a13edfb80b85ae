"""Name badges for printing: one A6 page per confirmed person with name, organisation and QR,
or four A6 badges on each A4 sheet with cut marks.

Badges are made by a background job (``eventapp.jobs``): 10 000 of them take longer than a
request may. Per badge only what differs is drawn; the event's title lines are laid out once
per language, and the QR goes in as a one-pixel-per-module image (a few hundred bytes, no PNG
encoding) that the PDF scales up without smoothing.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import BinaryIO

from flask_babel import gettext as _
from reportlab.lib.pagesizes import A4, A6
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen.canvas import Canvas

from eventapp.content import localized
from eventapp.models import Event, Registration, RegistrationStatus
from eventapp.registration.management import roster
from eventapp.salutation import badge_name
from eventapp.tickets.pdf import pdf_fonts, qr_reader, save_pdf

MARGIN = 8 * mm
QR_SIZE = 42 * mm
ACCENT = (0.2, 0.4, 0.54)
LAYOUTS = ("a6", "a4")
PER_SHEET = 4  # A4 holds exactly two by two A6
CUT_MARK = 4 * mm


def _fit(text: str, font: str, size: float, min_size: float, width: float):
    """The largest size (down to ``min_size``) at which ``text`` needs at most two lines."""
    while size > min_size and len(simpleSplit(text, font, size, width)) > 2:
        size -= 1
    return size, simpleSplit(text, font, size, width)[:3]


class BadgeDrawer:
    """Draws badges of one event; what all badges share is computed once."""

    def __init__(self, canvas: Canvas, event: Event) -> None:
        self.canvas, self.event = canvas, event
        self.regular, self.bold = pdf_fonts()
        self.text_width = A6[0] - 2 * MARGIN
        self._titles: dict[str, list[str]] = {}

    def _title_lines(self, locale: str) -> list[str]:
        if locale not in self._titles:
            # Each badge names the event in its wearer's language.
            title = localized(self.event, "title", locale)
            self._titles[locale] = simpleSplit(title, self.bold, 9, self.text_width)[:2]
        return self._titles[locale]

    def draw(self, person: Registration, x: float = 0, y: float = 0) -> None:
        """One badge with its lower left corner at ``x``, ``y``."""
        canvas = self.canvas
        width, height = A6
        canvas.saveState()
        canvas.translate(x, y)
        canvas.setFillColorRGB(*ACCENT)
        canvas.rect(0, height - 16 * mm, width, 16 * mm, stroke=0, fill=1)
        canvas.setFillColorRGB(1, 1, 1)
        canvas.setFont(self.bold, 9)
        for index, line in enumerate(self._title_lines(person.locale or "de")):
            canvas.drawCentredString(width / 2, height - 7 * mm - index * 11, line)
        canvas.setFillColorRGB(0, 0, 0)

        top = height - 30 * mm
        size, lines = _fit(badge_name(person), self.bold, 22, 12, self.text_width)
        canvas.setFont(self.bold, size)
        for line in lines:
            canvas.drawCentredString(width / 2, top, line)
            top -= size * 1.2
        if person.organisation:
            top -= 2 * mm
            size, lines = _fit(person.organisation, self.regular, 12, 8, self.text_width)
            canvas.setFont(self.regular, size)
            for line in lines:
                canvas.drawCentredString(width / 2, top, line)
                top -= size * 1.25

        canvas.drawImage(
            qr_reader(person.ticket_code), (width - QR_SIZE) / 2, MARGIN, QR_SIZE, QR_SIZE
        )
        canvas.restoreState()


def _cut_marks(canvas: Canvas) -> None:
    """Short lines at the sheet's edges and a cross in the middle where the cuts go."""
    width, height = A4
    middle_x, middle_y = width / 2, height / 2
    canvas.saveState()
    canvas.setStrokeColorRGB(0.5, 0.5, 0.5)
    canvas.setLineWidth(0.3)
    canvas.line(middle_x, 0, middle_x, CUT_MARK)
    canvas.line(middle_x, height - CUT_MARK, middle_x, height)
    canvas.line(0, middle_y, CUT_MARK, middle_y)
    canvas.line(width - CUT_MARK, middle_y, width, middle_y)
    canvas.line(middle_x - CUT_MARK, middle_y, middle_x + CUT_MARK, middle_y)
    canvas.line(middle_x, middle_y - CUT_MARK, middle_x, middle_y + CUT_MARK)
    canvas.restoreState()


# Lower left corners of the four badges on a sheet, read like a page: top row first.
SHEET_SLOTS = ((0, A6[1]), (A6[0], A6[1]), (0, 0), (A6[0], 0))


def badge_people(event: Event) -> list[Registration]:
    """Confirmed participants in alphabetical order: the order badges are laid out on the table."""
    return roster.participants(event, status=RegistrationStatus.CONFIRMED.value)


def write_badges(
    event: Event,
    out: BinaryIO,
    layout: str = "a6",
    people: list[Registration] | None = None,
    advance: Callable[[int], None] | None = None,
) -> None:
    """Write the badges of every confirmed participant as a PDF to ``out``: one A6 page each,
    or (``layout="a4"``) four to an A4 sheet. ``advance(n)`` is told after each page."""
    people = badge_people(event) if people is None else people
    pagesize = A4 if layout == "a4" else A6
    canvas = Canvas(out, pagesize=pagesize, invariant=True, pageCompression=1)
    canvas.setTitle(_("Name badges") + f" – {event.title}")
    drawer = BadgeDrawer(canvas, event)
    if layout == "a4":
        for start in range(0, len(people), PER_SHEET):
            sheet = people[start : start + PER_SHEET]
            for person, (x, y) in zip(sheet, SHEET_SLOTS, strict=False):
                drawer.draw(person, x, y)
            _cut_marks(canvas)
            canvas.showPage()
            if advance:
                advance(len(sheet))
    else:
        for person in people:
            drawer.draw(person)
            canvas.showPage()
            if advance:
                advance(1)
    if not people:  # a PDF needs a page; say why it is empty
        canvas.setFont(drawer.regular, 11)
        canvas.drawString(MARGIN, pagesize[1] / 2, _("No confirmed participants yet."))
        canvas.showPage()
    save_pdf(canvas)


def badges_pdf(event: Event, layout: str = "a6") -> bytes:
    """The badges as PDF bytes (see ``write_badges``)."""
    buffer = io.BytesIO()
    write_badges(event, buffer, layout)
    return buffer.getvalue()
