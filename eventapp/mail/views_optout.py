"""The public page behind the stop link of announcements, and its one-click POST (RFC 8058).

The token in the address authenticates: it is signed and names one registration. A
mail provider's one-click POST (body ``List-Unsubscribe=One-Click``) comes without
cookie or form token, so this endpoint is exempt from the global CSRF check; the
page's own button still posts a form that carries and checks its CSRF token.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template, request

from eventapp.extensions import csrf, db
from eventapp.mail import optout
from eventapp.mail.forms import StopAnnouncementsForm

bp = Blueprint("optout", __name__)


def _private(body: str, status: int = 200) -> Response:
    """Not cached, and the token not passed on in a Referer (as the manage pages)."""
    response = current_app.make_response((body, status))
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.route("/stop/<token>", methods=["GET", "POST"])
@csrf.exempt
def stop(token: str) -> Response:
    """GET: the page with its button. POST: the button (CSRF checked) or the one-click stop."""
    registration = optout.registration_for(token)
    if registration is None:
        return _private(render_template("optout/invalid.html"), 404)
    if request.method == "POST":
        if request.form.get("List-Unsubscribe") == optout.ONE_CLICK:
            optout.stop(registration)
            db.session.commit()
            return _private(render_template("optout/stop.html", registration=registration))
        # The page's own button: the check the exemption skipped (CSRFError is a 400 page).
        if current_app.config.get("WTF_CSRF_ENABLED", True):
            csrf.protect()
        if request.form.get("action") == "resume":
            optout.resume(registration)
        else:
            optout.stop(registration)
        db.session.commit()
    return _private(
        render_template("optout/stop.html", registration=registration, form=StopAnnouncementsForm())
    )
