"""The programme as the API represents it: plain dicts, checked against the models.

``eventapp.api.models`` declares each representation; spectree validates every answer
against it, so a serializer that adds or drops a field fails at once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from eventapp.i18n import event_iso
from eventapp.models import Event, Question, Room, Session, Speaker, Track
from eventapp.questions import services as questions
from eventapp.registration.availability import EventAvailability, event_availability


def iso(event: Event, moment: datetime | None) -> str | None:
    """An API time: ``i18n.event_iso``, e.g. ``…T09:30:00+02:00``."""
    return event_iso(moment, event)


def track_json(track: Track) -> dict[str, Any]:
    """A track (field of action) of an event."""
    return {"id": track.id, "name": track.name, "name_en": track.name_en, "colour": track.colour}


def room_json(room: Room) -> dict[str, Any]:
    """A room of the event's venue; ``capacity`` null means not stated."""
    return {"id": room.id, "name": room.name, "name_en": room.name_en, "capacity": room.capacity}


def speaker_json(speaker: Speaker) -> dict[str, Any]:
    """A speaker or moderator, described by role and organisation."""
    return {
        "id": speaker.id,
        "name": speaker.name,
        "organisation": speaker.organisation,
        "role_title": speaker.role_title,
        "role_title_en": speaker.role_title_en,
        "bio": speaker.bio,
        "bio_en": speaker.bio_en,
    }


def session_json(session: Session, seats_left: int | None) -> dict[str, Any]:
    """A programme slot; ``seats_left`` from the availability read model (None: no limit)."""
    event = session.event
    return {
        "id": session.id,
        "title": session.title,
        "title_en": session.title_en,
        "abstract": session.abstract,
        "abstract_en": session.abstract_en,
        "kind": session.kind.value,
        "track_id": session.track_id,
        "room": session.room.name if session.room else None,
        "room_id": session.room_id,
        "starts_at": iso(event, session.starts_at),
        "ends_at": iso(event, session.ends_at),
        "capacity": session.capacity,
        "seats_left": seats_left,
        "status": session.status.value,
        "speakers": [speaker_json(speaker) for speaker in session.speakers],
    }


def event_json(event: Event, numbers: EventAvailability | None = None) -> dict[str, Any]:
    """An event as listed: where, when, how many seats, and whether registration is open."""
    numbers = numbers or event_availability(event)
    return {
        "slug": event.slug,
        "kind": event.kind.value,
        "title": event.title,
        "title_en": event.title_en,
        "summary": event.summary,
        "summary_en": event.summary_en,
        "status": event.status.value,
        "starts_at": iso(event, event.starts_at),
        "ends_at": iso(event, event.ends_at),
        "timezone": event.timezone,
        "venue": event.venue,
        "address": event.address,
        "municipality": event.municipality,
        "meeting_point": event.meeting_point,
        "latitude": float(event.latitude) if event.latitude is not None else None,
        "longitude": float(event.longitude) if event.longitude is not None else None,
        "capacity": event.capacity,
        "seats_left": numbers.left,
        "waitlist_enabled": event.waitlist_enabled,
        "registration_open": numbers.registration_open,
        "registration_opens_at": iso(event, event.registration_opens_at),
        "registration_closes_at": iso(event, event.registration_closes_at),
    }


def event_detail_json(event: Event) -> dict[str, Any]:
    """One event with its description, tracks, rooms, speakers and sessions."""
    numbers = event_availability(event)
    seats_left = numbers.session_seats_left
    return {
        **event_json(event, numbers),
        "description": event.description,
        "description_en": event.description_en,
        "tracks": [track_json(track) for track in event.tracks],
        "rooms": [room_json(room) for room in event.rooms],
        "speakers": [speaker_json(speaker) for speaker in event.speakers],
        "sessions": [session_json(session, seats_left[session.id]) for session in event.sessions],
        "questions": [question_json(q) for q in questions.form_questions(event)],
    }


def question_json(question: Question) -> dict[str, Any]:
    """A question on the form, German text with its English version beside it."""
    return {
        "id": question.id,
        "kind": question.kind.value,
        "label": question.label,
        "label_en": question.label_en,
        "help_text": question.help_text,
        "help_text_en": question.help_text_en,
        "required": question.required,
        "max_length": questions.MAX_ANSWER.get(question.kind),
        "options": [
            {"key": o["key"], "label": o["de"], "label_en": o.get("en", "")}
            for o in question.options or []
        ],
    }
