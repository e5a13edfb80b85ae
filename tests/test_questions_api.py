"""The organizer's questions in the API: listed with the event, answered in a registration,
refused with 422 and nothing stored, and described in the OpenAPI document."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from support import api_error

from eventapp.extensions import db
from eventapp.models import QuestionAnswer, QuestionKind, Registration
from eventapp.questions import services
from eventapp.questions.services import QuestionInput

BODY = {
    "first_name": "Mehmet",
    "last_name": "Yılmaz",
    "email": "mehmet@example.org",
    "consent_privacy": True,
}


@pytest.fixture
def asking(make_event):
    event = make_event()

    def add(kind, label, **fields):
        return services.create_question(
            None, event, QuestionInput(kind=kind, label=label, **fields)
        )

    questions = {
        "short": add(QuestionKind.SHORT_TEXT, "Dienststelle", label_en="Office", required=True),
        "one": add(
            QuestionKind.ONE_CHOICE,
            "Anreise",
            options_de=["Bahn", "Auto"],
            options_en=["Train", "Car"],
        ),
        "many": add(QuestionKind.MANY_CHOICES, "Interessen", options_de=["Wohnen", "Klima"]),
        "yes_no": add(QuestionKind.YES_NO, "Übernachtung?", help_text="Wir buchen für Sie."),
    }
    off = add(QuestionKind.LONG_TEXT, "Alte Frage")
    services.set_active(None, off, False)
    db.session.commit()
    return event, questions, off


def url(event) -> str:
    return f"/api/v1/events/{event.slug}/registrations"


def counts() -> tuple[int, int]:
    return (
        db.session.scalar(select(func.count()).select_from(Registration)),
        db.session.scalar(select(func.count()).select_from(QuestionAnswer)),
    )


def test_event_lists_its_active_questions_in_order(client, asking):
    event, q, off = asking
    body = client.get(f"/api/v1/events/{event.slug}").get_json()
    listed = body["questions"]
    assert [item["id"] for item in listed] == [
        q[name].id for name in ("short", "one", "many", "yes_no")
    ]
    assert off.id not in [item["id"] for item in listed]
    short, one, _many, yes_no = listed
    assert short == {
        "id": q["short"].id,
        "kind": "short_text",
        "label": "Dienststelle",
        "label_en": "Office",
        "help_text": "",
        "help_text_en": "",
        "required": True,
        "max_length": services.MAX_ANSWER[QuestionKind.SHORT_TEXT],
        "options": [],
    }
    assert [(o["label"], o["label_en"]) for o in one["options"]] == [
        ("Bahn", "Train"),
        ("Auto", "Car"),
    ]
    assert yes_no["help_text"] == "Wir buchen für Sie." and yes_no["max_length"] is None


def test_registration_stores_the_answers(client, asking):
    event, q, _off = asking
    one = [o["key"] for o in q["one"].options]
    many = [o["key"] for o in q["many"].options]
    response = client.post(
        url(event),
        json={
            **BODY,
            "answers": {
                str(q["short"].id): "Amt 5",
                str(q["one"].id): one[1],
                str(q["many"].id): many,
                str(q["yes_no"].id): False,
            },
        },
    )
    assert response.status_code == 201, response.get_json()
    registration = db.session.get(Registration, response.get_json()["id"])
    assert services.stored_answers(registration) == {
        q["short"].id: "Amt 5",
        q["one"].id: one[1],
        q["many"].id: many,
        q["yes_no"].id: False,
    }


@pytest.mark.parametrize(
    "answers, field",
    [
        ({}, "short"),  # required, missing
        ({"short": "  "}, "short"),
        ({"short": "Amt", "one": "no-such-key"}, "one"),
        ({"short": "Amt", "many": ["x"]}, "many"),
        ({"short": "Amt\u202e"}, "short"),  # a text direction override
        ({"short": "x" * 301}, "short"),
        ({"short": "Amt", "yes_no": "yes"}, "yes_no"),
        ({"short": "Amt", "one": ["a"]}, "one"),
    ],
)
def test_bad_answers_are_refused_with_422_and_nothing_stored(client, asking, answers, field):
    event, q, _off = asking
    body = {**BODY, "answers": {str(q[name].id): value for name, value in answers.items()}}
    response = client.post(url(event), json=body)
    assert response.status_code == 422
    error = api_error(response)
    assert f"answers.{q[field].id}" in error["fields"]
    assert counts() == (0, 0)


def test_unknown_and_inactive_question_ids_are_refused(client, asking):
    event, q, off = asking
    for extra in ({"999999": "?"}, {str(off.id): "Text"}, {"abc": "?"}):
        body = {**BODY, "answers": {str(q["short"].id): "Amt", **extra}}
        response = client.post(url(event), json=body)
        assert response.status_code == 422
        assert f"answers.{next(iter(extra))}" in api_error(response)["fields"]
    assert counts() == (0, 0)


def test_answers_of_the_wrong_shape_are_refused_by_the_schema(client, asking):
    event, q, _off = asking
    for answers in ([1, 2], {str(q["short"].id): 5}, {str(q["short"].id): None}, "x"):
        response = client.post(url(event), json={**BODY, "answers": answers})
        assert response.status_code == 422
        assert "answers" in api_error(response)["fields"]
    assert counts() == (0, 0)


def test_openapi_documents_questions_and_answers(client):
    document = client.get("/api/v1/openapi.json").get_json()
    schemas = document["components"]["schemas"]
    assert "questions" in schemas["EventDetail"]["properties"]
    question = schemas["Question"]
    assert set(question["required"]) >= {"id", "kind", "label", "required", "options"}
    kinds = (
        schemas["QuestionKind"]["enum"]
        if "QuestionKind" in schemas
        else question["properties"]["kind"]["enum"]
    )
    assert set(kinds) == {k.value for k in QuestionKind}
    answers = schemas["RegistrationRequest"]["properties"]["answers"]
    assert "answers.<id>" in answers["description"]
    value_types = str(answers)
    assert "boolean" in value_types and "array" in value_types and "string" in value_types
