"""The API's one answer to every refusal: ``{"error": {"code", "message"[, "fields"]}}``.

Services raise domain errors (``eventapp.domain``); the handler below, registered on
the API blueprint, rolls the request's work back and answers with the status of the
error's kind (``eventapp.errors.http_status``).
"""

from __future__ import annotations

from eventapp.api import bp
from eventapp.domain import DomainError
from eventapp.errors import domain_error_response
from eventapp.extensions import db


@bp.errorhandler(DomainError)
def domain_error(error: DomainError):
    """Nothing of a refused request is kept; the body follows the contract."""
    db.session.rollback()
    return domain_error_response(error)
