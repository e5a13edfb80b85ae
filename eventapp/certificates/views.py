"""The participant's certificate download and the public verification page."""

from __future__ import annotations

from flask import Response, render_template
from flask_babel import gettext as _
from sqlalchemy import select

from eventapp.certificates import bp, pdf, services
from eventapp.domain import DomainError
from eventapp.errors import http_status
from eventapp.extensions import db
from eventapp.models import Registration


def _private(response: Response) -> Response:
    """Personal data behind a token: never cached, the token not passed on in a Referer."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.app_template_global()
def certificate_link(registration: Registration) -> str | None:
    """The manage page's link to the certificate, while there is one to download."""
    return services.download_url(registration) if services.available(registration) else None


@bp.get("/registrations/<token>/certificate.pdf")
def download(token: str):
    """The certificate of attendance as a PDF, after the event, for people who came."""
    registration = db.one_or_404(select(Registration).where(Registration.manage_token == token))
    try:
        services.check_available(registration)
    except DomainError as error:
        status = http_status(error)
        page = render_template(
            "errors/error.html",
            status=status,
            title=_("No certificate of attendance"),
            message=error.message,
        )
        return _private(Response(page, status=status))
    data = pdf.certificate_pdf(registration)
    db.session.commit()  # the verification code made at the first download
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = 'inline; filename="certificate.pdf"'
    return _private(response)


@bp.get("/certificates/<code>")
def verify(code: str):
    """Confirms name, event and date of a valid certificate; nothing else."""
    registration = services.by_code(code)
    if registration is None:
        response = Response(render_template("certificates/invalid.html"), status=404)
    else:
        event = registration.event
        response = Response(
            render_template(
                "certificates/verify.html",
                name=services.holder_name(registration),
                event=event,
            )
        )
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response
