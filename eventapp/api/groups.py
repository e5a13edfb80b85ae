"""Public API: registering a group (a registrant and their colleagues) in one request."""

from __future__ import annotations

from flask import request
from flask_babel import gettext as _

from eventapp.api import bp
from eventapp.api.events import public_event_or_404
from eventapp.api.models import (
    CreatedGroup,
    Error,
    GroupMemberRequest,
    GroupRegistrationRequest,
    IdempotencyHeaders,
)
from eventapp.api.registrations import applicant_of, created_registration_json
from eventapp.api.spec import idempotent_replay_header, responses, spec
from eventapp.extensions import db
from eventapp.i18n import current_locale
from eventapp.models import RegistrationSource
from eventapp.questions import services as questions
from eventapp.registration import groups, idempotency
from eventapp.registration.errors import InvalidRegistration, RegistrationError
from eventapp.registration.limits import registration_limit
from eventapp.registration.services import RegistrationInput

PATH = "/events/<slug>/group-registrations"


def member_of(body: GroupMemberRequest) -> RegistrationInput:
    """A colleague as the service takes it; the service checks its rules on top."""
    return RegistrationInput(
        salutation=body.salutation or "",
        academic_title=body.academic_title or "",
        first_name=body.first_name,
        last_name=body.last_name,
        email=body.email or "",
        consent_privacy=True,
        organisation=body.organisation or "",
        sector=body.sector,
        municipality=body.municipality or "",
        accessibility_needs=body.accessibility_needs or "",
        dietary_preference=body.dietary_preference or "",
        photo_consent=bool(body.photo_consent),
    )


def _api_fields(error: RegistrationError) -> RegistrationError:
    """The service names the registrant's fields plainly; the API by their path in the body."""
    if not error.fields:
        return error
    error.fields = {
        name if name.startswith("members") else f"registrant.{name}": message
        for name, message in error.fields.items()
    }
    return error


idempotent_replay_header("/events/{slug}/group-registrations")


@bp.post(PATH)
@registration_limit
@spec.validate(
    json=GroupRegistrationRequest,
    headers=IdempotencyHeaders,
    resp=responses(
        HTTP_201=(CreatedGroup, "Registered, registrant first (each confirmed or waitlisted)."),
        HTTP_404=(Error, "No such event, or not published."),
        HTTP_409=(
            Error,
            "Refused: `closed` (outside the registration window or not published), "
            "`cancelled` (event cancelled), `full` (no seat and no waiting list).",
        ),
        HTTP_422=(
            Error,
            "Invalid input (`invalid`, `overlap`; `fields` names each wrong field by its "
            "path, e.g. `registrant.email` or `members.1.email`): missing data, more "
            "members than the event allows, an address twice in the group or already "
            "registered, a malformed or reused Idempotency-Key. Nothing was changed.",
        ),
    ),
    tags=["registration"],
    operation_id="createGroupRegistration",
)
def create_group_registration(slug: str, json: GroupRegistrationRequest):
    """Register a registrant and colleagues in one transaction.

    Seats are given in the order of the body, registrant first; whoever finds no free
    seat is waitlisted in that order (or, if the event keeps no waiting list, the whole
    request is refused with 409 `full` and nothing is stored). A member's `email` is
    optional; mail about a member without one goes to the registrant. The registrant's
    `session_ids` apply to the registrant only; members choose workshops later. All or
    nothing: any refused member refuses the group. Rate-limited and idempotent like
    `createRegistration`.
    """
    event = public_event_or_404(slug)
    if json is None:
        raise InvalidRegistration(_("The body must be a JSON object."))
    payload = request.get_json(silent=True)
    key = idempotency.checked_key(request.headers.get(idempotency.HEADER))
    claim = idempotency.claim(event, key, payload) if key is not None else None
    replayed = claim is not None and claim.registration is not None
    if replayed:
        registrations = groups.group_of(claim.registration)
    else:
        registrant = json.registrant
        try:
            # The registrant answers the organizer's questions, as in a single registration;
            # answers first, so that a refused one leaves nothing behind.
            questions.check_answers(event, registrant.answers)
            registrations = groups.register_group(
                event,
                applicant_of(registrant),
                [member_of(member) for member in json.members],
                registrant.session_ids or [],
                registrant.locale or current_locale(),
                source=RegistrationSource.API,
            )
            questions.store_answers(registrations[0], registrant.answers, "participant")
        except RegistrationError as error:
            raise _api_fields(error) from None
        if claim is not None:
            claim.registration = registrations[0]
    db.session.commit()
    headers = {"Idempotent-Replayed": "true"} if replayed else {}
    body = {"registrations": [created_registration_json(r) for r in registrations]}
    return body, 201, headers
