"""Hot reads (``eventapp.reads``): rows from the driver, objects as the ORM would load them.

On both databases: the values come converted by the columns' types, the objects belong
to the session with nothing pending, a column not read loads on first use by itself,
an object the session holds already is the one returned, and a read sent with another
(``Along``) finds its row or None beside it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, inspect, select

from eventapp import reads
from eventapp.extensions import db
from eventapp.models import Event, EventStatus, Registration, RegistrationStatus, User

EVENT = reads.columns(Event, "slug", "status", "starts_at", "updated_at")
TICKET = reads.columns(Registration, "event_id", "status", "first_name")


def _event_statement():
    return select(*EVENT.selected).where(Event.slug == bindparam("slug"))


def _ticket_statement():
    return (
        select(*EVENT.selected, *TICKET.selected)
        .outerjoin(Registration, Registration.ticket_code == bindparam("code"))
        .where(Event.slug == bindparam("slug"))
    )


def test_the_primary_key_comes_first_and_once():
    assert reads.columns(Event, "id", "slug").keys == ("id", "slug")
    assert EVENT.keys[0] == "id"
    assert len(EVENT) == 5


def test_rows_come_converted_by_the_columns_types(make_event):
    event = make_event(slug="kongress")
    expected = (event.id, "kongress", EventStatus.PUBLISHED, event.starts_at, event.updated_at)
    db.session.remove()
    ((row),) = reads.rows(_event_statement(), {"slug": "kongress"})
    assert row == expected
    assert type(row[2]) is EventStatus
    assert isinstance(row[3], datetime) and row[3].utcoffset() is not None


def test_objects_belong_to_the_session_as_if_loaded(make_event):
    event_id = make_event(slug="kongress", title="Kongress Bürstadt").id
    db.session.remove()
    ((event,),) = reads.objects(_event_statement(), {"slug": "kongress"}, EVENT)
    state = inspect(event)
    assert state.persistent and not db.session.dirty and not db.session.new
    assert event is db.session.get(Event, event_id)
    assert not state.expired_attributes
    # A column not read is loaded on first use, as with ``load_only``: by itself.
    assert "title" not in state.dict
    assert event.title == "Kongress Bürstadt"
    assert "description" not in state.dict
    # Nothing to write: the object was not changed.
    assert not db.session.is_modified(event)


def test_an_object_the_session_holds_is_returned_with_what_it_lacked(make_event):
    make_event(slug="kongress")
    db.session.remove()
    held = db.session.execute(
        select(Event).where(Event.slug == "kongress").options(_only_title())
    ).scalar_one()
    assert "slug" not in inspect(held).dict
    ((event,),) = reads.objects(_event_statement(), {"slug": "kongress"}, EVENT)
    assert event is held
    assert inspect(event).dict["slug"] == "kongress"


def _only_title():
    from sqlalchemy.orm import load_only

    return load_only(Event.title)


def test_an_outer_join_without_a_row_gives_none(make_event, make_registration):
    event = make_event(slug="kongress")
    code = make_registration(event, first_name="Anna").ticket_code
    db.session.remove()
    ((found_event, ticket),) = reads.objects(
        _ticket_statement(), {"slug": "kongress", "code": code}, EVENT, TICKET
    )
    assert ticket.first_name == "Anna" and ticket.status == RegistrationStatus.CONFIRMED
    assert ticket.event is found_event
    db.session.remove()
    ((found_event, ticket),) = reads.objects(
        _ticket_statement(), {"slug": "kongress", "code": "unbekannt"}, EVENT, TICKET
    )
    assert found_event.slug == "kongress" and ticket is None


def test_a_read_along_another_finds_its_row_or_none(make_event, make_user):
    make_event(slug="kongress")
    user_id = make_user(name="Pforte").id
    db.session.remove()
    users = reads.columns(User, "name")
    statement = select(*users.selected).where(User.id == bindparam("user_id"))
    along = reads.Along(_event_statement(), (EVENT,), {"slug": "kongress"})
    joined = reads.joined(statement, along.statement)
    assert reads.joined(statement, along.statement) is joined  # built once
    ((found_user, event),) = reads.objects(
        joined, {"user_id": user_id, **along.parameters}, users, *along.parts
    )
    assert found_user.name == "Pforte" and event.slug == "kongress"
    db.session.remove()
    ((found_user, event),) = reads.objects(
        joined, {"user_id": user_id, "slug": "nirgends"}, users, *along.parts
    )
    assert found_user.name == "Pforte" and event is None
    # No row of the first read: nothing, whatever the other would have found.
    assert reads.objects(joined, {"user_id": user_id + 1, **along.parameters}, users, EVENT) == []
