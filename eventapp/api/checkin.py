"""Check-in API for door staff: redeem, annul, live counts and name search."""

from __future__ import annotations

from typing import Any

from flask import g, request
from flask_babel import gettext as _

from eventapp import reads
from eventapp.accounts.auth import api_auth, may_work_at
from eventapp.api import bp
from eventapp.api.models import (
    AnnulResult,
    BoardQuery,
    CheckInBoard,
    CheckInRequest,
    CheckInSearch,
    CheckInStatus,
    DoorData,
    DoorDataQuery,
    Error,
    IdempotencyHeaders,
    RedeemRequest,
    RedeemResult,
    SearchQuery,
    WalkInRequest,
    WalkInResult,
)
from eventapp.api.registrations import registration_json
from eventapp.api.spec import BEARER, idempotent_replay_header, responses, spec
from eventapp.checkin import occupancy, offline, services, walk_in
from eventapp.database import MAX_ID, lock_late
from eventapp.domain import Forbidden, InvalidInput
from eventapp.extensions import db
from eventapp.i18n import current_locale, event_iso
from eventapp.models import ENTRANCE, Event, Registration, Role
from eventapp.registration import idempotency

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


def _workplace(slug: str) -> Event:
    """The event at ``slug`` (404 if none or a draft); 403 unless the caller may work there."""
    return _authorized(services.event_by_slug(slug))


def _authorized(event: Event) -> Event:
    """``event``; 403 unless the caller may work there."""
    if not may_work_at(g.api_user, event):
        raise Forbidden(_("Your account may not check people in at this event."))
    return event


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


def _scanned_code() -> reads.Along | None:
    """The event and the ticket a scan of a code names, to be read with the token; None
    for a body the view will refuse or a scan by registration id."""
    body = _body()
    if body is None or "registration_id" in body:
        return None
    try:
        code, slug, _list_ref = _scan_input(body)
    except InvalidInput:
        return None
    return services.look_up_along(slug, str(code))


@bp.post("/checkin/redeem")
# The token, the event and the ticket are looked up before the write lock, in one
# statement: only the check-in and its log entry queue behind other scans.
@lock_late()
@api_auth(*STAFF, along=_scanned_code)
@spec.validate(
    json=RedeemRequest,
    resp=responses(
        HTTP_200=(RedeemResult, "The outcome of the scan."),
        HTTP_404=(Error, "No such event, or a draft."),
        organizer=True,
    ),
    security=BEARER,
    tags=["check-in"],
    operation_id="redeemTicket",
)
def checkin_redeem():
    """Check a ticket holder in to the entrance or a session, or (direction exit) out.

    Every scan is logged. Roles: admin, checkin. Draft events are not open to check-in
    (404); a cancelled event answers event_cancelled. Check-in staff limited to other
    events get 403 (so do annul, status and search).
    """
    body = _body()
    subject, slug, list_ref = _scan_input(body, allow_registration_id=True)
    nonce = body.get("nonce")
    if nonce is not None and (not isinstance(nonce, str) or len(nonce) > 80):
        raise InvalidInput(
            _("nonce must be a string of at most 80 characters."), code="invalid_nonce"
        )
    direction = services.parse_direction(body.get("direction"))
    scanned_at = body.get("scanned_at")
    if scanned_at is not None:
        scanned_at = services.offline_scan_time(scanned_at)
    if isinstance(subject, int):
        scanned: dict[str, Any] = {"event": _workplace(slug), "registration_id": subject}
    else:
        # Read with the token if it was sent (``_scanned_code``), else now.
        found = (
            services.found_by_look_up(g.api_along)
            if g.api_along
            else services.look_up(slug, subject)
        )
        _authorized(found[0])
        scanned = {"found": found, "code": subject}
    answer = services.redeem_ticket(
        **scanned,
        list_ref=list_ref,
        user_id=g.api_user.id,
        device=_device(body),
        nonce=nonce,
        direction=direction,
        scanned_at=scanned_at,
    )
    db.session.commit()
    return answer


@bp.post("/checkin/annul")
@api_auth(*STAFF)
@spec.validate(
    json=CheckInRequest,
    resp=responses(
        HTTP_200=(AnnulResult, "The outcome."),
        HTTP_404=(Error, "No such event, or a draft."),
        organizer=True,
    ),
    security=BEARER,
    tags=["check-in"],
    operation_id="annulCheckIn",
)
def checkin_annul():
    """Undo a check-in."""
    body = _body()
    code, slug, list_ref = _scan_input(body)
    _workplace(slug)
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
@spec.validate(
    resp=responses(
        HTTP_200=(CheckInStatus, "The counts."),
        HTTP_404=(Error, "No such event, or a draft."),
        organizer=True,
    ),
    security=BEARER,
    tags=["check-in"],
    operation_id="getCheckInStatus",
)
def checkin_status(slug: str):
    """Counts: registered, checked in, inside now (exit scans), per list."""
    return services.checkin_status(_workplace(slug))


@bp.get("/events/<slug>/checkin/board")
@api_auth(*STAFF)
@spec.validate(
    query=BoardQuery,
    resp=responses(
        HTTP_200=(CheckInBoard, "Who is inside, per area."),
        HTTP_404=(Error, "No such event, or a draft, or no such room of the event."),
        organizer=True,
    ),
    security=BEARER,
    tags=["check-in"],
    operation_id="getCheckInBoard",
)
def checkin_board(slug: str):
    """The live board: people inside the entrance and each room, against the maximum.

    A room counts those inside any of its sessions, each person once. `level` is near
    from 90 % of the configured maximum occupancy on and full at it. Admins also get
    the names of the people inside; door staff (role checkin) get counts only.
    """
    event = _workplace(slug)
    room = occupancy.room_of_event(event, request.args.get("room"))
    return occupancy.board(event, with_people=g.api_user.has_role(Role.ADMIN), room=room)


@bp.get("/events/<slug>/checkin/data")
@api_auth(*STAFF)
@spec.validate(
    query=DoorDataQuery,
    resp=responses(
        HTTP_200=(DoorData, "What a scanner needs to decide offline."),
        HTTP_404=(Error, "No such event, or a draft."),
        HTTP_422=(Error, "An unknown list, or since not a whole number."),
        organizer=True,
    ),
    security=BEARER,
    tags=["check-in"],
    operation_id="getCheckInData",
    # 10 000 tickets: checking each against the model would cost more than building them
    # (tests/test_checkin_offline.py checks the shape instead).
    skip_validation=True,
)
def checkin_data(slug: str):
    """What an offline scanner needs: per registration a keyed hash of the ticket code.

    Never the codes themselves; the device hashes a scanned code with `hash_key`
    (HMAC-SHA256, base64url of the first 16 bytes) and looks it up. Without `since`
    (or 0) every registration of the event, cancelled ones included; with `since` only
    those changed after that `version`. Staff of this event only (403 otherwise).
    """
    event = _workplace(slug)
    list_key, _session = services.resolve_list(event, request.args.get("list") or ENTRANCE)
    since_text = (request.args.get("since") or "0").strip()
    since = (
        int(since_text)
        if since_text.isascii() and since_text.isdigit() and len(since_text) <= 18
        else None
    )
    if since is None:
        raise InvalidInput(_("since must be a whole number, 0 or more."), code="invalid_since")
    return offline.door_data(event, list_key, since)


@bp.get("/events/<slug>/checkin/search")
@api_auth(*STAFF)
@spec.validate(
    query=SearchQuery,
    resp=responses(
        HTTP_200=(CheckInSearch, "Up to 20 matches."),
        HTTP_404=(Error, "No such event, or a draft."),
        organizer=True,
    ),
    security=BEARER,
    tags=["check-in"],
    operation_id="searchCheckIn",
)
def checkin_search(slug: str):
    """Find registrations by name, email or organisation.

    Door staff (role checkin) get no email addresses and no ticket codes, and find
    someone by email only with the whole address; admins get both and search in
    addresses too.
    """
    event = _workplace(slug)
    query = request.args.get("q", "")[:200]
    results = services.search_registrations(
        event, query, contact_details=g.api_user.has_role(Role.ADMIN)
    )
    return {"query": query, "results": results}


idempotent_replay_header(
    "/events/{slug}/checkin/walk-in", " (a scanner app sending again after a lost answer)"
)


@bp.post("/events/<slug>/checkin/walk-in")
@api_auth(*STAFF)
@spec.validate(
    json=WalkInRequest,
    headers=IdempotencyHeaders,
    resp=responses(
        HTTP_201=(WalkInResult, "Registered (confirmed) and checked in at the entrance."),
        HTTP_404=(Error, "No such event, or a draft."),
        HTTP_409=(
            Error,
            "Refused: `full` (no seat left; walk-ins are never waitlisted), `duplicate` "
            "(the address is already registered: check the person in via the search), "
            "`cancelled` (event cancelled).",
        ),
        HTTP_422=(Error, "Invalid input; `fields` says what is wrong. Nothing was changed."),
        organizer=True,
    ),
    security=BEARER,
    tags=["check-in"],
    operation_id="registerWalkIn",
)
def checkin_walk_in(slug: str, json: WalkInRequest):
    """Register a walk-in and check them in at the entrance in one step.

    Roles: admin, checkin. The registration window does not apply (people come on the
    day); a cancelled event refuses. Without a free seat the walk-in is refused (409
    `full`); only an admin may send `over_capacity: true` to admit the person anyway
    (403 `override_not_allowed` for check-in staff), which the history and the audit
    log record. The check-in is logged like a scan. An optional `Idempotency-Key` (as for
    registrations) makes a retry safe: the same key with the same body answers 201 with
    the walk-in it created, with another body 422.
    """
    if json is None:
        raise InvalidInput(_("The body must be a JSON object."), code="invalid_body")
    body = _body() or {}
    person = walk_in.WalkIn(
        first_name=json.first_name,
        last_name=json.last_name,
        email=(json.email or "").strip(),
        organisation=json.organisation or "",
        privacy_informed=json.privacy_informed,
    )
    event = _workplace(slug)
    key = idempotency.checked_key(request.headers.get(idempotency.HEADER))
    claim = idempotency.claim(event, key, body) if key is not None else None
    if claim is not None and claim.registration is not None:
        registration = claim.registration
        db.session.commit()
        return _walk_in_result(registration), 201, {"Idempotent-Replayed": "true"}
    registration, _answer = walk_in.register_walk_in(
        event_slug=event.slug,
        person=person,
        user=g.api_user,
        locale=current_locale(),
        over_capacity=bool(json.over_capacity),
        device=_device(body),
    )
    if claim is not None:
        claim.registration = registration
    db.session.commit()
    return _walk_in_result(registration), 201


def _walk_in_result(registration: Registration) -> dict[str, Any]:
    """The walk-in's registration and its entrance check-in."""
    return {
        "registration": registration_json(registration),
        "status": services.RedeemStatus.OK.value,
        "checked_in_at": event_iso(registration.checked_in_at, registration.event),
        "list": services.list_value(ENTRANCE),
    }
