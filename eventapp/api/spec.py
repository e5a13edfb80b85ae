"""The API's declaration: routes decorated with ``spec.validate`` and the models they name.

spectree validates each request against its model before the view runs and, in tests
and in debug mode, each answer against the model of its status after; the OpenAPI 3.1
document is generated
from the same declarations (``build_document``). What is not specific to a route is
declared here once: the errors every route can give (400, 413, 429, 503), the
bearer scheme, and how a failed validation becomes the contract's 422 body.
"""

from __future__ import annotations

import copy
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from pydantic import ValidationError
from spectree import Response, SpecTree
from spectree.plugins.flask_plugin import FlaskPlugin

from eventapp.api import models
from eventapp.domain import EventNotFound, InvalidInput
from eventapp.extensions import db
from eventapp.models import Event
from eventapp.registration.errors import InvalidRegistration
from eventapp.registration.idempotency import InvalidIdempotencyKey

PREFIX = "/api/v1"
BEARER = {"bearerAuth": []}


class ResponseDoesNotMatchDocument(RuntimeError):
    """A view answered with something its declared model does not allow: a bug, a 500."""


def _message(error: dict[str, Any]) -> str:
    """A pydantic error as a message in the request's language."""
    kind, context = error["type"], error.get("ctx", {})
    if kind in {"missing", "string_too_short"}:
        return _("This field is required.")
    if kind == "string_too_long":
        return _("At most %(n)d characters, please.", n=context.get("max_length", 0))
    if kind == "string_type":
        return _("Must be a string.")
    if kind == "bool_type":
        return _("Must be true or false.")
    if kind in {"enum", "literal_error"}:
        return _("Must be one of: %(values)s.", values=context.get("expected", ""))
    if error["loc"][:1] == ("session_ids",):
        return _("Must be a list of session ids.")
    return _("Please check your input.")


# The code of a refused field, where clients rely on one more precise than "invalid".
FIELD_CODES: dict[str, dict[str, str]] = {
    "RedeemRequest": {
        "code": "invalid_code",
        "registration_id": "invalid_registration_id",
        "event": "invalid_event",
        "list": "invalid_list",
        "nonce": "invalid_nonce",
        "scanned_at": "invalid_scanned_at",
    },
    "CheckInRequest": {
        "code": "invalid_code",
        "event": "invalid_event",
        "list": "invalid_list",
        "nonce": "invalid_nonce",
    },
    "RegistrationsQuery": {
        "page": "invalid_page",
        "per_page": "invalid_page",
        "status": "invalid_status",
    },
}


# Requests whose 422 lists every wrong field in ``fields`` (the others name one in the message).
ANSWERS_WITH_FIELDS = {"RegistrationRequest", "WalkInRequest", "GroupRegistrationRequest"}
# Nested bodies name a field by its whole path: ``registrant.email``, ``members.0.email``.
DOTTED_FIELDS = {"GroupRegistrationRequest"}


def _names_no_event(request) -> bool:
    slug = (request.view_args or {}).get("slug")
    if slug is None:
        return False
    return db.session.execute(db.select(Event.id).where(Event.slug == slug)).first() is None


def refuse_invalid_request(request, _response, error: Exception | None, *_args) -> None:
    """Turn spectree's validation failure into a domain error, answered by the API's
    one error handler: 422 with ``fields`` in the request's language."""
    if not isinstance(error, ValidationError):
        return
    if _names_no_event(request):
        # The address is wrong before the body is: 404, as when the view looks the event up.
        raise EventNotFound()
    problems = error.errors(include_url=False)
    if any(not problem["loc"] for problem in problems):
        # Not even an object: a list, a number or null where the body should be.
        raise InvalidRegistration(_("The body must be a JSON object."))
    fields: dict[str, str] = {}
    for problem in problems:
        loc = problem["loc"] if error.title in DOTTED_FIELDS else problem["loc"][:1]
        fields.setdefault(".".join(str(part) for part in loc), _message(problem))
    if error.title == "IdempotencyHeaders":
        raise InvalidIdempotencyKey(next(iter(fields.values())))
    codes = FIELD_CODES.get(error.title, {})
    code = next((codes[name] for name in fields if name in codes), "invalid")
    if error.title in ANSWERS_WITH_FIELDS:
        raise InvalidInput(_("Please correct the fields listed."), code=code, fields=fields)
    # The other bodies and queries have always named the first wrong input in the message.
    name, problem = next(iter(fields.items()))
    raise InvalidInput(f"{name}: {problem}", code=code)


def refuse_undeclared_response(_request, _response, error: Exception | None, *_args) -> None:
    if error is not None:
        raise ResponseDoesNotMatchDocument(str(error)) from error


class CheckedInTests(FlaskPlugin):
    """spectree's Flask plugin, checking answers against their models in tests and debug.

    The tests prove every answer the API gives against the document; in production the
    check found nothing new and cost a fifth of a cached event document's time (the
    whole 23 KB body parsed by pydantic on every request). Requests are always checked.
    """

    def validate_response(self, resp, resp_model, skip_validation, force_resp_serialize):
        app = current_app
        skip = skip_validation or not (app.testing or app.debug)
        return super().validate_response(resp, resp_model, skip, force_resp_serialize)


spec = SpecTree(
    "flask",
    backend=CheckedInTests,
    mode="strict",  # only the routes declared with spec.validate are in the document
    openapi_version="3.1.0",
    title="Zukunftsbündnis Sozialer Zusammenhalt – events API",
    version="1.0.0",
    description=(
        "Programme, registration and check-in of the congress and site visits. "
        "Times are ISO 8601 with a UTC offset. Organizer endpoints take "
        "`Authorization: Bearer <token>`."
    ),
    security_schemes=[
        {
            "name": "bearerAuth",
            "data": {
                "type": "http",
                "scheme": "bearer",
                "description": "An API token from `flask tokens create EMAIL`.",
            },
        }
    ],
    naming_strategy=lambda model: model.__name__,
    nested_naming_strategy=lambda _parent, child: child,
    validation_error_status=422,
    validation_error_model=models.Error,
    before=refuse_invalid_request,
    after=refuse_undeclared_response,
)

# Answers any route can give, declared once (added to every operation by build_document).
GENERIC_RESPONSES: dict[str, str] = {
    "400": "The request could not be read (e.g. malformed JSON or characters no database "
    "can store).",
    "413": "The request body is larger than MAX_REQUEST_BYTES.",
    "429": "Too many requests; try again later (see Retry-After).",
    "503": "The service is busy or its database unreachable; try again (see Retry-After).",
}
ORGANIZER_RESPONSES: dict[str, str] = {
    "401": "No valid bearer token.",
    "403": "The token's user lacks the role.",
}


def responses(**answers: Any) -> Response:
    """The route's own answers, e.g. ``HTTP_200=(Model, "description")``; for organizer
    routes pass ``organizer=True`` to add 401 and 403."""
    organizer = answers.pop("organizer", False)
    if organizer:
        answers.setdefault("HTTP_401", (models.Error, ORGANIZER_RESPONSES["401"]))
        answers.setdefault("HTTP_403", (models.Error, ORGANIZER_RESPONSES["403"]))
    return Response(**answers)


# Response headers an operation declares: (path, method, status) → name → header object.
RESPONSE_HEADERS: dict[tuple[str, str, str], dict[str, Any]] = {}


def response_header(path: str, method: str, status: int, name: str, header: dict) -> None:
    """Declare a header of one answer (spectree's models describe bodies only)."""
    RESPONSE_HEADERS.setdefault((path, method, str(status)), {})[name] = header


def idempotent_replay_header(path: str, repeats: str = "") -> None:
    """Declare the ``Idempotent-Replayed`` header of a POST that takes an Idempotency-Key."""
    response_header(
        path,
        "post",
        201,
        "Idempotent-Replayed",
        {
            "description": "`true` when this answer repeats an earlier one for the same "
            f"Idempotency-Key{repeats}.",
            "schema": {"type": "string", "enum": ["true"]},
        },
    )


def build_document() -> dict[str, Any]:
    """The OpenAPI 3.1 document of ``/api/v1``: spectree's, with paths relative to the
    server URL and the generic answers added to every operation."""
    generated = copy.deepcopy(spec.spec)
    paths: dict[str, Any] = {}
    for path, item in generated["paths"].items():
        operations = {}
        for method, operation in item.items():
            answers = operation.setdefault("responses", {})
            for status in GENERIC_RESPONSES:
                answers.setdefault(status, {"$ref": f"#/components/responses/{status}"})
            for status, answer in answers.items():
                headers = RESPONSE_HEADERS.get((path.removeprefix(PREFIX), method, status))
                if headers:
                    answer["headers"] = headers
            operations[method] = operation
        paths[path.removeprefix(PREFIX)] = operations
    error_ref = {"schema": {"$ref": "#/components/schemas/Error"}}
    shared = {
        status: {"description": description, "content": {"application/json": error_ref}}
        for status, description in GENERIC_RESPONSES.items()
    }
    components = {**generated["components"], "responses": shared}
    return {
        **generated,
        "servers": [{"url": PREFIX}],
        "paths": paths,
        "components": components,
    }
