"""The API's request and response models, declared once with pydantic.

These models are the contract in code: ``eventapp.api.spec`` validates requests and
responses against them and generates the OpenAPI document from them. Response models
forbid undeclared fields, so a serializer that drifts from the document fails.
Field limits come from the model columns (``APPLICANT_MAX_LENGTHS``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel, StrictBool, StrictInt, StrictStr

from eventapp.checkin.services import AnnulStatus, RedeemStatus
from eventapp.models import (
    EventKind,
    EventStatus,
    QuestionKind,
    RegistrationStatus,
    Sector,
    SessionKind,
    SessionStatus,
)
from eventapp.models.registration import APPLICANT_MAX_LENGTHS
from eventapp.registration.applicant import DIETARY_PREFERENCES, SALUTATIONS
from eventapp.registration.idempotency import KEY_PATTERN, MAX_KEY_LENGTH

Count = Annotated[int, Field(ge=0)]
Url = Annotated[str, Field(json_schema_extra={"format": "uri"})]
ChoiceState = Literal["confirmed", "waitlisted"]
ListRef = Annotated[
    StrictStr | StrictInt,
    Field(description='"entrance", or the id of a session (number or digits).'),
]


def limit(name: str) -> int:
    """The longest value of a participant field, as the column holds it."""
    return APPLICANT_MAX_LENGTHS[name]


class Representation(BaseModel):
    """A response body: every declared field is present, nothing else is."""

    model_config = ConfigDict(extra="forbid")


# --- errors ------------------------------------------------------------------------------


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable, machine-readable code.")
    message: str = Field(description="For people; translated into the language asked for.")
    fields: dict[str, str] | None = Field(
        default=None, description="Field name → what is wrong with it (invalid input)."
    )


class Error(BaseModel):
    """Every error under /api/v1 has this shape."""

    error: ErrorDetail


# --- programme ---------------------------------------------------------------------------

# The API gives the German content; its optional English version rides beside it.
English = Field(description='The English version; "" when there is none (use the German).')


class Track(Representation):
    """A programme track; the congress uses the four fields of action."""

    id: int
    name: str
    name_en: str = English
    colour: str = Field(pattern="^#[0-9a-fA-F]{6}$")


class Room(Representation):
    """A room at the venue."""

    id: int
    name: str
    name_en: str = English
    capacity: Count | None


class Speaker(Representation):
    """A speaker or moderator."""

    id: int
    name: str
    organisation: str
    role_title: str
    role_title_en: str = English
    bio: str
    bio_en: str = English


class Session(Representation):
    """A slot of the programme: keynote, talk, panel, workshop or break."""

    id: int
    title: str
    title_en: str = English
    abstract: str
    abstract_en: str = English
    kind: SessionKind
    track_id: int | None
    room: str | None = Field(description="Name of the room.")
    room_id: int | None
    starts_at: datetime
    ends_at: datetime
    capacity: Count | None = Field(description="Seats (workshops); null: no limit.")
    seats_left: Count | None = Field(description="Seats still free; null: no limit.")
    status: SessionStatus
    speakers: list[Speaker]


class Event(Representation):
    """A congress or site visit."""

    slug: str
    kind: EventKind
    title: str
    title_en: str = English
    summary: str
    summary_en: str = English
    status: EventStatus = Field(description="Cancelled events stay listed, marked cancelled.")
    starts_at: datetime
    ends_at: datetime
    timezone: str = Field(examples=["Europe/Berlin"])
    venue: str
    address: str
    municipality: str
    meeting_point: str
    latitude: float | None
    longitude: float | None
    capacity: Count | None = Field(description="Seats in total; null: no limit.")
    seats_left: Count | None = Field(description="Confirmed seats still free; null: no limit.")
    waitlist_enabled: bool
    registration_open: bool
    registration_opens_at: datetime | None
    registration_closes_at: datetime | None


class QuestionOption(Representation):
    """One option of a choice question; answers give its ``key``."""

    key: str
    label: str
    label_en: str = English


class Question(Representation):
    """One of the organizer's own questions on the registration form, in form order.

    Answer it in ``answers`` of a registration, keyed by the question's id as a string:
    `short_text`/`long_text` a string, `one_choice` an option key, `many_choices` a list
    of option keys, `yes_no` true or false.
    """

    id: int
    kind: QuestionKind
    label: str
    label_en: str = English
    help_text: str
    help_text_en: str = English
    required: bool = Field(description="An answer must be given (for yes_no: true or false).")
    max_length: int | None = Field(description="Longest text answer; null for other kinds.")
    options: list[QuestionOption] = Field(description="For the choice kinds; else empty.")


class EventDetail(Event):
    """One event with its programme."""

    description: str
    description_en: str = English
    tracks: list[Track]
    rooms: list[Room]
    speakers: list[Speaker]
    sessions: list[Session]
    questions: list[Question] = Field(description="The organizer's questions on the form.")


class EventList(RootModel[list[Event]]):
    """Published events, soonest first."""


# --- registration ------------------------------------------------------------------------


class RegistrationSession(Representation):
    """A chosen workshop: a seat, or a place on its waiting list."""

    id: int
    status: ChoiceState


class Registration(Representation):
    """A person's registration for an event."""

    id: int
    event: str = Field(description="The event's slug.")
    status: RegistrationStatus
    first_name: str
    last_name: str
    email: str = Field(
        description='"" for a group member (or walk-in) who gave no address.',
        json_schema_extra={"anyOf": [{"format": "email"}, {"const": ""}]},
    )
    organisation: str
    sessions: list[RegistrationSession]
    created_at: datetime
    checked_in_at: datetime | None = Field(description="Entrance check-in; null until then.")


class CreatedRegistration(Registration):
    """A new registration with the person's links."""

    waitlist_position: Annotated[int, Field(ge=1)] | None = Field(
        description="1 = next to move up; null unless waitlisted."
    )
    manage_url: Url = Field(description="The person's page to view, change, cancel.")
    ticket_url: Url | None = Field(description="The QR ticket; null while waitlisted.")
    calendar_url: Url = Field(description="Personal iCalendar feed.")


class RegistrationPage(Representation):
    """One page of an event's registrations in arrival order."""

    registrations: list[Registration]
    page: int = Field(ge=1)
    per_page: int = Field(ge=1)
    total: Count
    pages: Count


class RegistrationRequest(BaseModel):
    """What a person enters to register. The service checks the rules on top (required,
    a deliverable address, no control characters, workshops that exist and do not overlap)."""

    # Strict: "yes" is no boolean and "3" no session id, whatever a lenient parser thinks.
    model_config = ConfigDict(extra="ignore", strict=True)

    first_name: str = Field(min_length=1, max_length=limit("first_name"))
    last_name: str = Field(min_length=1, max_length=limit("last_name"))
    email: str = Field(max_length=limit("email"), json_schema_extra={"format": "email"})
    salutation: Literal[SALUTATIONS] | None = Field(  # type: ignore[valid-type]
        default=None, description='For mails and badges: "ms", "mr", or "" for none.'
    )
    academic_title: str | None = Field(
        default=None, max_length=limit("academic_title"), examples=["Dr."]
    )
    organisation: str | None = Field(default=None, max_length=limit("organisation"))
    session_ids: list[StrictInt] | None = Field(
        default=None, description="Workshops, at most one per time slot."
    )
    consent_privacy: StrictBool = Field(
        json_schema_extra={"const": True}, description="Must be true."
    )
    photo_consent: StrictBool | None = None
    sector: Sector | None = None
    municipality: str | None = Field(default=None, max_length=limit("municipality"))
    accessibility_needs: str | None = Field(default=None, max_length=limit("accessibility_needs"))
    dietary_preference: Literal[DIETARY_PREFERENCES] | None = None  # type: ignore[valid-type]
    locale: Literal["de", "en"] | None = Field(default=None, description="For emails.")
    answers: dict[str, StrictStr | list[StrictStr] | StrictBool] | None = Field(
        default=None,
        description=(
            "Answers to the event's questions (see `questions` of the event), keyed by "
            "question id as a string: a string (text, or an option key for one_choice), a "
            "list of option keys (many_choices) or a boolean (yes_no). Required questions "
            "must be answered; an unknown id or an answer that breaks a rule is refused "
            "with 422 and `fields` naming `answers.<id>`."
        ),
        examples=[{"12": "Kassel", "13": ["a1b2c3d4"], "14": True}],
    )


class GroupMemberRequest(BaseModel):
    """A colleague in a group registration: like a registrant, but the e-mail address is
    optional and there is no consent of their own (the registrant's covers the group) and
    no workshop choice (members choose later, on their own or the registrant's page)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    first_name: str = Field(min_length=1, max_length=limit("first_name"))
    last_name: str = Field(min_length=1, max_length=limit("last_name"))
    email: str | None = Field(
        default=None,
        max_length=limit("email"),
        description="Optional; without one, mail about this member goes to the registrant.",
    )
    salutation: Literal[SALUTATIONS] | None = None  # type: ignore[valid-type]
    academic_title: str | None = Field(default=None, max_length=limit("academic_title"))
    organisation: str | None = Field(default=None, max_length=limit("organisation"))
    photo_consent: StrictBool | None = None
    sector: Sector | None = None
    municipality: str | None = Field(default=None, max_length=limit("municipality"))
    accessibility_needs: str | None = Field(default=None, max_length=limit("accessibility_needs"))
    dietary_preference: Literal[DIETARY_PREFERENCES] | None = None  # type: ignore[valid-type]


class GroupRegistrationRequest(BaseModel):
    """A registrant and their colleagues, registered in one transaction in this order."""

    model_config = ConfigDict(extra="ignore", strict=True)

    registrant: RegistrationRequest = Field(
        description="Registers like a single registration; `session_ids` apply to them only."
    )
    members: list[GroupMemberRequest] = Field(
        min_length=1, description="At most the event's `max_group_size` colleagues."
    )


class CreatedGroup(Representation):
    """The group's registrations: the registrant first, then the members in order."""

    registrations: list[CreatedRegistration]


class IdempotencyHeaders(BaseModel):
    """The optional ``Idempotency-Key`` of a registration (see the operation's text)."""

    model_config = ConfigDict(populate_by_name=True)

    # Optional, yet typed as a string: the header is absent or a string, never null.
    idempotency_key: str = Field(  # a factory, unlike a default, stays out of the schema
        default_factory=lambda: None,  # type: ignore[arg-type,return-value]
        alias="Idempotency-Key",
        min_length=1,
        max_length=MAX_KEY_LENGTH,
        pattern=f"^{KEY_PATTERN.pattern}$",
        description=(
            "A random value (e.g. a UUID) chosen by the client for this registration. Sent "
            "again with the same body, it answers 201 with the registration the first request "
            "created (as it is now, e.g. `cancelled` since), so a retry after a lost answer "
            "is safe; with another body, 422 `idempotency_key_reused`. Only a request that "
            "created a registration binds its key: a refused one (409, 422) is decided afresh "
            "when retried. Keys are kept per event for 24 hours. Whoever repeats key and body "
            "gets the answer with its links, so the key must be unguessable."
        ),
    )


class RegistrationsQuery(BaseModel):
    """Paging and filter of the organizers' registration list (checked by the view)."""

    page: int | None = Field(default=None, ge=1, description="Page number, from 1.")
    per_page: int | None = Field(default=None, ge=1, description="Registrations per page.")
    status: RegistrationStatus | None = None
    q: str | None = Field(
        default=None, description="Every word in name, organisation or email address."
    )


# --- check-in ----------------------------------------------------------------------------


class CheckInRequest(BaseModel):
    """An annulment: which ticket, event and list."""

    code: str = Field(description="Exactly what the QR code holds.")
    event: str = Field(description="The event's slug.")
    list: ListRef | None = None
    nonce: str | None = Field(default=None, max_length=80)
    device: str | None = Field(default=None, description="Label of the scanning device.")


class RedeemRequest(BaseModel):
    """A scan: a ticket code, or on the scanner page a registration found by name."""

    code: str | None = Field(default=None, description="Exactly what the QR code holds.")
    registration_id: int | None = Field(
        default=None,
        ge=1,
        description=(
            "Instead of code: a registration of this event found by name search. "
            "Only for the scanner page (session login); with a bearer token 403."
        ),
    )
    event: str = Field(description="The event's slug.")
    list: ListRef | None = None
    nonce: str | None = Field(
        default=None,
        max_length=80,
        description=(
            "Repeating a request with the same nonce returns the first answer, if "
            "code (or registration_id), event and list are the same; otherwise the "
            "request counts as a new scan."
        ),
    )
    device: str | None = Field(default=None, description="Label of the scanning device.")
    direction: Literal["entry", "exit"] | None = Field(
        default=None,
        description=(
            '"entry" (default) admits the person; "exit" records that they left the '
            "list's room (answer ok, or not_inside when they are not inside). An entry "
            "after an exit admits them again (ok)."
        ),
    )
    scanned_at: str | None = Field(
        default=None,
        max_length=40,
        json_schema_extra={"format": "date-time"},
        description=(
            "ISO time of a scan decided offline and sent later (default: now). The "
            "check-in gets this time (the earliest wins) and the log marks the scan "
            "offline; if another device already admitted the ticket, the answer is "
            "already_checked_in and the log flags the scan as a duplicate. More than "
            "5 minutes in the future or older than 7 days: 422."
        ),
    )


class CheckInPerson(BaseModel):
    id: int
    name: str
    organisation: str


class RedeemResult(BaseModel):
    status: RedeemStatus = Field(
        description=(
            "ok: admitted (entry) or recorded as gone (exit); already_checked_in: "
            "inside already; not_inside: an exit of someone not inside; cancelled, "
            "waitlisted: the registration's state; wrong_event: a ticket of another "
            "event; not_registered_for_session: no seat in this workshop; unknown: no "
            "such ticket; event_cancelled: the event is cancelled, nobody is admitted."
        )
    )
    registration: CheckInPerson | None = None
    checked_in_at: datetime | None = Field(
        default=None,
        description="Time of the first check-in to this list (ok, already_checked_in).",
    )
    left_at: datetime | None = Field(
        default=None, description="For an exit: when the person left (null while inside)."
    )
    list: ListRef
    direction: Literal["entry", "exit"] | None = Field(
        default=None, description="The scan's direction, as sent."
    )
    attention: str | None = Field(
        default=None,
        description=(
            "What door staff should know at a glance (accessibility needs, the "
            "organizers' note), shortened; null if nothing. Only for a registration "
            "of this event."
        ),
    )
    registration_event: str | None = Field(default=None, description="For wrong_event.")


class WalkInRequest(BaseModel):
    """A walk-in at the door: registered and checked in at the entrance in one step."""

    model_config = ConfigDict(extra="ignore", strict=True)

    first_name: str = Field(min_length=1, max_length=limit("first_name"))
    last_name: str = Field(min_length=1, max_length=limit("last_name"))
    email: str | None = Field(
        default=None,
        max_length=limit("email"),
        description='Optional; "" or absent for none. An address already registered: 409.',
    )
    organisation: str | None = Field(default=None, max_length=limit("organisation"))
    privacy_informed: StrictBool = Field(
        json_schema_extra={"const": True},
        description="Must be true: the person was informed of the privacy notice.",
    )
    over_capacity: StrictBool | None = Field(
        default=None,
        description="Admins only: admit the person although no seat is left (logged).",
    )
    device: str | None = Field(default=None, description="Label of the scanning device.")


class WalkInResult(Representation):
    """The walk-in's new registration and the outcome of the entrance check-in."""

    registration: Registration
    status: RedeemStatus = Field(description='The check-in at the entrance; "ok".')
    checked_in_at: datetime | None
    list: ListRef


class AnnulResult(BaseModel):
    status: AnnulStatus
    registration: CheckInPerson | None = None
    list: ListRef


class ListCount(BaseModel):
    list: ListRef
    title: str
    kind: str | None = None
    starts_at: datetime | None = None
    expected: int | None = Field(description="Confirmed seats; null for sessions open to all.")
    checked_in: int
    inside: int | None = Field(
        default=None, description="Checked in and not left since (exit scans)."
    )


class CheckInStatus(BaseModel):
    event: str
    registered: int = Field(description="Confirmed registrations.")
    waitlisted: int | None = None
    cancelled: int | None = None
    checked_in: int = Field(description="Checked in at the entrance.")
    inside: int | None = Field(
        default=None, description="People inside now: entrance check-ins without an exit since."
    )
    lists: list[ListCount]


class SearchResult(CheckInPerson):
    organisation: str | None = None  # type: ignore[assignment]
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = Field(default=None, description="Admins only.")
    status: RegistrationStatus
    checked_in_at: datetime | None
    ticket_code: str | None = Field(default=None, description="Admins only.")
    attention: str | None = Field(
        default=None, description="The attention flag for the door; null if nothing."
    )


class CheckInSearch(BaseModel):
    query: str
    results: list[SearchResult]


class BoardPerson(BaseModel):
    name: str
    organisation: str
    checked_in_at: datetime | None = Field(description="First check-in to the list.")


class BoardSession(BaseModel):
    list: int = Field(description="The session id (its check-in list).")
    title: str
    starts_at: datetime | None
    inside: Count


class BoardArea(BaseModel):
    key: str = Field(description='"entrance", or "room:<id>".')
    kind: Literal["entrance", "room"]
    name: str = Field(description="The room's name; empty for the entrance.")
    inside: Count = Field(description="People inside now (each once per area).")
    max_occupancy: int | None = Field(description="The configured maximum; null = none.")
    percent: int | None = Field(description="inside as a share of the maximum, in percent.")
    level: Literal["unlimited", "ok", "near", "full"] = Field(
        description="near from 90 % of the maximum on, full at the maximum or above."
    )
    sessions: list[BoardSession] | None = Field(
        default=None, description="For a room: its sessions and who is inside each."
    )
    people: list[BoardPerson] | None = Field(
        default=None, description="Admins only: the people inside. Absent for door staff."
    )


class CheckInBoard(BaseModel):
    event: str
    updated_at: datetime
    areas: list[BoardArea]


class BoardQuery(BaseModel):
    room: int | None = Field(default=None, ge=1, description="Only this room of the event.")


class DoorDataQuery(BaseModel):
    list: str | None = Field(
        default=None, description='"entrance" (default) or a session id.', max_length=20
    )
    since: str | None = Field(
        default=None,
        max_length=20,
        description="The version of the last download; changes after it are sent, and those "
        "of the two minutes before it again (store tickets by id). Absent or 0: everything.",
    )


class DoorTicket(Representation):
    id: int
    hash: str = Field(
        description="base64url of the first 16 bytes of HMAC-SHA256(hash_key, ticket code)."
    )
    name: str
    status: RegistrationStatus
    workshops: list[int] = Field(description="Sessions with a confirmed seat.")
    attention: str | None = Field(description="What door staff should know; null if nothing.")
    checked_in: bool = Field(description="Checked in on this list.")
    inside: bool = Field(description="Checked in on this list and not left.")


class DoorData(Representation):
    event: str
    list: ListRef
    version: int = Field(
        description="A time stamp in microseconds; send it back as since for the next delta."
    )
    full: bool = Field(description="All registrations (else only those changed since).")
    hash_key: str = Field(description="base64url key the device hashes scanned codes with.")
    tickets: list[DoorTicket]
    generated_at: datetime


class SearchQuery(BaseModel):
    q: str = Field(description="Words that must all match; one of at least 2 characters.")
