"""HTTP views of the tickets feature; thin: parse, call a service, commit once, respond."""

from __future__ import annotations

import hashlib

from flask import Response, abort, render_template, request

from eventapp.i18n import current_locale
from eventapp.models import Registration, RegistrationStatus
from eventapp.registration.search import registration_by_code
from eventapp.tickets import bp, pdf, services

IMAGE_MAX_AGE = 3600


def _registration_or_404(code: str) -> Registration:
    registration = registration_by_code(code)
    if registration is None:
        abort(404)
    return registration


def _valid_or_gone(code: str) -> Registration:
    """The registration, if its ticket admits; a cancelled one is gone, a waitlisted one absent."""
    registration = _registration_or_404(code)
    if registration.status == RegistrationStatus.CANCELLED:
        abort(410)
    if not services.ticket_valid(registration):
        abort(404)
    return registration


def _private(response: Response, max_age: int = 0) -> Response:
    # Tickets carry personal data: never in shared caches, never leaked through Referer.
    response.cache_control.private = True
    if max_age:
        response.cache_control.max_age = max_age
    else:
        response.cache_control.no_cache = True
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def _image(code: str, kind: str, mimetype: str) -> Response:
    # The image depends on the code only: the ticket's state is all the database is asked.
    state = services.ticket_state(code)
    if state == services.TicketState.CANCELLED:
        abort(410)
    if state != services.TicketState.VALID:
        abort(404)
    etag = services.image_etag(code, kind)
    if request.if_none_match.contains(etag):
        response = Response(status=304)
    else:
        data = services.qr_png(code) if kind == "png" else services.qr_svg(code)
        response = Response(data, mimetype=mimetype)
    response.set_etag(etag)
    return _private(response, IMAGE_MAX_AGE)


@bp.get("/tickets/<code>")
def ticket(code: str):
    """The ticket page: QR, name, event, date, venue and workshops; prints on one page."""
    registration = _registration_or_404(code)
    locale = current_locale()
    response = Response(
        render_template(
            "tickets/ticket.html",
            registration=registration,
            event=registration.event,
            valid=services.ticket_valid(registration),
            cancelled=registration.status == RegistrationStatus.CANCELLED,
            waitlisted=registration.status == RegistrationStatus.WAITLISTED,
            when=services.event_dates(registration.event, locale),
            sessions=services.ticket_sessions(registration),
            session_times=services.session_times,
        )
    )
    return _private(response)


@bp.get("/tickets/<code>.png")
def ticket_png(code: str):
    """The QR code as PNG; it holds exactly the ticket code."""
    return _image(code, "png", "image/png")


@bp.get("/tickets/<code>.svg")
def ticket_svg(code: str):
    """The QR code as SVG."""
    return _image(code, "svg", "image/svg+xml")


@bp.get("/tickets/<code>.pdf")
def ticket_pdf(code: str):
    """The PDF ticket to print or keep on a phone."""
    registration = _valid_or_gone(code)
    data = pdf.ticket_pdf(registration)
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = 'inline; filename="ticket.pdf"'
    response.set_etag(hashlib.sha256(data).hexdigest()[:32])
    return _private(response).make_conditional(request)
