"""Organizer API: the registrations of an event, paginated (admin only)."""

from __future__ import annotations

from typing import Any

from flask import request
from sqlalchemy.orm import selectinload

from eventapp.accounts.auth import api_auth
from eventapp.api import bp
from eventapp.api.events import SLUG_PARAMETER
from eventapp.api.registrations import registration_json
from eventapp.api.schemas import ref
from eventapp.errors import json_error
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
def list_registrations(slug: str):
    event = db.session.execute(db.select(Event).where(Event.slug == slug)).scalar_one_or_none()
    if event is None:
        return json_error(404, "event_not_found", "There is no event at this address.")
    page = _positive_int("page", 1, MAX_PAGE)
    per_page = _positive_int("per_page", DEFAULT_PER_PAGE, MAX_PER_PAGE)
    if page is None or per_page is None:
        return json_error(
            422,
            "invalid_page",
            f"page must be a whole number from 1 to {MAX_PAGE}, per_page from 1 to {MAX_PER_PAGE}.",
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
            return json_error(
                422, "invalid_status", "status must be confirmed, waitlisted or cancelled."
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


def _page_parameter(name: str, description: str, maximum: int | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "integer", "minimum": 1}
    if maximum:
        schema["maximum"] = maximum
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


OPENAPI_SCHEMAS: dict[str, Any] = {
    "RegistrationPage": {
        "type": "object",
        "additionalProperties": False,
        "required": ["registrations", "page", "per_page", "total", "pages"],
        "properties": {
            "registrations": {"type": "array", "items": ref("Registration")},
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1},
            "total": {"type": "integer", "minimum": 0},
            "pages": {"type": "integer", "minimum": 0},
        },
        "description": "One page of an event's registrations in arrival order.",
    }
}

OPENAPI_PATHS: dict[str, Any] = {
    "/events/{slug}/registrations": {
        "get": {
            "operationId": "listRegistrations",
            "tags": ["registration"],
            "summary": "The event's registrations in arrival order, paginated. Role: admin.",
            "security": [{"bearerAuth": []}],
            "parameters": [
                SLUG_PARAMETER,
                _page_parameter("page", "Page number, from 1.", MAX_PAGE),
                _page_parameter("per_page", "Registrations per page.", MAX_PER_PAGE),
                {
                    "name": "status",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "string", "enum": [s.value for s in RegistrationStatus]},
                },
                {
                    "name": "q",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "string"},
                    "description": "Every word in name, organisation or email address.",
                },
            ],
            "responses": {
                "200": {
                    "description": "One page of registrations.",
                    "content": {"application/json": {"schema": ref("RegistrationPage")}},
                },
                "401": {"$ref": "#/components/responses/Unauthorized"},
                "403": {"$ref": "#/components/responses/Forbidden"},
                "404": {"$ref": "#/components/responses/NotFound"},
                "422": {"$ref": "#/components/responses/UnprocessableEntity"},
            },
        }
    }
}
