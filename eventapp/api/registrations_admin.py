"""Organizer API: the registrations of an event, paginated (admin only)."""

from __future__ import annotations

from flask import request
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from eventapp.accounts.auth import api_auth
from eventapp.api import bp
from eventapp.api.models import Error, RegistrationPage, RegistrationsQuery
from eventapp.api.registrations import registration_json
from eventapp.api.spec import BEARER, responses, spec
from eventapp.domain import EventNotFound, InvalidInput
from eventapp.extensions import db
from eventapp.models import Event, Registration, RegistrationStatus, Role
from eventapp.numbers import number_in_range
from eventapp.registration.search import matches, search_terms

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 200
# Far beyond any real list, and small enough that the row offset fits every database.
MAX_PAGE = 1_000_000


def _positive_int(name: str, default: int, maximum: int) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    return number_in_range(raw, 1, maximum)


@bp.get("/events/<slug>/registrations")
@api_auth(Role.ADMIN)
@spec.validate(
    query=RegistrationsQuery,
    resp=responses(
        HTTP_200=(RegistrationPage, "One page of registrations."),
        HTTP_404=(Error, "No such event."),
        organizer=True,
    ),
    security=BEARER,
    tags=["registration"],
    operation_id="listRegistrations",
)
def list_registrations(slug: str):
    """The event's registrations in arrival order, paginated. Role: admin."""
    event = db.session.execute(db.select(Event).where(Event.slug == slug)).scalar_one_or_none()
    if event is None:
        raise EventNotFound()
    page = _positive_int("page", 1, MAX_PAGE)
    per_page = _positive_int("per_page", DEFAULT_PER_PAGE, MAX_PER_PAGE)
    if page is None or per_page is None:
        raise InvalidInput(
            _(
                "page must be a whole number from 1 to %(pages)d, per_page from 1 to %(per_page)d.",
                pages=MAX_PAGE,
                per_page=MAX_PER_PAGE,
            ),
            code="invalid_page",
        )
    query = (
        db.select(Registration)
        .where(Registration.event_id == event.id)
        .options(selectinload(Registration.choices), selectinload(Registration.event))
        .order_by(Registration.created_at, Registration.id)
    )
    status = request.args.get("status")
    if status:
        if status not in {s.value for s in RegistrationStatus}:
            raise InvalidInput(
                _("status must be confirmed, waitlisted or cancelled."), code="invalid_status"
            )
        query = query.where(Registration.status == RegistrationStatus(status))
    terms = search_terms(request.args.get("q", ""))
    if terms:
        query = query.where(matches(terms))
    result = db.paginate(query, page=page, per_page=per_page, error_out=False)
    return {
        "registrations": [registration_json(r) for r in result.items],
        "page": result.page,
        "per_page": result.per_page,
        "total": result.total,
        "pages": result.pages,
    }
