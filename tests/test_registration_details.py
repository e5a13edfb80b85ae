"""Correcting a registration's data: the rules, the history and the audit log."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from eventapp.extensions import db
from eventapp.models import AuditEntry, ChangeKind, RegistrationStatus, Sector
from eventapp.registration import details
from eventapp.registration.errors import (
    DuplicateRegistration,
    InvalidRegistration,
    RegistrationInactive,
)

pytestmark = pytest.mark.usefixtures("english")


def audit_entries(action: str) -> list[AuditEntry]:
    query = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
    return list(db.session.execute(query).scalars())


def test_changed_fields_are_stored_with_history_and_audit(make_event, make_registration):
    registration = make_registration(make_event(), organisation="Stadt Bürstdat")

    changed = details.update_details(
        registration,
        {
            "first_name": " Jörg ",  # unchanged once trimmed
            "organisation": " Stadt Bürstadt ",
            "sector": "municipality",
            "dietary_preference": "vegan",
        },
        "participant",
    )
    db.session.commit()

    assert changed == ["organisation", "sector", "dietary_preference"]
    assert registration.organisation == "Stadt Bürstadt"
    assert registration.sector is Sector.MUNICIPALITY
    change = registration.changes[-1]
    assert change.kind is ChangeKind.DETAILS_CHANGED
    assert change.actor == "participant"
    assert change.detail == {"fields": changed}
    [entry] = audit_entries("registration.details_changed")
    assert entry.object_id == registration.id
    assert entry.before["organisation"] == "Stadt Bürstdat"
    assert entry.after == {
        "organisation": "Stadt Bürstadt",
        "sector": "municipality",
        "dietary_preference": "vegan",
    }


def test_nothing_changed_records_nothing(make_event, make_registration):
    registration = make_registration(make_event())
    assert details.update_details(registration, {"first_name": "Jörg"}, "participant") == []
    db.session.commit()
    assert registration.changes == []
    assert audit_entries("registration.details_changed") == []


def test_withdrawing_photo_consent_records_the_time(make_event, make_registration):
    registration = make_registration(make_event(), photo_consent=True)

    details.update_details(registration, {"photo_consent": False}, "participant")
    db.session.commit()
    withdrawn = registration.photo_consent_withdrawn_at
    assert withdrawn is not None
    assert registration.photo_consent is False

    details.update_details(registration, {"photo_consent": True}, "participant")
    db.session.commit()
    assert registration.photo_consent_withdrawn_at is None
    assert [c.detail["fields"] for c in registration.changes] == [
        ["photo_consent"],
        ["photo_consent"],
    ]


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"first_name": "  "}, "first_name"),
        ({"organisation": "x" * 201}, "organisation"),
        ({"last_name": "Müller\u202e"}, "last_name"),
        ({"sector": "pirates"}, "sector"),
        ({"dietary_preference": "carnivore"}, "dietary_preference"),
        ({"salutation": "sir"}, "salutation"),
    ],
)
def test_bad_values_are_refused_and_nothing_changes(make_event, make_registration, values, field):
    registration = make_registration(make_event())
    before = details.current_details(registration)

    with pytest.raises(InvalidRegistration) as refused:
        details.update_details(registration, values, "participant")
    db.session.rollback()

    assert list(refused.value.fields) == [field]
    db.session.refresh(registration)
    assert details.current_details(registration) == before
    assert registration.changes == []


def test_the_address_is_not_editable_as_a_detail(make_event, make_registration):
    registration = make_registration(make_event())
    with pytest.raises(ValueError, match="email"):
        details.update_details(registration, {"email": "new@example.org"}, "participant")


def test_erased_data_cannot_be_corrected(make_event, make_registration):
    registration = make_registration(make_event(), anonymized_at=db.func.now())
    db.session.refresh(registration)
    with pytest.raises(RegistrationInactive):
        details.update_details(registration, {"first_name": "Anna"}, "participant")
    with pytest.raises(RegistrationInactive):
        details.change_email(registration, "anna@example.org", "office")


def test_changing_the_address_checks_it_and_keeps_one_per_event(make_event, make_registration):
    event = make_event()
    registration = make_registration(event, email="old@example.org")
    make_registration(event, email="taken@example.org")
    make_registration(event, email="free-again@example.org", status=RegistrationStatus.CANCELLED)

    with pytest.raises(DuplicateRegistration):
        details.change_email(registration, " Taken@Example.org ", "office")
    for bad in ("", "no-address", "old@example.org"):
        with pytest.raises(InvalidRegistration) as refused:
            details.change_email(registration, bad, "office")
        assert list(refused.value.fields) == ["email"]
    db.session.rollback()
    assert registration.email == "old@example.org"

    details.change_email(registration, "Free-Again@Example.org", "office@example.org")
    db.session.commit()

    assert registration.email == "Free-Again@example.org"
    assert registration.email_normalized == "free-again@example.org"
    assert registration.changes[-1].kind is ChangeKind.EMAIL_CHANGED
    assert registration.changes[-1].actor == "office@example.org"
    [entry] = audit_entries("registration.email_changed")
    assert (entry.before, entry.after) == (
        {"email": "old@example.org"},
        {"email": "Free-Again@example.org"},
    )
