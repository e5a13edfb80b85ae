"""The public legal pages: Impressum, accessibility statement (with the barrier form),
Leichte Sprache and Gebärdensprache; each in German, or English with ``?lang=en``."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template
from flask_limiter.util import get_remote_address

from eventapp.domain import DomainError
from eventapp.errors import http_status, show_refusal
from eventapp.extensions import db, limiter
from eventapp.i18n import current_locale
from eventapp.legal import feedback
from eventapp.legal.forms import BarrierReportForm
from eventapp.legal.settings import forget_cached, operator_settings

bp = Blueprint("legal", __name__)


@bp.before_app_request
def read_settings_anew() -> None:
    """An app context may serve several requests (tests, CLI): settings are read per request."""
    forget_cached()


def _page(name: str, status: int = 200, **context):
    """``legal/<name>_<de|en>.html``: the texts are written per language, as legal texts are."""
    language = "en" if current_locale() == "en" else "de"
    return render_template(
        f"legal/{name}_{language}.html", operator=operator_settings(), **context
    ), status


def _feedback_limit() -> str:
    return current_app.config.get("FEEDBACK_RATE_LIMIT") or "5 per minute"


@bp.get("/impressum", endpoint="imprint")
def imprint():
    """The legal notice (§ 5 DDG) from the operator settings."""
    return _page("imprint")


@bp.route("/barrierefreiheit", methods=["GET", "POST"], endpoint="accessibility")
@limiter.limit(_feedback_limit, key_func=get_remote_address, methods=["POST"])
def accessibility():
    """The accessibility statement; its form stores a barrier report and answers with a receipt."""
    form = BarrierReportForm()
    status = 200
    if form.validate_on_submit():
        try:
            report = feedback.report_barrier(
                form.description.data or "",
                form.page.data or "",
                form.name.data or "",
                form.email.data or "",
                current_locale(),
            )
        except DomainError as error:
            show_refusal(form, error)
            status = http_status(error)
        else:
            db.session.commit()
            return _page("feedback_received", report=report)
    elif form.is_submitted():
        status = 400
    return _page("accessibility", status, form=form)


@bp.get("/leichte-sprache", endpoint="easy_language")
def easy_language():
    """The congress and the registration explained in easy German (plain English in English)."""
    return _page("easy_language")


@bp.get("/gebaerdensprache", endpoint="sign_language")
def sign_language():
    """Information for deaf visitors, with the operator's DGS video when one is set."""
    return _page("sign_language")
