"""Personal data: the JSON export, and `flask registrations purge` after an event."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from eventapp.extensions import db
from eventapp.models import (
    ChoiceStatus,
    OutboxMessage,
    Registration,
    RegistrationChange,
    RegistrationStatus,
    Sector,
    SessionChoice,
)

PAST_DAY = datetime(2024, 5, 16, 7, 0, tzinfo=UTC)


def past_event(make_event, **fields):
    return make_event(
        slug="kongress-2024",
        starts_at=PAST_DAY,
        ends_at=PAST_DAY + timedelta(hours=8),
        registration_opens_at=PAST_DAY - timedelta(days=60),
        registration_closes_at=PAST_DAY,
        **fields,
    )


def test_purge_anonymizes_and_keeps_the_counts(runner, make_event, make_session, make_registration):
    event = past_event(make_event)
    workshop = make_session(event)
    kept = make_registration(
        event,
        sector=Sector.HOUSING,
        accessibility_needs="Rollstuhl",
        checked_in_at=PAST_DAY + timedelta(hours=1),
    )
    kept.choices.append(SessionChoice(session=workshop, status=ChoiceStatus.CONFIRMED))
    make_registration(event, status=RegistrationStatus.WAITLISTED)
    make_registration(event, status=RegistrationStatus.CANCELLED)
    db.session.add(
        OutboxMessage(
            kind="registered",
            recipient=kept.email,
            registration_id=kept.id,
            payload={"name": kept.name},
        )
    )
    other = make_registration(make_event(), email="other@example.org")
    db.session.commit()
    old_token = kept.manage_token

    result = runner.invoke(
        args=["registrations", "purge", "--event", event.slug, "--after-days", "30"]
    )
    assert result.exit_code == 0, result.output
    assert "3" in result.output

    db.session.expire_all()
    people = (
        db.session.execute(
            select(Registration).where(Registration.event_id == event.id).order_by(Registration.id)
        )
        .scalars()
        .all()
    )
    assert [p.status for p in people] == ["confirmed", "waitlisted", "cancelled"]
    for person in people:
        assert person.first_name == person.last_name == person.organisation == ""
        assert "@" not in person.email
        assert person.accessibility_needs == ""
        assert person.anonymized_at is not None
        assert person.changes[-1].kind == "anonymized"
    assert people[0].sector == Sector.HOUSING
    assert people[0].checked_in_at is not None
    assert [c.session_id for c in people[0].choices] == [workshop.id]
    assert people[0].manage_token != old_token
    message = db.session.execute(select(OutboxMessage)).scalar_one()
    assert message.recipient == "" and message.payload == {}
    assert db.session.get(Registration, other.id).email == "other@example.org"

    again = runner.invoke(
        args=["registrations", "purge", "--event", event.slug, "--after-days", "30"]
    )
    assert again.exit_code == 0
    assert "0" in again.output
    kinds = db.session.execute(
        select(func.count(RegistrationChange.id)).where(RegistrationChange.kind == "anonymized")
    ).scalar_one()
    assert kinds == 3


def test_purge_is_refused_before_the_days_have_passed(runner, make_event, make_registration):
    event = make_event()  # in the future
    person = make_registration(event)
    result = runner.invoke(
        args=["registrations", "purge", "--event", event.slug, "--after-days", "0"]
    )
    assert result.exit_code != 0
    assert "Error" in result.output
    db.session.expire_all()
    assert db.session.get(Registration, person.id).first_name == "Jörg"


def test_purge_needs_a_known_event_and_sane_days(runner, make_event):
    past_event(make_event)
    unknown = runner.invoke(args=["registrations", "purge", "--event", "nope", "--after-days", "1"])
    assert unknown.exit_code != 0
    assert "nope" in unknown.output
    negative = runner.invoke(
        args=["registrations", "purge", "--event", "kongress-2024", "--after-days", "-1"]
    )
    assert negative.exit_code != 0
    missing = runner.invoke(args=["registrations", "purge", "--event", "kongress-2024"])
    assert missing.exit_code != 0


def test_export_holds_the_persons_data_and_history(client, make_event, make_session):
    event = make_event()
    workshop = make_session(event)
    response = client.post(
        f"/api/v1/events/{event.slug}/registrations",
        json={
            "first_name": "Lena",
            "last_name": "Wagner",
            "email": "lena@example.org",
            "consent_privacy": True,
            "session_ids": [workshop.id],
            "accessibility_needs": "Gebärdensprache",
        },
    )
    token = response.get_json()["manage_url"].rsplit("/", 1)[1]
    download = client.get(f"/registrations/{token}/data.json")
    assert download.status_code == 200
    assert download.mimetype == "application/json"
    assert "attachment" in download.headers["Content-Disposition"]
    assert download.headers["Cache-Control"] == "no-store"
    data = download.get_json()
    assert data["registration"]["email"] == "lena@example.org"
    assert data["registration"]["accessibility_needs"] == "Gebärdensprache"
    assert data["registration"]["privacy_notice_version"]
    assert data["registration"]["privacy_consent_at"]
    assert data["workshops"][0]["id"] == workshop.id
    assert [h["kind"] for h in data["history"]] == ["registered"]
    assert client.get("/registrations/wrong-token/data.json").status_code == 404


def test_export_holds_the_group_a_withdrawn_photo_consent_and_asked_for_addresses(
    client, make_event
):
    from eventapp.models import EmailChange
    from eventapp.registration import details, groups
    from eventapp.registration.services import RegistrationInput

    event = make_event()

    def person(first, email=""):
        return RegistrationInput(
            first_name=first, last_name="Kolb", email=email, consent_privacy=True
        )

    lea, ben = groups.register_group(
        event, person("Lea", "lea@example.org"), [person("Ben")], [], "de"
    )
    lea.photo_consent = True
    details.update_details(lea, {"photo_consent": False}, "participant")
    db.session.add(
        EmailChange(
            registration=lea,
            new_email="lea.kolb@example.org",
            token_hash="0" * 64,
            expires_at=lea.created_at + timedelta(days=2),
        )
    )
    db.session.commit()

    mine = client.get(f"/registrations/{lea.manage_token}/data.json").get_json()
    assert mine["registration"]["photo_consent"] is False
    assert mine["registration"]["photo_consent_withdrawn_at"]
    assert mine["group"] == {
        "registered_by": None,
        "registered": [{"name": "Ben Kolb", "email": ""}],
    }
    [asked] = mine["requested_email_changes"]
    assert asked["new_email"] == "lea.kolb@example.org" and asked["confirmed_at"] is None
    theirs = client.get(f"/registrations/{ben.manage_token}/data.json").get_json()
    assert theirs["group"]["registered_by"] == {"name": "Lea Kolb", "email": "lea@example.org"}
    assert theirs["registration"]["source"] == "group"
