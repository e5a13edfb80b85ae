"""The organizer's own questions: rules, back office, registration form, manage page,
registration detail, exports, personal data export and purge."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from support import csrf_token_in, login_with_csrf

from eventapp.extensions import db
from eventapp.models import (
    AuditEntry,
    ChangeKind,
    Question,
    QuestionAnswer,
    QuestionKind,
    Registration,
    RegistrationChange,
)
from eventapp.questions import services
from eventapp.questions.services import QuestionInput
from eventapp.registration.errors import InvalidRegistration

FORM = {
    "first_name": "Aylin",
    "last_name": "Schäfer",
    "email": "aylin@example.org",
    "consent_privacy": "y",
}


@pytest.fixture
def ask(app):
    """Add a question to an event through the service (as the back office does)."""

    def factory(event, kind=QuestionKind.SHORT_TEXT, label="Frage", **fields):
        if kind in services.CHOICE_KINDS and "options_de" not in fields:
            fields["options_de"] = ["Bahn", "Auto", "Fahrrad"]
            fields.setdefault("options_en", ["Train", "Car", "Bicycle"])
        question = services.create_question(
            None, event, QuestionInput(kind=kind, label=label, **fields)
        )
        db.session.commit()
        return question

    return factory


@pytest.fixture
def all_kinds(make_event, ask):
    """An event asking one question of each kind; the first two required."""
    event = make_event()
    questions = {
        "short": ask(
            event, QuestionKind.SHORT_TEXT, "Dienststelle", label_en="Office", required=True
        ),
        "one": ask(event, QuestionKind.ONE_CHOICE, "Anreise", label_en="Travel", required=True),
        "long": ask(event, QuestionKind.LONG_TEXT, "Ihre Fragen an das Podium"),
        "many": ask(event, QuestionKind.MANY_CHOICES, "Interessen", options_de=["Wohnen", "Klima"]),
        "yes_no": ask(event, QuestionKind.YES_NO, "Übernachtung nötig?"),
    }
    return event, questions


def keys(question) -> list[str]:
    return [o["key"] for o in question.options]


def answers(registration) -> dict[int, object]:
    db.session.expire_all()
    return services.stored_answers(registration)


def registration_by_email(email: str) -> Registration | None:
    return db.session.execute(
        select(Registration).where(Registration.email == email)
    ).scalar_one_or_none()


# --- rules of the service ----------------------------------------------------------------


def test_choice_questions_need_two_distinct_options_and_limits_hold(app, make_event, english):
    event = make_event()
    cases = {
        "options_de": QuestionInput(QuestionKind.ONE_CHOICE, "Anreise", options_de=["Bahn"]),
    }
    for expected, values in cases.items():
        with pytest.raises(services.InvalidQuestion) as refused:
            services.create_question(None, event, values)
        assert expected in refused.value.fields
    same = QuestionInput(QuestionKind.MANY_CHOICES, "Anreise", options_de=["Bahn", "bahn"])
    assert "options_de" in services.question_problems(same)
    uneven = QuestionInput(
        QuestionKind.ONE_CHOICE, "Anreise", options_de=["Bahn", "Auto"], options_en=["Train"]
    )
    assert "options_en" in services.question_problems(uneven)
    too_long = QuestionInput(QuestionKind.SHORT_TEXT, "x" * (services.MAX_LABEL + 1))
    assert "label" in services.question_problems(too_long)
    assert "label" in services.question_problems(QuestionInput(QuestionKind.YES_NO, "  "))
    assert "label" in services.question_problems(QuestionInput(QuestionKind.YES_NO, "A\nB"))
    text_with_options = QuestionInput(QuestionKind.SHORT_TEXT, "Name", options_de=["a", "b"])
    assert "options_de" in services.question_problems(text_with_options)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Question)) == 0


def test_answers_are_checked_by_kind_and_required(all_kinds, english):
    event, q = all_kinds
    one, many = keys(q["one"]), keys(q["many"])
    good = {
        str(q["short"].id): " Amt 5 ",
        str(q["one"].id): one[1],
        str(q["many"].id): [many[1], many[0]],
        str(q["yes_no"].id): False,
    }
    checked = services.check_answers(event, good)
    assert checked[q["short"].id] == "Amt 5"
    assert checked[q["many"].id] == [many[0], many[1]]  # in the order of the options
    assert checked[q["yes_no"].id] is False
    assert checked[q["long"].id] is None
    bad = {
        str(q["short"].id): "",  # required
        str(q["one"].id): "no-such-key",
        str(q["many"].id): [many[0], many[0]],
        str(q["yes_no"].id): "yes",
        "999999": "?",
    }
    with pytest.raises(InvalidRegistration) as refused:
        services.check_answers(event, bad)
    assert set(refused.value.fields) == {
        f"answers.{q['short'].id}",
        f"answers.{q['one'].id}",
        f"answers.{q['many'].id}",
        f"answers.{q['yes_no'].id}",
        "answers.999999",
    }
    with pytest.raises(InvalidRegistration):
        services.check_answers(
            event,
            {**good, str(q["long"].id): "x" * (services.MAX_ANSWER[QuestionKind.LONG_TEXT] + 1)},
        )


def test_rewording_an_option_keeps_its_key_and_chosen_options_cannot_go(
    all_kinds, make_registration, english
):
    event, q = all_kinds
    question = q["one"]
    before = keys(question)
    person = make_registration(event)
    services.store_answers(
        person, {str(q["short"].id): "Amt", str(question.id): before[0]}, "participant"
    )
    db.session.commit()
    services.update_question(
        None,
        question,
        QuestionInput(
            QuestionKind.ONE_CHOICE,
            "Anreise",
            options_de=["Mit der Bahn", "Auto", "Fahrrad"],
            required=True,
        ),
    )
    db.session.commit()
    assert keys(question) == before
    assert services.answers_of(person)[1].text == "Mit der Bahn"
    with pytest.raises(services.QuestionInUse):
        services.update_question(
            None,
            question,
            QuestionInput(QuestionKind.ONE_CHOICE, "Anreise", options_de=["Auto", "Rad"]),
        )
    with pytest.raises(services.QuestionInUse):
        services.update_question(None, question, QuestionInput(QuestionKind.SHORT_TEXT, "Anreise"))
    db.session.rollback()
    with pytest.raises(services.QuestionInUse):
        services.delete_question(None, question)


# --- back office -------------------------------------------------------------------------


def test_dashboard_links_to_the_questions(admin_client, make_event):
    event = make_event()
    html = admin_client.get(f"/admin/events/{event.id}/").get_data(as_text=True)
    assert f'href="/admin/events/{event.id}/questions"' in html


def test_organizer_creates_edits_orders_and_takes_off_questions(admin_client, make_event):
    event = make_event()
    page = admin_client.get(f"/admin/events/{event.id}/questions")
    assert page.status_code == 200 and 'id="no-questions"' in page.get_data(as_text=True)
    created = admin_client.post(
        f"/admin/events/{event.id}/questions/new",
        data={
            "label": "Anreise",
            "label_en": "Travel",
            "kind": "one_choice",
            "options_de": "Bahn\nAuto\n",
            "options_en": "Train\nCar",
            "required": "y",
        },
    )
    assert created.status_code == 302
    admin_client.post(
        f"/admin/events/{event.id}/questions/new",
        data={"label": "Dienststelle", "kind": "short_text"},
    )
    first, second = services.event_questions(event)
    assert (first.label, first.kind, first.required) == ("Anreise", QuestionKind.ONE_CHOICE, True)
    assert [o["en"] for o in first.options] == ["Train", "Car"]

    assert (
        admin_client.post(
            f"/admin/questions/{second.id}/move", data={"direction": "up"}
        ).status_code
        == 302
    )
    assert [q.label for q in services.event_questions(event)] == ["Dienststelle", "Anreise"]

    edited = admin_client.post(
        f"/admin/questions/{second.id}/edit",
        data={"label": "Ihre Dienststelle", "kind": "short_text", "help_text": "z. B. Amt 5"},
    )
    assert edited.status_code == 302
    db.session.expire_all()
    assert second.label == "Ihre Dienststelle" and second.help_text == "z. B. Amt 5"

    admin_client.post(f"/admin/questions/{first.id}/deactivate")
    db.session.expire_all()
    assert not first.active
    assert services.form_questions(event) == [second]
    admin_client.post(f"/admin/questions/{first.id}/activate")
    db.session.expire_all()
    assert first.active

    assert admin_client.get(f"/admin/questions/{second.id}/delete").status_code == 200
    admin_client.post(f"/admin/questions/{second.id}/delete")
    assert services.event_questions(event) == [first]

    actions = (
        db.session.execute(
            select(AuditEntry.action)
            .where(AuditEntry.object_type == "question")
            .order_by(AuditEntry.id)
        )
        .scalars()
        .all()
    )
    assert actions == [
        "question.create",
        "question.create",
        "question.move",
        "question.update",
        "question.deactivate",
        "question.activate",
        "question.delete",
    ]
    log = admin_client.get("/admin/audit?lang=en").get_data(as_text=True)
    assert "Question taken off the form" in log and "one_choice" not in log


def test_invalid_question_is_refused_with_a_message_and_nothing_stored(admin_client, make_event):
    event = make_event()
    response = admin_client.post(
        f"/admin/events/{event.id}/questions/new?lang=en",
        data={"label": "Anreise", "kind": "one_choice", "options_de": "Bahn"},
    )
    assert response.status_code == 422
    assert "at least two options" in response.get_data(as_text=True)
    bad_kind = admin_client.post(
        f"/admin/events/{event.id}/questions/new", data={"label": "Anreise", "kind": "essay"}
    )
    assert bad_kind.status_code == 422
    assert services.event_questions(event) == []


def test_answered_question_offers_taking_it_off_instead_of_deleting(
    admin_client, all_kinds, make_registration
):
    event, q = all_kinds
    person = make_registration(event)
    services.store_answers(
        person, {str(q["short"].id): "Amt", str(q["one"].id): keys(q["one"])[0]}, "participant"
    )
    db.session.commit()
    listing = admin_client.get(f"/admin/events/{event.id}/questions").get_data(as_text=True)
    assert f"/admin/questions/{q['short'].id}/delete" not in listing
    assert f"/admin/questions/{q['long'].id}/delete" in listing
    page = admin_client.get(f"/admin/questions/{q['short'].id}/delete")
    assert 'id="delete-blocked"' in page.get_data(as_text=True)
    admin_client.post(f"/admin/questions/{q['short'].id}/delete")
    assert db.session.get(Question, q["short"].id) is not None
    assert answers(person)[q["short"].id] == "Amt"


class TestCsrf:
    @pytest.fixture
    def config_overrides(self):
        return {"WTF_CSRF_ENABLED": True}

    def test_question_forms_need_the_token(self, app, make_event, admin, ask):
        event = make_event()
        question = ask(event)
        client = app.test_client()
        login_with_csrf(client, admin)
        for path, data in (
            (f"/admin/events/{event.id}/questions/new", {"label": "X", "kind": "short_text"}),
            (f"/admin/questions/{question.id}/edit", {"label": "X", "kind": "short_text"}),
            (f"/admin/questions/{question.id}/deactivate", {}),
            (f"/admin/questions/{question.id}/delete", {}),
        ):
            client.post(path, data=data)
        db.session.expire_all()
        assert [(q.label, q.active) for q in services.event_questions(event)] == [("Frage", True)]
        page = client.get(f"/admin/events/{event.id}/questions").get_data(as_text=True)
        client.post(
            f"/admin/questions/{question.id}/deactivate", data={"csrf_token": csrf_token_in(page)}
        )
        db.session.expire_all()
        assert not question.active


# --- registration form -------------------------------------------------------------------


def test_form_shows_active_questions_in_order_and_in_english(client, all_kinds, ask):
    event, q = all_kinds
    off = ask(event, QuestionKind.SHORT_TEXT, "Alte Frage")
    services.set_active(None, off, False)
    db.session.commit()
    html = client.get(f"/events/{event.slug}/register?lang=en").get_data(as_text=True)
    positions = [
        html.index(f'data-question="{q[name].id}"')
        for name in ("short", "one", "long", "many", "yes_no")
    ]
    assert positions == sorted(positions)
    assert f'name="question_{off.id}"' not in html
    assert "Office" in html and "Travel" in html and "Train" in html
    assert "Ihre Fragen an das Podium" in html  # no English text: the German one
    german = client.get(f"/events/{event.slug}/register?lang=de").get_data(as_text=True)
    assert "Dienststelle" in german and "Bahn" in german


def test_required_questions_are_enforced_and_nothing_is_stored(client, all_kinds):
    event, q = all_kinds
    response = client.post(f"/events/{event.slug}/register?lang=en", data=FORM)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert html.count("Please answer this question.") == 2
    assert registration_by_email("aylin@example.org") is None
    wrong_choice = client.post(
        f"/events/{event.slug}/register",
        data={**FORM, f"question_{q['short'].id}": "Amt", f"question_{q['one'].id}": "forged"},
    )
    assert wrong_choice.status_code == 422
    assert registration_by_email("aylin@example.org") is None
    forged_yes_no = client.post(
        f"/events/{event.slug}/register",
        data={
            **FORM,
            f"question_{q['short'].id}": "Amt",
            f"question_{q['one'].id}": keys(q["one"])[0],
            f"question_{q['yes_no'].id}": "maybe",
        },
    )
    assert forged_yes_no.status_code == 422
    assert registration_by_email("aylin@example.org") is None
    assert db.session.scalar(select(func.count()).select_from(QuestionAnswer)) == 0


def test_answers_of_each_kind_are_stored_with_the_registration(client, all_kinds):
    event, q = all_kinds
    many = keys(q["many"])
    response = client.post(
        f"/events/{event.slug}/register",
        data={
            **FORM,
            f"question_{q['short'].id}": "Amt für Soziales",
            f"question_{q['one'].id}": keys(q["one"])[2],
            f"question_{q['long'].id}": "Erste Zeile\nZweite Zeile",
            f"question_{q['many'].id}": many,
            f"question_{q['yes_no'].id}": "no",
        },
    )
    assert response.status_code == 303
    person = registration_by_email("aylin@example.org")
    assert answers(person) == {
        q["short"].id: "Amt für Soziales",
        q["one"].id: keys(q["one"])[2],
        q["long"].id: "Erste Zeile\nZweite Zeile",
        q["many"].id: many,
        q["yes_no"].id: False,
    }


def test_optional_questions_may_stay_empty(client, all_kinds):
    event, q = all_kinds
    response = client.post(
        f"/events/{event.slug}/register",
        data={
            **FORM,
            f"question_{q['short'].id}": "Amt",
            f"question_{q['one'].id}": keys(q["one"])[0],
        },
    )
    assert response.status_code == 303
    person = registration_by_email("aylin@example.org")
    assert set(answers(person)) == {q["short"].id, q["one"].id}


def test_event_without_questions_keeps_its_form(client, make_event):
    event = make_event()
    html = client.get(f"/events/{event.slug}/register").get_data(as_text=True)
    assert 'id="questions"' not in html
    assert client.post(f"/events/{event.slug}/register", data=FORM).status_code == 303


# --- manage page -------------------------------------------------------------------------


def test_participant_changes_answers_on_the_manage_page(client, all_kinds, make_registration):
    event, q = all_kinds
    person = make_registration(event)
    services.store_answers(
        person, {str(q["short"].id): "Amt", str(q["one"].id): keys(q["one"])[0]}, "participant"
    )
    db.session.commit()
    manage = f"/registrations/{person.manage_token}"
    html = client.get(manage).get_data(as_text=True)
    assert 'id="answers"' in html and 'value="Amt"' in html
    response = client.post(
        f"{manage}/answers",
        data={
            f"question_{q['short'].id}": "Amt 7",
            f"question_{q['one'].id}": keys(q["one"])[1],
            f"question_{q['yes_no'].id}": "yes",
        },
    )
    assert response.status_code == 303
    assert answers(person) == {
        q["short"].id: "Amt 7",
        q["one"].id: keys(q["one"])[1],
        q["yes_no"].id: True,
    }
    change = db.session.execute(
        select(RegistrationChange).where(RegistrationChange.kind == ChangeKind.ANSWERS_CHANGED)
    ).scalar_one()
    assert sorted(change.detail["question_ids"]) == sorted(
        [q["short"].id, q["one"].id, q["yes_no"].id]
    )
    assert change.actor == "participant"
    from eventapp.admin.describe import change_lines

    # The history names the questions, not their ids.
    assert any("„Dienststelle“" in line for line in change_lines(change))


def test_bad_answers_on_the_manage_page_change_nothing(client, all_kinds, make_registration):
    event, q = all_kinds
    person = make_registration(event)
    services.store_answers(
        person, {str(q["short"].id): "Amt", str(q["one"].id): keys(q["one"])[0]}, "participant"
    )
    db.session.commit()
    response = client.post(
        f"/registrations/{person.manage_token}/answers?lang=en",
        data={f"question_{q['short'].id}": "", f"question_{q['one'].id}": keys(q["one"])[1]},
    )
    assert response.status_code == 422
    assert "Please answer this question." in response.get_data(as_text=True)
    assert answers(person)[q["one"].id] == keys(q["one"])[0]
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(RegistrationChange)
            .where(RegistrationChange.kind == ChangeKind.ANSWERS_CHANGED)
        )
        == 0
    )


def test_cancelled_registration_shows_answers_but_cannot_change_them(
    client, all_kinds, make_registration
):
    from eventapp.models import RegistrationStatus

    event, q = all_kinds
    person = make_registration(
        event, status=RegistrationStatus.CANCELLED, cancelled_at=datetime.now(UTC)
    )
    db.session.add(QuestionAnswer(registration=person, question_id=q["short"].id, value="Amt"))
    db.session.commit()
    html = client.get(f"/registrations/{person.manage_token}").get_data(as_text=True)
    assert 'id="given-answers"' in html and "Amt" in html
    response = client.post(
        f"/registrations/{person.manage_token}/answers",
        data={f"question_{q['short'].id}": "Neu", f"question_{q['one'].id}": keys(q["one"])[0]},
    )
    assert response.status_code == 409
    assert answers(person)[q["short"].id] == "Amt"


# --- back office detail, exports, personal data, purge -----------------------------------


@pytest.fixture
def answered(all_kinds, make_registration):
    event, q = all_kinds
    person = make_registration(event, last_name="Größe")
    services.store_answers(
        person,
        {
            str(q["short"].id): "=Amt für Soziales",
            str(q["one"].id): keys(q["one"])[1],
            str(q["many"].id): keys(q["many"]),
            str(q["yes_no"].id): True,
        },
        "participant",
    )
    db.session.commit()
    return event, q, person


def test_registration_detail_shows_the_answers(admin_client, answered):
    _event, q, person = answered
    html = admin_client.get(f"/admin/registrations/{person.id}?lang=en").get_data(as_text=True)
    assert 'id="answers"' in html
    assert f'<dd data-question="{q["one"].id}">Car</dd>' in html
    assert f'<dd data-question="{q["many"].id}">Wohnen; Klima</dd>' in html
    assert f'<dd data-question="{q["yes_no"].id}">yes</dd>' in html


def test_exports_have_one_column_per_question(admin_client, answered, make_registration):
    event, _q, _person = answered
    make_registration(event, last_name="Ohne", email="ohne@example.org")
    response = admin_client.get(f"/admin/events/{event.id}/registrations.csv?lang=de")
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    header = rows[0]
    for label in (
        "Dienststelle",
        "Anreise",
        "Ihre Fragen an das Podium",
        "Interessen",
        "Übernachtung nötig?",
    ):
        assert label in header
    row = next(r for r in rows[1:] if "Größe" in r)
    assert row[header.index("Anreise")] == "Auto"
    assert row[header.index("Interessen")] == "Wohnen; Klima"
    assert row[header.index("Dienststelle")] == "'=Amt für Soziales"  # defused
    other = next(r for r in rows[1:] if "Ohne" in r)
    assert other[header.index("Anreise")] == ""
    from openpyxl import load_workbook

    xlsx = admin_client.get(f"/admin/events/{event.id}/registrations.xlsx?lang=de")
    sheet = load_workbook(io.BytesIO(xlsx.get_data())).active
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert "Interessen" in values[0]


def test_personal_data_export_includes_answers(client, answered):
    _event, q, person = answered
    response = client.get(f"/registrations/{person.manage_token}/data.json")
    data = json.loads(response.get_data(as_text=True))
    by_id = {a["question_id"]: a for a in data["answers"]}
    assert by_id[q["one"].id]["question"] == "Anreise"
    assert by_id[q["one"].id]["answer"] == "Auto"
    assert by_id[q["yes_no"].id]["value"] is True


def test_purge_deletes_the_answers_of_anonymized_registrations(
    app, make_event, ask, make_registration
):
    from eventapp.registration.privacy import purge_event

    past = datetime(2024, 5, 16, 7, 0, tzinfo=UTC)
    event = make_event(
        slug="kongress-2024",
        starts_at=past,
        ends_at=past + timedelta(hours=8),
        registration_opens_at=past - timedelta(days=60),
        registration_closes_at=past,
    )
    question = ask(event, QuestionKind.LONG_TEXT, "Ihre Fragen")
    person = make_registration(event)
    db.session.add(
        QuestionAnswer(registration=person, question_id=question.id, value="Persönliches")
    )
    other_event = make_event()
    other_question = ask(other_event, QuestionKind.SHORT_TEXT, "Amt")
    other = make_registration(other_event, email="other@example.org")
    db.session.add(QuestionAnswer(registration=other, question_id=other_question.id, value="Amt 1"))
    db.session.commit()
    assert purge_event(event, 30) == 1
    db.session.commit()
    assert answers(person) == {}
    assert answers(other) == {other_question.id: "Amt 1"}
    assert db.session.get(Question, question.id) is not None  # the question itself stays


# --- a group's registrant answers too --------------------------------------------------

GROUP_FORM = {
    "first_name": "Lea",
    "last_name": "Kolb",
    "email": "lea@example.org",
    "consent_privacy": "y",
    "members-0-first_name": "Ben",
    "members-0-last_name": "Ahrens",
}
GROUP_BODY = {
    "registrant": {
        "first_name": "Lea",
        "last_name": "Kolb",
        "email": "lea@example.org",
        "consent_privacy": True,
    },
    "members": [{"first_name": "Ben", "last_name": "Ahrens"}],
}


def test_the_group_forms_registrant_answers_the_required_questions(client, make_event, ask):
    event = make_event()
    question = ask(event, label="Anreise mit?", label_en="Arriving by?", required=True)
    url = f"/events/{event.slug}/register/group?lang=en"
    assert "Arriving by?" in client.get(url).get_data(as_text=True)

    refused = client.post(url, data=GROUP_FORM)
    assert refused.status_code == 422
    assert "Please answer this question." in refused.get_data(as_text=True)
    assert registration_by_email("lea@example.org") is None

    done = client.post(url, data={**GROUP_FORM, f"question_{question.id}": "Bahn"})
    assert done.status_code == 303
    assert answers(registration_by_email("lea@example.org")) == {question.id: "Bahn"}


def test_the_group_apis_registrant_answers_the_required_questions(client, make_event, ask):
    event = make_event()
    question = ask(event, required=True)
    url = f"/api/v1/events/{event.slug}/group-registrations"

    refused = client.post(url, json=GROUP_BODY)
    assert refused.status_code == 422
    assert f"registrant.answers.{question.id}" in refused.get_json()["error"]["fields"]
    assert db.session.scalar(select(func.count()).select_from(Registration)) == 0

    body = {
        **GROUP_BODY,
        "registrant": {**GROUP_BODY["registrant"], "answers": {str(question.id): "Bahn"}},
    }
    assert client.post(url, json=body).status_code == 201
    assert answers(registration_by_email("lea@example.org")) == {question.id: "Bahn"}
