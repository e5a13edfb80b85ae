"""Public API: registering for an event, and the registration representation."""

from __future__ import annotations

from typing import Any

from flask import current_app, request
from flask_babel import gettext as _

from eventapp.api import bp
from eventapp.api.events import SLUG_PARAMETER, public_event_or_404
from eventapp.api.schemas import ID, NULLABLE_TIME, STRING, TIME, closed, iso, ref
from eventapp.extensions import db
from eventapp.i18n import current_locale
from eventapp.models import Registration, RegistrationStatus, Sector
from eventapp.registration import idempotency, services
from eventapp.registration.errors import InvalidRegistration
from eventapp.registration.limits import registration_limit
from eventapp.registration.services import DIETARY_PREFERENCES, RegistrationInput
from eventapp.urls import calendar_url, manage_url, ticket_url

OPTIONAL_TEXT = ("organisation", "municipality", "accessibility_needs")


def registration_json(registration: Registration) -> dict[str, Any]:
    """A registration as the contract names it; times in the event's time zone."""
    event = registration.event
    return {
        "id": registration.id,
        "event": event.slug,
        "status": registration.status.value,
        "first_name": registration.first_name,
        "last_name": registration.last_name,
        "email": registration.email,
        "organisation": registration.organisation,
        "sessions": [
            {"id": choice.session_id, "status": choice.status.value}
            for choice in sorted(registration.choices, key=lambda c: c.session_id)
        ],
        "created_at": iso(event, registration.created_at),
        "checked_in_at": iso(event, registration.checked_in_at),
    }


def created_registration_json(registration: Registration) -> dict[str, Any]:
    """The answer to a registration: the representation plus the person's links."""
    confirmed = registration.status == RegistrationStatus.CONFIRMED
    return {
        **registration_json(registration),
        "waitlist_position": services.waitlist_position(registration),
        "manage_url": manage_url(registration),
        "ticket_url": ticket_url(registration) if confirmed else None,
        "calendar_url": calendar_url(registration),
    }


def parse_registration(payload: Any) -> tuple[RegistrationInput, list[int], str | None]:
    """The applicant, workshop ids and locale from a JSON body; raises with field messages."""
    if not isinstance(payload, dict):
        raise InvalidRegistration(_("The body must be a JSON object."))
    errors: dict[str, str] = {}

    def text(name: str) -> str:
        value = payload.get(name, "")
        if value is None and name in OPTIONAL_TEXT:
            return ""
        if not isinstance(value, str):
            errors[name] = _("Must be a string.")
            return ""
        return value

    first_name, last_name, email = text("first_name"), text("last_name"), text("email")
    organisation, municipality = text("organisation"), text("municipality")
    accessibility_needs = text("accessibility_needs")
    # The address rules (valid, deliverable, normal form) are the service's, below.
    sector = payload.get("sector")
    if sector not in (None, "", *(s.value for s in Sector)):
        errors["sector"] = _("Must be one of: %(values)s.", values=", ".join(Sector))
    dietary = payload.get("dietary_preference") or ""
    if dietary not in DIETARY_PREFERENCES:
        allowed = ", ".join(v for v in DIETARY_PREFERENCES if v)
        errors["dietary_preference"] = _("Must be one of: %(values)s.", values=allowed)
    for flag in ("consent_privacy", "photo_consent"):
        if payload.get(flag) not in (None, True, False):
            errors[flag] = _("Must be true or false.")
    session_ids = payload.get("session_ids") or []
    if not isinstance(session_ids, list) or not all(
        isinstance(i, int) and not isinstance(i, bool) for i in session_ids
    ):
        errors["session_ids"] = _("Must be a list of session ids.")
        session_ids = []
    locale = payload.get("locale")
    if locale is not None and locale not in current_app.config["LANGUAGES"]:
        errors["locale"] = _("Must be one of: %(values)s.", values="de, en")
    applicant = RegistrationInput(
        first_name=first_name,
        last_name=last_name,
        email=email,
        consent_privacy=payload.get("consent_privacy") is True,
        organisation=organisation,
        sector=Sector(sector) if sector and "sector" not in errors else None,
        municipality=municipality,
        accessibility_needs=accessibility_needs,
        dietary_preference=dietary if "dietary_preference" not in errors else "",
        photo_consent=payload.get("photo_consent") is True,
    )
    # The service's own checks (required fields, lengths, consent) fill in the rest.
    for name, message in services.validate_applicant(applicant).items():
        errors.setdefault(name, message)
    if errors:
        raise InvalidRegistration(_("Please correct the fields listed."), fields=errors)
    return applicant, session_ids, locale


@bp.post("/events/<slug>/registrations")
@registration_limit
def create_registration(slug: str):
    """Register for an event: 201 with the registration, 409 or 422 with the reason.

    With an ``Idempotency-Key`` the same key and body answer with the registration the
    first request created; another body with that key is refused (422).
    """
    event = public_event_or_404(slug)
    payload = request.get_json(silent=True)
    key = idempotency.checked_key(request.headers.get(idempotency.HEADER))
    claim = idempotency.claim(event, key, payload) if key is not None else None
    replayed = claim is not None and claim.registration is not None
    if replayed:
        registration = claim.registration
    else:
        applicant, session_ids, locale = parse_registration(payload)
        registration = services.register(event, applicant, session_ids, locale or current_locale())
        if claim is not None:
            claim.registration = registration
    db.session.commit()
    headers = {"Idempotent-Replayed": "true"} if replayed else {}
    return created_registration_json(registration), 201, headers


# --- OpenAPI -------------------------------------------------------------------------

SESSION_CHOICE = closed(
    {"id": ID, "status": {"type": "string", "enum": ["confirmed", "waitlisted"]}},
    "A chosen workshop: a seat, or a place on its waiting list.",
)
REGISTRATION_PROPERTIES: dict[str, Any] = {
    "id": ID,
    "event": {"type": "string", "description": "The event's slug."},
    "status": {"type": "string", "enum": ["confirmed", "waitlisted", "cancelled"]},
    "first_name": STRING,
    "last_name": STRING,
    "email": {"type": "string", "format": "email"},
    "organisation": STRING,
    "sessions": {"type": "array", "items": ref("RegistrationSession")},
    "created_at": TIME,
    "checked_in_at": {**NULLABLE_TIME, "description": "Entrance check-in; null until then."},
}
URL = {"type": "string", "format": "uri"}
OPENAPI_SCHEMAS: dict[str, Any] = {
    "RegistrationSession": SESSION_CHOICE,
    "Registration": closed(REGISTRATION_PROPERTIES, "A person's registration for an event."),
    "CreatedRegistration": closed(
        {
            **REGISTRATION_PROPERTIES,
            "waitlist_position": {
                "type": ["integer", "null"],
                "minimum": 1,
                "description": "1 = next to move up; null unless waitlisted.",
            },
            "manage_url": {**URL, "description": "The person's page to view, change, cancel."},
            "ticket_url": {
                "type": ["string", "null"],
                "format": "uri",
                "description": "The QR ticket; null while waitlisted.",
            },
            "calendar_url": {**URL, "description": "Personal iCalendar feed."},
        },
        "A new registration with the person's links.",
    ),
    "RegistrationRequest": {
        "type": "object",
        "required": ["first_name", "last_name", "email", "consent_privacy"],
        "properties": {
            "first_name": {"type": "string", "maxLength": 100},
            "last_name": {"type": "string", "maxLength": 100},
            "email": {"type": "string", "format": "email", "maxLength": 254},
            "organisation": {"type": ["string", "null"], "maxLength": 200},
            "session_ids": {
                "type": "array",
                "items": {"type": "integer"},
                "description": "Workshops, at most one per time slot.",
            },
            "consent_privacy": {"type": "boolean", "const": True},
            "photo_consent": {"type": "boolean"},
            "sector": {"type": ["string", "null"], "enum": [None, *(s.value for s in Sector)]},
            "municipality": {"type": ["string", "null"], "maxLength": 120},
            "accessibility_needs": {"type": ["string", "null"], "maxLength": 1000},
            "dietary_preference": {"type": "string", "enum": list(DIETARY_PREFERENCES)},
            "locale": {"type": "string", "enum": ["de", "en"], "description": "For emails."},
        },
    },
    "RegistrationValidationError": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {
                        "type": "string",
                        "enum": [
                            "invalid",
                            "overlap",
                            "invalid_idempotency_key",
                            "idempotency_key_reused",
                        ],
                    },
                    "message": STRING,
                    "fields": {
                        "type": "object",
                        "additionalProperties": {"type": "string"},
                        "description": "Field name → what is wrong with it.",
                    },
                },
            }
        },
    },
}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


IDEMPOTENCY_KEY_PARAMETER = {
    "name": idempotency.HEADER,
    "in": "header",
    "required": False,
    "description": (
        "A random value (e.g. a UUID) chosen by the client for this registration. Sent again "
        "with the same body, it answers 201 with the registration the first request created "
        "(as it is now, e.g. `cancelled` since), so a retry after a lost answer is safe; with "
        "another body, 422 `idempotency_key_reused`. Only a request that created a "
        "registration binds its key: a refused one (409, 422) is decided afresh when retried. "
        "Keys are kept per event for 24 hours. Whoever repeats key and body gets the answer "
        "with its links, so the key must be unguessable."
    ),
    "schema": {
        "type": "string",
        "minLength": 1,
        "maxLength": idempotency.MAX_KEY_LENGTH,
        "pattern": "^[\\x21-\\x7e]([\\x20-\\x7e]*[\\x21-\\x7e])?$",
    },
}


OPENAPI_PATHS = {
    "/events/{slug}/registrations": {
        "post": {
            "operationId": "createRegistration",
            "tags": ["registration"],
            "summary": "Register for an event and choose workshops.",
            "description": (
                "Confirmed while seats are free; when the event is full the person is "
                "waitlisted (or refused with 409 `full` if the event keeps no waiting list). "
                "A full workshop waitlists the person for that workshop only. Rate-limited "
                "per client address, together with the registration form."
            ),
            "parameters": [SLUG_PARAMETER, IDEMPOTENCY_KEY_PARAMETER],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": ref("RegistrationRequest")}},
            },
            "responses": {
                "201": {
                    **_json(ref("CreatedRegistration"), "Registered (confirmed or waitlisted)."),
                    "headers": {
                        "Idempotent-Replayed": {
                            "description": "`true` when this answer repeats an earlier one "
                            "for the same Idempotency-Key.",
                            "schema": {"type": "string", "enum": ["true"]},
                        }
                    },
                },
                "404": {"$ref": "#/components/responses/NotFound"},
                "409": _json(
                    ref("Error"),
                    "Refused: `duplicate` (email already registered), `closed` (outside the "
                    "registration window or not published), `cancelled` (event cancelled), "
                    "`full` (no seat and no waiting list).",
                ),
                "422": _json(
                    ref("RegistrationValidationError"),
                    "Invalid input (`invalid`, `overlap`; `fields` says what is wrong), a "
                    "malformed Idempotency-Key (`invalid_idempotency_key`) or a key already "
                    "used with another body (`idempotency_key_reused`). Nothing was changed.",
                ),
                "429": {"$ref": "#/components/responses/TooManyRequests"},
            },
        }
    }
}
