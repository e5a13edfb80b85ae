"""Public API: registering for an event, and the registration representation."""

from __future__ import annotations

import functools
from typing import Any

from flask import request
from flask_babel import gettext as _
from sqlalchemy import Integer, and_, any_, bindparam, inspect, select
from sqlalchemy.dialects.postgresql import ARRAY

from eventapp import reads
from eventapp.api import bp
from eventapp.api.models import CreatedRegistration, Error, IdempotencyHeaders, RegistrationRequest
from eventapp.api.serializers import iso
from eventapp.api.spec import idempotent_replay_header, responses, spec
from eventapp.database import MAX_ID, commit_keeping_values, lock_late
from eventapp.domain import EventNotFound
from eventapp.extensions import db
from eventapp.i18n import current_locale
from eventapp.models import (
    Event,
    Question,
    Registration,
    RegistrationSource,
    RegistrationStatus,
    Session,
)
from eventapp.questions import services as questions
from eventapp.registration import idempotency, services
from eventapp.registration.availability import publicly_visible
from eventapp.registration.errors import InvalidRegistration
from eventapp.registration.limits import registration_limit
from eventapp.registration.services import RegistrationInput
from eventapp.urls import calendar_url, manage_url, ticket_url


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
        # Just made: its place as found under the event lock, where the list was not
        # counted (a replayed answer counts it).
        "waitlist_position": registration.arrival_position
        if registration.arrival_position is not None
        else services.waitlist_position(registration),
        "manage_url": manage_url(registration),
        "ticket_url": ticket_url(registration) if confirmed else None,
        "calendar_url": calendar_url(registration),
    }


def applicant_of(body: RegistrationRequest) -> RegistrationInput:
    """The person as the service takes it; the service checks its rules on top."""
    return RegistrationInput(
        salutation=body.salutation or "",
        academic_title=body.academic_title or "",
        first_name=body.first_name,
        last_name=body.last_name,
        email=body.email,
        consent_privacy=body.consent_privacy,
        organisation=body.organisation or "",
        sector=body.sector,
        municipality=body.municipality or "",
        accessibility_needs=body.accessibility_needs or "",
        dietary_preference=body.dietary_preference or "",
        photo_consent=bool(body.photo_consent),
    )


idempotent_replay_header("/events/{slug}/registrations")


@bp.post("/events/<slug>/registrations")
# The event, the questions and the answers are looked up before the event is
# locked: only the seat decision and the writes queue behind other registrations.
@lock_late()
@registration_limit
@spec.validate(
    json=RegistrationRequest,
    headers=IdempotencyHeaders,
    resp=responses(
        HTTP_201=(CreatedRegistration, "Registered (confirmed or waitlisted)."),
        HTTP_404=(Error, "No such event, or not published."),
        HTTP_409=(
            Error,
            "Refused: `duplicate` (email already registered), `closed` (outside the "
            "registration window or not published), `cancelled` (event cancelled), "
            "`full` (no seat and no waiting list).",
        ),
        HTTP_422=(
            Error,
            "Invalid input (`invalid`, `overlap`; `fields` says what is wrong, "
            "`answers.<question id>` for an answer), a "
            "malformed Idempotency-Key (`invalid_idempotency_key`) or a key already "
            "used with another body (`idempotency_key_reused`). Nothing was changed.",
        ),
    ),
    tags=["registration"],
    operation_id="createRegistration",
)
def create_registration(slug: str, json: RegistrationRequest):
    """Register for an event and choose workshops.

    Confirmed while seats are free; when the event is full the person is waitlisted (or
    refused with 409 `full` if the event keeps no waiting list). A full workshop
    waitlists the person for that workshop only. Rate-limited per client address,
    together with the registration form. With an `Idempotency-Key` the same key and body
    answer with the registration the first request created (header
    `Idempotent-Replayed: true`); another body with that key is refused (422).
    """
    event, asks_questions, workshops = _event_or_404(slug, json.session_ids if json else None)
    # spectree reads the annotation as the model, and passes None for no body or a form
    # (it validates JSON bodies only).
    if json is None:
        raise InvalidRegistration(_("The body must be a JSON object."))
    payload = request.get_json(silent=True)
    key = idempotency.checked_key(request.headers.get(idempotency.HEADER))
    claim = idempotency.claim(event, key, payload) if key is not None else None
    replayed = claim is not None and claim.registration is not None
    if replayed:
        registration = claim.registration
    else:
        # Answers first: a refused answer (422) leaves nothing behind.
        if json.answers or asks_questions:
            questions.check_answers(event, json.answers)
        registration = services.register(
            event,
            applicant_of(json),
            json.session_ids or [],
            json.locale or current_locale(),
            source=RegistrationSource.API,
            # Nothing else to write: the rows are committed as they are written.
            last=not json.answers and claim is None,
            workshops=workshops,
        )
        if json.answers:
            questions.store_answers(registration, json.answers, "participant")
        if claim is not None:
            claim.registration = registration
    # Written after the commit, from what this request holds: the event stays locked for
    # the seat decision and the writes alone.
    commit_keeping_values()
    answer = created_registration_json(registration)
    headers = {"Idempotent-Replayed": "true"} if replayed else {}
    return answer, 201, headers


def _event_or_404(slug: str, session_ids: list[int] | None) -> tuple[Event, bool, list[Session]]:
    """The event as ``public_event_or_404`` finds it, without its programme, whether its
    form asks any questions, and in the same statement the chosen workshops of the event:
    the registration takes them as read before it locks the event
    (``waitlist.lock_for_newcomer``) instead of reading them in a statement of their
    own. PostgreSQL only: on SQLite the registration reads them under the writers'
    lock, where what was read before it would be kept as it was. Ids no workshop can have
    are left to the registration to refuse."""
    postgresql = db.session.get_bind().dialect.name == "postgresql"
    ids = sorted({i for i in session_ids or () if isinstance(i, int) and 0 < i <= MAX_ID})
    ids = ids if postgresql else []
    found = reads.objects(
        _event_statement(postgresql),
        {"slug": slug, "ids": ids},
        _REGISTERING,
        reads.VALUE,
        _WORKSHOP,
    )
    if not found:
        raise EventNotFound()
    event, asks, _workshop = found[0]
    return event, asks, [workshop for _event, _asks, workshop in found if workshop is not None]


@functools.cache
def _event_statement(postgresql: bool):
    # Built once: under SQLite's write lock every statement put together costs the queue.
    # Only the columns a registration reads: the rest is loaded if something asks for it.
    asks = select(Question.id).where(Question.event_id == Event.id, Question.active).exists()
    if postgresql:
        # The ids as one array: compiled once and sent as it is (``reads.rows``).
        chosen: Any = Session.id == any_(bindparam("ids", type_=ARRAY(Integer)))
    else:
        chosen = Session.id.in_(bindparam("ids", expanding=True))
    return (
        select(*_REGISTERING.selected, asks, *_WORKSHOP.selected)
        .outerjoin(Session, and_(Session.event_id == Event.id, chosen))
        .where(Event.slug == bindparam("slug"), publicly_visible())
        .order_by(Session.id)
    )


_REGISTERING = reads.columns(
    Event,
    "slug",
    "timezone",
    "status",
    "capacity",
    "waitlist_enabled",
    "registration_opens_at",
    "registration_closes_at",
    "starts_at",
    "ends_at",
    "updated_at",
)
# A workshop whole, as the registration reads it.
_WORKSHOP = reads.columns(Session, *(prop.key for prop in inspect(Session).column_attrs))
