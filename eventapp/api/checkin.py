"""Check-in API for door staff: redeem, annul, live counts and name search."""

from __future__ import annotations

from typing import Any

from flask import g, request

from eventapp.accounts.auth import api_auth
from eventapp.api import bp
from eventapp.checkin import services
from eventapp.errors import json_error
from eventapp.extensions import db
from eventapp.models import Role

STAFF = (Role.ADMIN, Role.CHECKIN)
MAX_DEVICE_LENGTH = 120


def _body() -> dict[str, Any] | None:
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else None


def _device(body: dict[str, Any]) -> str:
    device = request.headers.get("X-Device") or body.get("device") or ""
    return str(device).strip()[:MAX_DEVICE_LENGTH]


def _scan_input(body: dict[str, Any] | None):
    """The common fields of redeem and annul, or the 422 answer that explains what is wrong."""
    if body is None:
        return None, json_error(422, "invalid_body", "Send a JSON object.")
    code, slug, list_ref = body.get("code"), body.get("event"), body.get("list", "entrance")
    if not isinstance(code, str) or not code.strip():
        return None, json_error(422, "invalid_code", "code must be a non-empty string.")
    if not isinstance(slug, str) or not slug:
        return None, json_error(422, "invalid_event", "event must be an event slug.")
    if not isinstance(list_ref, str | int) or isinstance(list_ref, bool):
        return None, json_error(422, "invalid_list", 'list must be "entrance" or a session id.')
    return (code.strip(), slug, list_ref), None


@bp.post("/checkin/redeem")
@api_auth(*STAFF)
def checkin_redeem():
    body = _body()
    fields, error = _scan_input(body)
    if error is not None:
        return error
    nonce = body.get("nonce")
    if nonce is not None and (not isinstance(nonce, str) or len(nonce) > 80):
        return json_error(422, "invalid_nonce", "nonce must be a string of at most 80 characters.")
    code, slug, list_ref = fields
    try:
        answer = services.redeem_ticket(
            event_slug=slug,
            code=code,
            list_ref=list_ref,
            user_id=g.api_user.id,
            device=_device(body),
            nonce=nonce,
        )
    except services.CheckInError as exc:
        db.session.rollback()
        return json_error(exc.status, exc.code, exc.message)
    db.session.commit()
    return answer


@bp.post("/checkin/annul")
@api_auth(*STAFF)
def checkin_annul():
    body = _body()
    fields, error = _scan_input(body)
    if error is not None:
        return error
    code, slug, list_ref = fields
    try:
        answer = services.annul_check_in(
            event_slug=slug,
            code=code,
            list_ref=list_ref,
            user_id=g.api_user.id,
            device=_device(body),
        )
    except services.CheckInError as exc:
        db.session.rollback()
        return json_error(exc.status, exc.code, exc.message)
    db.session.commit()
    return answer


@bp.get("/events/<slug>/checkin/status")
@api_auth(*STAFF)
def checkin_status(slug: str):
    try:
        event = services.event_by_slug(slug)
    except services.CheckInError as exc:
        return json_error(exc.status, exc.code, exc.message)
    return services.checkin_status(event)


@bp.get("/events/<slug>/checkin/search")
@api_auth(*STAFF)
def checkin_search(slug: str):
    try:
        event = services.event_by_slug(slug)
    except services.CheckInError as exc:
        return json_error(exc.status, exc.code, exc.message)
    query = request.args.get("q", "")[:200]
    return {"query": query, "results": services.search_registrations(event, query)}


# --- OpenAPI ---------------------------------------------------------------------


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_ERRORS = {
    "401": {"$ref": "#/components/responses/Unauthorized"},
    "403": {"$ref": "#/components/responses/Forbidden"},
}
_SLUG = {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}
_LIST = {
    "description": '"entrance", or the id of a session (number or digits).',
    "oneOf": [{"type": "string"}, {"type": "integer"}],
}
_ISO_OR_NULL = {"type": ["string", "null"], "format": "date-time"}
_PERSON = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "organisation": {"type": "string"},
    },
    "required": ["id", "name", "organisation"],
}

OPENAPI_SCHEMAS: dict[str, Any] = {
    "CheckInRequest": {
        "type": "object",
        "properties": {
            "code": {"type": "string", "description": "Exactly what the QR code holds."},
            "event": {"type": "string", "description": "The event's slug."},
            "list": _LIST,
            "nonce": {
                "type": "string",
                "maxLength": 80,
                "description": "Repeating a request with the same nonce returns the first answer.",
            },
            "device": {"type": "string", "description": "Label of the scanning device."},
        },
        "required": ["code", "event"],
    },
    "CheckInPerson": _PERSON,
    "RedeemResult": {
        "type": "object",
        "properties": {
            "status": {
                "type": "string",
                "enum": [s.value for s in services.RedeemStatus],
            },
            "registration": _ref("CheckInPerson"),
            "checked_in_at": {
                "type": "string",
                "format": "date-time",
                "description": "Time of the first check-in to this list (ok, already_checked_in).",
            },
            "list": _LIST,
            "registration_event": {"type": "string", "description": "For wrong_event."},
        },
        "required": ["status", "list"],
    },
    "AnnulResult": {
        "type": "object",
        "properties": {
            "status": {"type": "string", "enum": [s.value for s in services.AnnulStatus]},
            "registration": _ref("CheckInPerson"),
            "list": _LIST,
        },
        "required": ["status", "list"],
    },
    "CheckInStatus": {
        "type": "object",
        "properties": {
            "event": {"type": "string"},
            "registered": {"type": "integer", "description": "Confirmed registrations."},
            "waitlisted": {"type": "integer"},
            "cancelled": {"type": "integer"},
            "checked_in": {"type": "integer", "description": "Checked in at the entrance."},
            "lists": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "list": _LIST,
                        "title": {"type": "string"},
                        "kind": {"type": "string"},
                        "starts_at": {"type": "string", "format": "date-time"},
                        "expected": {
                            "type": ["integer", "null"],
                            "description": "Confirmed seats; null for sessions open to all.",
                        },
                        "checked_in": {"type": "integer"},
                    },
                    "required": ["list", "title", "expected", "checked_in"],
                },
            },
        },
        "required": ["event", "registered", "checked_in", "lists"],
    },
    "CheckInSearch": {
        "type": "object",
        "properties": {
            "query": {"type": "string"},
            "results": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        **_PERSON["properties"],
                        "first_name": {"type": "string"},
                        "last_name": {"type": "string"},
                        "email": {"type": "string"},
                        "status": {
                            "type": "string",
                            "enum": ["confirmed", "waitlisted", "cancelled"],
                        },
                        "checked_in_at": _ISO_OR_NULL,
                        "ticket_code": {"type": "string"},
                    },
                    "required": ["id", "name", "status", "checked_in_at", "ticket_code"],
                },
            },
        },
        "required": ["query", "results"],
    },
}

_SECURITY = [{"bearerAuth": []}]

OPENAPI_PATHS: dict[str, Any] = {
    "/checkin/redeem": {
        "post": {
            "operationId": "redeemTicket",
            "tags": ["check-in"],
            "summary": "Check a ticket holder in to the entrance or a session.",
            "description": "Every scan is logged. Roles: admin, checkin.",
            "security": _SECURITY,
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref("CheckInRequest")}},
            },
            "responses": {
                "200": _json(_ref("RedeemResult"), "The outcome of the scan."),
                "404": {"$ref": "#/components/responses/NotFound"},
                "422": {"$ref": "#/components/responses/UnprocessableEntity"},
                **_ERRORS,
            },
        }
    },
    "/checkin/annul": {
        "post": {
            "operationId": "annulCheckIn",
            "tags": ["check-in"],
            "summary": "Undo a check-in.",
            "security": _SECURITY,
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref("CheckInRequest")}},
            },
            "responses": {
                "200": _json(_ref("AnnulResult"), "The outcome."),
                "404": {"$ref": "#/components/responses/NotFound"},
                "422": {"$ref": "#/components/responses/UnprocessableEntity"},
                **_ERRORS,
            },
        }
    },
    "/events/{slug}/checkin/status": {
        "get": {
            "operationId": "getCheckInStatus",
            "tags": ["check-in"],
            "summary": "Counts: registered, checked in, per list.",
            "security": _SECURITY,
            "parameters": [_SLUG],
            "responses": {
                "200": _json(_ref("CheckInStatus"), "The counts."),
                "404": {"$ref": "#/components/responses/NotFound"},
                **_ERRORS,
            },
        }
    },
    "/events/{slug}/checkin/search": {
        "get": {
            "operationId": "searchCheckIn",
            "tags": ["check-in"],
            "summary": "Find registrations by name, email or organisation.",
            "security": _SECURITY,
            "parameters": [
                _SLUG,
                {"name": "q", "in": "query", "required": True, "schema": {"type": "string"}},
            ],
            "responses": {
                "200": _json(_ref("CheckInSearch"), "Up to 25 matches."),
                "404": {"$ref": "#/components/responses/NotFound"},
                **_ERRORS,
            },
        }
    },
}
