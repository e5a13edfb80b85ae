"""The one label map per enum: how kinds, statuses and sectors are named to people.

Pages, forms, exports and feeds all take their names from here, so a kind or a status
reads the same everywhere. Templates reach the maps through ``kind_label``,
``status_label`` and ``sector_label`` (registered by ``init_app``). The keys are
``StrEnum`` members, so a plain stored value (``"confirmed"``) finds its label too.
"""

from __future__ import annotations

from enum import StrEnum

from flask import Flask
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext

from eventapp.mail.outbox import MessageKind
from eventapp.models import (
    ChangeKind,
    EventKind,
    EventStatus,
    OutboxStatus,
    RegistrationStatus,
    Role,
    Sector,
    SessionKind,
    SessionStatus,
)
from eventapp.models.questions import QuestionKind

ROLE = {
    Role.ADMIN: _l("Admin (back office)"),
    Role.CHECKIN: _l("Check-in staff"),
}
EVENT_KIND = {
    EventKind.CONGRESS: _l("Congress"),
    EventKind.SITE_VISIT: _l("Site visit"),
}
SESSION_KIND = {
    SessionKind.KEYNOTE: _l("Keynote"),
    SessionKind.TALK: _l("Talk"),
    SessionKind.PANEL: _l("Panel"),
    SessionKind.WORKSHOP: _l("Workshop"),
    SessionKind.BREAK: _l("Break"),
}
# Statuses as a badge or a list cell shows them: lower case, one word.
REGISTRATION_STATUS = {
    RegistrationStatus.CONFIRMED: _l("confirmed"),
    RegistrationStatus.WAITLISTED: _l("waitlisted"),
    # A registration is "storniert", an event or a session "abgesagt".
    RegistrationStatus.CANCELLED: lazy_pgettext("registration", "cancelled"),
}
EVENT_STATUS = {
    EventStatus.DRAFT: _l("draft"),
    EventStatus.PUBLISHED: _l("published"),
    EventStatus.CANCELLED: _l("cancelled"),
}
SESSION_STATUS = {
    SessionStatus.SCHEDULED: _l("scheduled"),
    SessionStatus.CANCELLED: _l("cancelled"),
}
SECTOR = {
    Sector.MUNICIPALITY: _l("Municipality or district"),
    Sector.HOUSING: _l("Housing company"),
    Sector.PLANNING: _l("Urban planning or architecture"),
    Sector.SOCIAL_WORK: _l("Social work"),
    Sector.RESEARCH: _l("Research and teaching"),
    Sector.POLITICS: _l("Politics or state administration"),
    Sector.OTHER: _l("Other"),
}

# What a mail is about and where it stands, as the outbox page names them.
MESSAGE_KIND = {
    MessageKind.REGISTRATION_CONFIRMED: _l("Registration confirmation"),
    MessageKind.WAITLISTED: _l("Place on the waiting list"),
    MessageKind.PROMOTED: _l("Moved up from the waiting list"),
    MessageKind.CANCELLED: _l("Cancellation confirmation"),
    MessageKind.WORKSHOPS_CHANGED: _l("Workshops changed"),
    MessageKind.PROGRAMME_CHANGED: _l("Programme change"),
    MessageKind.PROGRAMME_CHANGES: _l("Notice of programme changes"),
    MessageKind.REMINDER: _l("Reminder"),
    MessageKind.THANK_YOU: _l("Thank-you mail"),
    MessageKind.ANNOUNCEMENT: _l("Message from the organizers"),
    MessageKind.BARRIER_REPORT: _l("Report of a barrier"),
    MessageKind.PASSWORD_RESET: _l("Link to set a new password"),
    MessageKind.GROUP_CONFIRMED: _l("Group registration confirmation"),
}
OUTBOX_STATUS = {
    OutboxStatus.PENDING: _l("waiting to be sent"),
    OutboxStatus.SENT: _l("sent"),
    OutboxStatus.FAILED: _l("failed"),
    OutboxStatus.DISCARDED: _l("not sent"),
}


def _label(maps: tuple[dict, ...], value: StrEnum | str | None) -> str:
    """The label of ``value`` in the first map that knows it; an unknown value as it is."""
    if not value:
        return ""
    for labels in maps:
        if value in labels:
            return str(labels[value])
    return str(value)


def role_label(value: StrEnum | str | None) -> str:
    """A staff account's role ("Check-in staff")."""
    return _label((ROLE,), value)


def kind_label(value: StrEnum | str | None) -> str:
    """An event's, a session's or a question's kind ("Congress", "Workshop", "Yes or no")."""
    return _label((EVENT_KIND, SESSION_KIND, QUESTION_KIND), value)


_STATUS_MAPS = {
    "registration": REGISTRATION_STATUS,
    "event": EVENT_STATUS,
    "session": SESSION_STATUS,
}


def status_label(value: StrEnum | str | None, of: str | None = None) -> str:
    """A registration's, event's or session's status. A plain "cancelled" is ambiguous
    (a registration is cancelled in other words than an event): the enum member or
    ``of`` ("registration", "event", "session") says whose status it is."""
    if isinstance(value, RegistrationStatus):
        of = "registration"
    elif isinstance(value, EventStatus):
        of = "event"
    elif isinstance(value, SessionStatus):
        of = "session"
    if of in _STATUS_MAPS:
        return _label((_STATUS_MAPS[of],), value)
    return _label((EVENT_STATUS, SESSION_STATUS, REGISTRATION_STATUS), value)


def message_kind_label(value: StrEnum | str | None) -> str:
    """What a mail is about ("Registration confirmation")."""
    return _label((MESSAGE_KIND,), value)


def outbox_status_label(value: StrEnum | str | None) -> str:
    """Where a mail stands ("waiting to be sent", "sent", "failed", "not sent")."""
    return _label((OUTBOX_STATUS,), value)


def sector_label(value: StrEnum | str | None) -> str:
    """The sector's name in the current language; empty when not given."""
    return _label((SECTOR,), value)


# How a person wants to be addressed; "" is no salutation (the neutral greeting).
SALUTATION = {
    "": _l("No salutation"),
    "ms": _l("Ms"),
    "mr": _l("Mr"),
}

# --- Back-office histories, audit log and check-in log -------------------------------
# Stored codes that organizers read: what happened to a registration, what an organizer
# did, what a scan answered, which field changed. ``eventapp/admin/describe.py`` makes
# sentences from them.
DIETARY = {
    "": _l("No special diet"),
    "vegetarian": _l("Vegetarian"),
    "vegan": _l("Vegan"),
    "gluten_free": _l("Gluten-free"),
    "lactose_free": _l("Lactose-free"),
}
CHANGE_KIND = {
    ChangeKind.REGISTERED: _l("Registered"),
    ChangeKind.CANCELLED: _l("Registration cancelled"),
    ChangeKind.PROMOTED: _l("Moved up from the waiting list"),
    ChangeKind.SESSION_PROMOTED: _l("Moved up to a workshop seat"),
    ChangeKind.WORKSHOPS_CHANGED: _l("Workshops changed"),
    ChangeKind.ANONYMIZED: _l("Personal data erased"),
    ChangeKind.ANNOUNCEMENTS_STOPPED: _l("Stopped messages from the organizers"),
    ChangeKind.ANNOUNCEMENTS_RESUMED: _l("Receives messages from the organizers again"),
    ChangeKind.DETAILS_CHANGED: _l("Personal details changed"),
    ChangeKind.EMAIL_CHANGE_REQUESTED: _l("New email address requested, confirmation link sent"),
    ChangeKind.EMAIL_CHANGED: _l("Email address changed"),
    ChangeKind.MANAGE_LINK_SENT: _l("Personal link sent again on request"),
    ChangeKind.ANSWERS_CHANGED: _l("Answers to the questions changed"),
}
# The kinds of answer an organizer's own question takes.
QUESTION_KIND = {
    QuestionKind.SHORT_TEXT: _l("Short text"),
    QuestionKind.LONG_TEXT: _l("Long text"),
    QuestionKind.ONE_CHOICE: _l("One choice from a list"),
    QuestionKind.MANY_CHOICES: _l("Several choices from a list"),
    QuestionKind.YES_NO: _l("Yes or no"),
}
# Who changed a registration, when it was not an organizer (those are named by e-mail).
ACTOR = {
    "participant": _l("the participant"),
    "system": _l("automatically"),
}
AUDIT_ACTION = {
    "event.create": _l("Event created"),
    "event.update": _l("Event changed"),
    "event.delete": _l("Event deleted"),
    "event.draft": _l("Event set back to draft"),
    "event.published": _l("Event published"),
    "event.cancelled": _l("Event cancelled"),
    "session.create": _l("Programme item created"),
    "session.update": _l("Programme item changed"),
    "session.delete": _l("Programme item deleted"),
    "session.cancel": _l("Programme item cancelled"),
    "session.reinstate": _l("Programme item reinstated"),
    "track.create": _l("Track created"),
    "track.update": _l("Track changed"),
    "track.delete": _l("Track deleted"),
    "room.create": _l("Room created"),
    "room.update": _l("Room changed"),
    "room.delete": _l("Room deleted"),
    "speaker.create": _l("Speaker created"),
    "speaker.update": _l("Speaker changed"),
    "speaker.delete": _l("Speaker deleted"),
    "registration.cancel": _l("Registration cancelled"),
    "registration.promote": _l("Moved up from the waiting list"),
    "registration.move": _l("Moved to another workshop"),
    "registration.resend_confirmation": _l("Confirmation sent again"),
    "registration.walk_in_over_capacity": _l("Walk-in admitted over capacity"),
    "registration.details_changed": _l("Personal details changed"),
    "registration.email_changed": _l("Email address changed"),
    "registration.attention_note": _l("Note for the door changed"),
    "mail.bulk": _l("Message to participants sent"),
    "programme_changes.send": _l("Notice of programme changes sent"),
    "programme_change.dismiss": _l("Programme change needs no notice"),
    "mail.retry": _l("Failed mail sent again"),
    "operator_settings.update": _l("Operator details changed"),
    "operator_settings.certificate": _l("Signer of the certificates changed"),
    "event.mail_settings": _l("Reminder and thank-you mail changed"),
    "mail_text.save": _l("Mail text changed"),
    "mail_text.reset": _l("Mail text reset to the built-in text"),
    "user.create": _l("Staff account created"),
    "user.deactivate": _l("Staff account deactivated"),
    "user.reactivate": _l("Staff account activated again"),
    "user.role": _l("Role of a staff account changed"),
    "user.scope": _l("Events of a check-in account changed"),
    "user.password_change": _l("Own password changed"),
    "user.password_reset_request": _l("Link to set a new password requested"),
    "user.password_reset": _l("New password set through the link"),
    "api_token.create": _l("API token created"),
    "api_token.revoke": _l("API token revoked"),
    "question.create": _l("Question created"),
    "question.update": _l("Question changed"),
    "question.move": _l("Question moved"),
    "question.deactivate": _l("Question taken off the form"),
    "question.activate": _l("Question put back on the form"),
    "question.delete": _l("Question deleted"),
}
OBJECT_TYPE = {
    "event": _l("Event"),
    "session": _l("Programme item"),
    "track": _l("Track"),
    "room": _l("Room"),
    "speaker": _l("Speaker"),
    "registration": _l("Registration"),
    "outbox_message": _l("Message"),
    "user_account": _l("User account"),
    "api_token": _l("API token"),
    "operator_settings": _l("Operator details"),
    "mail_text": _l("Mail text"),
    "programme_change": _l("Programme change"),
    "question": _l("Question"),
}
# Column and detail keys as a changed value is introduced ("Room: Rhein → Main").
FIELD = {
    "kind": _l("Kind"),
    "slug": _l("Web address"),
    "title": _l("Title"),
    "summary": _l("Summary"),
    "description": _l("Description"),
    "abstract": _l("Abstract"),
    # English content beside the German (optional; empty means the German is shown).
    "title_en": _l("Title in English"),
    "summary_en": _l("Summary in English"),
    "description_en": _l("Description in English"),
    "abstract_en": _l("Abstract in English"),
    "name_en": _l("Name in English"),
    "role_title_en": _l("Role in English"),
    "bio_en": _l("Biography in English"),
    "timezone": _l("Time zone"),
    "starts_at": _l("Starts"),
    "ends_at": _l("Ends"),
    "venue": _l("Venue"),
    # Staff accounts and their API tokens.
    "email": _l("Email"),
    "role": _l("Role"),
    "active": _l("Active"),
    "all_events": _l("All events"),
    "events": _l("Events"),
    "last_login_at": _l("Last login"),
    "prefix": _l("Token begins with"),
    "revoked_at": _l("Revoked"),
    "last_used_at": _l("Last used"),
    "user_id": _l("Staff account"),
    "address": _l("Address"),
    "municipality": _l("Municipality"),
    "meeting_point": _l("Meeting point"),
    "latitude": _l("Latitude"),
    "longitude": _l("Longitude"),
    "capacity": _l("Capacity"),
    "registration_opens_at": _l("Registration opens"),
    "registration_closes_at": _l("Registration closes"),
    "status": _l("Status"),
    "waitlist_enabled": _l("Waiting list"),
    "track_id": _l("Track"),
    "room_id": _l("Room"),
    "speaker_ids": _l("Speakers"),
    "sequence": _l("Version"),
    "name": _l("Name"),
    "colour": _l("Colour"),
    "position": _l("Position"),
    "organisation": _l("Organisation"),
    "role_title": _l("Role"),
    "bio": _l("Biography"),
    "sessions": _l("Workshops"),
    "subject": _l("Subject"),
    "filters": _l("Recipients chosen by"),
    "recipients": _l("Recipients"),
    "requeued": _l("Messages queued again"),
    "created_at": _l("Created"),
    "event_id": _l("Event"),
    "id": _l("Number"),
    # The operator details, named as on their settings page.
    "legal_name": _l("Legal name of the operator"),
    "representative": _l("Represented by"),
    "contact_email": _l("Contact email address"),
    "contact_phone": _l("Contact phone number"),
    "data_protection_officer": _l("Data protection officer"),
    "supervisory_authority": _l("Supervisory authority"),
    "sender_name": _l("Sender name of mails"),
    "sender_email": _l("Sender address of mails"),
    "reply_to": _l("Reply-To address of mails"),
    "dgs_video_url": _l("Link to the video in German Sign Language"),
    "conformance_status": _l("Conformance with WCAG 2.1 AA / EN 301 549"),
    "known_limitations": _l("Known limitations (one per line)"),
    "last_review": _l("Date of the last review"),
    "enforcement_contact": _l("Enforcement and arbitration body"),
    "certificate_signer_name": _l("Name of the person who signs"),
    "certificate_signer_role": _l("Their role or office"),
    "certificate_signature": _l("Signature image"),
    # An event's scheduled mails and the organizers' own mail texts.
    "reminder_enabled": _l("Reminder"),
    "reminder_days_before": _l("Days before the event"),
    "reminder_time": _l("Time of the reminder"),
    "thank_you_enabled": _l("Thank-you mail"),
    "slides_url": _l("Link to the slides"),
    "locale": _l("Language"),
    "text": _l("Text"),
    # A participant's own data (corrected on the manage page or by the office).
    "salutation": _l("Salutation"),
    "academic_title": _l("Academic title"),
    "first_name": _l("First name"),
    "last_name": _l("Last name"),
    "sector": _l("Sector"),
    "accessibility_needs": _l("Accessibility needs"),
    "dietary_preference": _l("Dietary preference"),
    "photo_consent": _l("Photo consent"),
    # The organizer's own questions on the registration form.
    "label": _l("Question"),
    "label_en": _l("Question in English"),
    "help_text": _l("Help text"),
    "help_text_en": _l("Help text in English"),
    "required": _l("Answer required"),
    "options": _l("Options"),
}
# The languages of mails and texts.
LANGUAGE = {
    "de": _l("German"),
    "en": _l("English"),
}
SCAN_RESULT = {
    "ok": _l("Checked in"),
    "already_checked_in": _l("Already checked in"),
    "cancelled": _l("Registration cancelled – no entry"),
    "waitlisted": _l("On the waiting list – no valid ticket"),
    "wrong_event": _l("Ticket for another event"),
    "not_registered_for_session": _l("Not registered for this workshop"),
    "unknown": _l("Unknown ticket"),
    "event_cancelled": _l("Event cancelled – no entry"),
    "not_inside": _l("Exit refused: not inside"),
    # An exit scan that counted (its result is "ok").
    "left": _l("Left"),
    # Answers to undoing a check-in.
    "annulled": _l("Check-in undone"),
    "not_checked_in": _l("Not checked in"),
}


def change_kind_label(value: StrEnum | str | None) -> str:
    """What happened to a registration ("Workshops changed")."""
    return _label((CHANGE_KIND,), value)


def audit_action_label(value: str | None) -> str:
    """An organizer's action as the audit log names it ("Programme item changed")."""
    return _label((AUDIT_ACTION,), value)


def object_type_label(value: str | None) -> str:
    """The kind of object an audit entry is about ("Room")."""
    return _label((OBJECT_TYPE,), value)


def field_label(value: str | None) -> str:
    """A changed column or detail key; an unknown one at least loses its underscores."""
    if value in FIELD:
        return str(FIELD[value])
    return (value or "").replace("_", " ").capitalize()


def language_label(value: str | None) -> str:
    """A language by its name in the current language ("Englisch")."""
    return _label((LANGUAGE,), value)


def scan_result_label(value: str | None) -> str:
    """What a scan at the door answered ("Already checked in")."""
    return _label((SCAN_RESULT,), value)


def salutation_label(value: str | None) -> str:
    """ "Frau" or "Herr"; empty when the person gave no salutation."""
    return _label((SALUTATION,), value) if value else ""


def dietary_label(value: str | None) -> str:
    """A dietary preference; empty when none was given."""
    return _label((DIETARY,), value) if value else ""


def init_app(app: Flask) -> None:
    """Make the label functions available to every template."""
    app.jinja_env.globals.update(
        kind_label=kind_label,
        status_label=status_label,
        sector_label=sector_label,
        message_kind_label=message_kind_label,
        outbox_status_label=outbox_status_label,
        change_kind_label=change_kind_label,
        audit_action_label=audit_action_label,
        object_type_label=object_type_label,
        field_label=field_label,
        scan_result_label=scan_result_label,
        language_label=language_label,
        dietary_label=dietary_label,
        salutation_label=salutation_label,
        role_label=role_label,
    )
