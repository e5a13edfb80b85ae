"""Check-in API for door staff: redeem, annul, live counts and name search."""

from __future__ import annotations

from typing import Any

from flask import g, request
from flask_babel import gettext as _

from eventapp.accounts.auth import api_auth
from eventapp.api import bp
from eventapp.checkin import services
from eventapp.database import MAX_ID
from eventapp.domain import Forbidden, InvalidInput
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


def _signed_in_on_the_page() -> bool:
    """The request comes from the scanner page (session cookie), not from a bearer token.

    ``api_auth`` takes the token whenever an Authorization header is sent.
    """
    return not request.headers.get("Authorization")


def _registration_id(body: dict[str, Any]) -> int:
    """The ``registration_id`` of a redeem sent instead of a code; refused unless valid."""
    registration_id = body.get("registration_id")
    if "code" in body:
        raise InvalidInput(_("Send either code or registration_id."), code="invalid_body")
    if (
        not isinstance(registration_id, int)
        or isinstance(registration_id, bool)
        or not 0 < registration_id <= MAX_ID
    ):
        raise InvalidInput(
            _("registration_id must be a registration's id."), code="invalid_registration_id"
        )
    # A name search hit on the scanner page is checked in by id; a leaked token must not
    # be able to check in a whole event by counting ids.
    if not _signed_in_on_the_page():
        raise Forbidden(_("Check-in by registration_id is only for the scanner page."))
    return registration_id


def _scan_input(
    body: dict[str, Any] | None, *, allow_registration_id: bool = False
) -> tuple[str | int, str, str | int]:
    """The common fields of redeem and annul; refused with a 422 that says what is wrong.

    The first field is the code, or with ``allow_registration_id`` a registration id.
    """
    if body is None:
        raise InvalidInput(_("Send a JSON object."), code="invalid_body")
    code, slug, list_ref = body.get("code"), body.get("event"), body.get("list", "entrance")
    if allow_registration_id and "registration_id" in body:
        code = _registration_id(body)
    elif not isinstance(code, str) or not code.strip():
        raise InvalidInput(_("code must be a non-empty string."), code="invalid_code")
    else:
        code = code.strip()
    if not isinstance(slug, str) or not slug:
        raise InvalidInput(_("event must be an event slug."), code="invalid_event")
    if not isinstance(list_ref, str | int) or isinstance(list_ref, bool):
        raise InvalidInput(_('list must be "entrance" or a session id.'), code="invalid_list")
    return code, slug, list_ref


@bp.post("/checkin/redeem")
@api_auth(*STAFF)
def checkin_redeem():
    body = _body()
    subject, slug, list_ref = _scan_input(body, allow_registration_id=True)
    nonce = body.get("nonce")
    if nonce is not None and (not isinstance(nonce, str) or len(nonce) > 80):
        raise InvalidInput(
            _("nonce must be a string of at most 80 characters."), code="invalid_nonce"
        )
    scanned = {"registration_id": subject} if isinstance(subject, int) else {"code": subject}
    answer = services.redeem_ticket(
        event_slug=slug,
        **scanned,
        list_ref=list_ref,
        user_id=g.api_user.id,
        device=_device(body),
        nonce=nonce,
    )
    db.session.commit()
    return answer


@bp.post("/checkin/annul")
@api_auth(*STAFF)
def checkin_annul():
    body = _body()
    code, slug, list_ref = _scan_input(body)
    answer = services.annul_check_in(
        event_slug=slug,
        code=code,
        list_ref=list_ref,
        user_id=g.api_user.id,
        device=_device(body),
    )
    db.session.commit()
    return answer


@bp.get("/events/<slug>/checkin/status")
@api_auth(*STAFF)
def checkin_status(slug: str):
    return services.checkin_status(services.event_by_slug(slug))


@bp.get("/events/<slug>/checkin/search")
@api_auth(*STAFF)
def checkin_search(slug: str):
    event = services.event_by_slug(slug)
    query = request.args.get("q", "")[:200]
    results = services.search_registrations(
        event, query, contact_details=g.api_user.has_role(Role.ADMIN)
    )
    return {"query": query, "results": results}


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
    "RedeemRequest": {
        "type": "object",
        "properties": {
            "code": {"type": "string", "description": "Exactly what the QR code holds."},
            "registration_id": {
                "type": "integer",
                "minimum": 1,
                "description": (
                    "Instead of code: a registration of this event found by name search. "
                    "Only for the scanner page (session login); with a bearer token 403."
                ),
            },
            "event": {"type": "string", "description": "The event's slug."},
            "list": _LIST,
            "nonce": {
                "type": "string",
                "maxLength": 80,
                "description": (
                    "Repeating a request with the same nonce returns the first answer, if "
                    "code (or registration_id), event and list are the same; otherwise the "
                    "request counts as a new scan."
                ),
            },
            "device": {"type": "string", "description": "Label of the scanning device."},
        },
        "required": ["event"],
        "oneOf": [{"required": ["code"]}, {"required": ["registration_id"]}],
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
                        "email": {"type": "string", "description": "Admins only."},
                        "status": {
                            "type": "string",
                            "enum": ["confirmed", "waitlisted", "cancelled"],
                        },
                        "checked_in_at": _ISO_OR_NULL,
                        "ticket_code": {"type": "string", "description": "Admins only."},
                    },
                    "required": ["id", "name", "status", "checked_in_at"],
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
            "description": (
                "Every scan is logged. Roles: admin, checkin. Draft events are not open "
                "to check-in (404); a cancelled event answers event_cancelled."
            ),
            "security": _SECURITY,
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref("RedeemRequest")}},
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
            "description": (
                "Door staff (role checkin) get no email addresses and no ticket codes, and "
                "find someone by email only with the whole address; admins get both and "
                "search in addresses too."
            ),
            "security": _SECURITY,
            "parameters": [
                _SLUG,
                {
                    "name": "q",
                    "in": "query",
                    "required": True,
                    "description": "Words that must all match; one of at least 2 characters.",
                    "schema": {"type": "string"},
                },
            ],
            "responses": {
                "200": _json(_ref("CheckInSearch"), "Up to 20 matches."),
                "404": {"$ref": "#/components/responses/NotFound"},
                "422": {"$ref": "#/components/responses/UnprocessableEntity"},
                **_ERRORS,
            },
        }
    },
}
