"""The organizer's own questions: defining them, and checking, storing and showing answers.

The HTML form, the JSON API and the manage page all check answers here, with the same
rules; the back office defines questions here, each change in the audit log.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import bindparam, delete, func, select

from eventapp.admin.audit import record, snapshot
from eventapp.content import ENGLISH, reading_language
from eventapp.domain import Conflict, DomainError, InvalidInput
from eventapp.extensions import db
from eventapp.models import ChangeKind, Event, Registration, User, utcnow
from eventapp.models.questions import Question, QuestionAnswer, QuestionKind
from eventapp.registration.applicant import text_problem
from eventapp.registration.errors import InvalidRegistration, RegistrationInactive
from eventapp.registration.waitlist import record_change

CHOICE_KINDS = frozenset({QuestionKind.ONE_CHOICE, QuestionKind.MANY_CHOICES})
TEXT_KINDS = frozenset({QuestionKind.SHORT_TEXT, QuestionKind.LONG_TEXT})
# Lengths: the label column holds 300; the rest keeps forms and exports readable.
MAX_LABEL = 300
MAX_HELP_TEXT = 1000
MAX_OPTION = 200
MAX_OPTIONS = 30
MAX_QUESTIONS = 50
MAX_ANSWER = {QuestionKind.SHORT_TEXT: 300, QuestionKind.LONG_TEXT: 4000}


class QuestionError(DomainError):
    """An organizer's change to a question that was refused."""

    code = "refused"


class InvalidQuestion(QuestionError, InvalidInput):
    """A question that breaks a rule (lengths, options); ``fields`` names the inputs."""

    code = "invalid"


class QuestionInUse(QuestionError, Conflict):
    """People answered the question: it cannot be deleted or lose what they chose."""

    code = "answered"


@dataclass
class QuestionInput:
    """A question as the organizer enters it; options as German and English texts in order."""

    kind: QuestionKind
    label: str
    label_en: str = ""
    help_text: str = ""
    help_text_en: str = ""
    required: bool = False
    options_de: list[str] = field(default_factory=list)
    options_en: list[str] = field(default_factory=list)


# --- defining questions ------------------------------------------------------------------


def event_questions(event: Event) -> list[Question]:
    """All questions of an event, active or not, in form order."""
    return list(db.session.execute(_questions_statement(), {"event_id": event.id}).scalars())


@functools.cache
def _questions_statement():
    # Built once: every registration reads the questions, under the event's write lock.
    return (
        select(Question)
        .where(Question.event_id == bindparam("event_id"))
        .order_by(Question.position, Question.id)
    )


def form_questions(event: Event) -> list[Question]:
    """The questions on the event's form now, in order."""
    return [q for q in event_questions(event) if q.active]


def answer_count(question: Question) -> int:
    """How many registrations answered the question."""
    return db.session.scalar(
        select(func.count())
        .select_from(QuestionAnswer)
        .where(QuestionAnswer.question_id == question.id)
    )


def answer_counts(event: Event) -> dict[int, int]:
    """Question id → number of answers, for the list."""
    rows = db.session.execute(
        select(QuestionAnswer.question_id, func.count())
        .join(Question, Question.id == QuestionAnswer.question_id)
        .where(Question.event_id == event.id)
        .group_by(QuestionAnswer.question_id)
    )
    return dict(rows.all())


def _snapshot(question: Question) -> dict[str, Any]:
    """The question for the audit log; options as their German texts, as organizers read them."""
    return snapshot(question, {"options": [o["de"] for o in question.options or []]})


def _clean_lines(lines: Iterable[str]) -> list[str]:
    return [line.strip() for line in lines if line.strip()]


def question_problems(values: QuestionInput) -> dict[str, str]:
    """Field name → what is wrong; empty when the question can be stored."""
    problems: dict[str, str] = {}
    if not values.label.strip():
        problems["label"] = _("Please enter the question.")
    for name, limit, multiline in (
        ("label", MAX_LABEL, False),
        ("label_en", MAX_LABEL, False),
        ("help_text", MAX_HELP_TEXT, True),
        ("help_text_en", MAX_HELP_TEXT, True),
    ):
        value = getattr(values, name) or ""
        if len(value) > limit:
            problems.setdefault(name, _("At most %(num)d characters, please.", num=limit))
        elif problem := text_problem(value, multiline=multiline):
            problems.setdefault(name, problem)
    german, english = _clean_lines(values.options_de), _clean_lines(values.options_en)
    if values.kind in CHOICE_KINDS:
        if len(german) < 2:
            problems["options_de"] = _("A choice question needs at least two options.")
        elif len(german) > MAX_OPTIONS:
            problems["options_de"] = _("At most %(num)d options, please.", num=MAX_OPTIONS)
        if english and len(english) != len(german):
            problems["options_en"] = _(
                "Give an English text for every option, in the same order, or none at all."
            )
        for name, texts in (("options_de", german), ("options_en", english)):
            if any(len(text) > MAX_OPTION for text in texts):
                problems.setdefault(
                    name, _("At most %(num)d characters per option, please.", num=MAX_OPTION)
                )
            elif len({text.casefold() for text in texts}) != len(texts):
                problems.setdefault(name, _("Each option must be different from the others."))
            elif any(problem := text_problem(text) for text in texts):
                problems.setdefault(name, problem)
    elif german or english:
        problems["options_de"] = _("Only choice questions have options.")
    return problems


def _checked(values: QuestionInput) -> None:
    problems = question_problems(values)
    if problems:
        raise InvalidQuestion(_("Please correct the marked fields."), fields=problems)


def _options(values: QuestionInput, old: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """New option list; an option keeps its key when its German text stays, or when it is
    reworded in place (same line), so answers given keep pointing at it."""
    if values.kind not in CHOICE_KINDS:
        return []
    german, english = _clean_lines(values.options_de), _clean_lines(values.options_en)
    by_text = {option["de"].casefold(): option["key"] for option in old}
    kept = {by_text[text.casefold()] for text in german if text.casefold() in by_text}
    options = []
    for index, text in enumerate(german):
        key = by_text.get(text.casefold())
        if key is None and index < len(old) and old[index]["key"] not in kept:
            key = old[index]["key"]
            kept.add(key)
        options.append(
            {
                "key": key or secrets.token_hex(4),
                "de": text,
                "en": english[index] if english else "",
            }
        )
    return options


def _apply(question: Question, values: QuestionInput) -> None:
    question.options = _options(values, list(question.options or []))
    question.kind = values.kind
    question.label = values.label.strip()
    question.label_en = values.label_en.strip()
    question.help_text = values.help_text.strip()
    question.help_text_en = values.help_text_en.strip()
    question.required = values.required


def create_question(user: User | None, event: Event, values: QuestionInput) -> Question:
    """Add a question at the end of the event's form."""
    _checked(values)
    existing = event_questions(event)
    if len(existing) >= MAX_QUESTIONS:
        raise QuestionError(_("An event can have at most %(num)d questions.", num=MAX_QUESTIONS))
    question = Question(event_id=event.id, position=len(existing), options=[], active=True)
    _apply(question, values)
    db.session.add(question)
    record(user, "question.create", question, None, _snapshot(question))
    return question


def _used_keys(question: Question) -> set[str]:
    values = db.session.execute(
        select(QuestionAnswer.value).where(QuestionAnswer.question_id == question.id)
    ).scalars()
    used: set[str] = set()
    for value in values:
        used.update(value if isinstance(value, list) else [value])
    return {key for key in used if isinstance(key, str)}


def update_question(user: User | None, question: Question, values: QuestionInput) -> None:
    """Change a question; once answered, its kind stays and chosen options stay."""
    _checked(values)
    answered = answer_count(question) > 0
    if answered and values.kind != question.kind:
        raise QuestionInUse(
            _("People have answered this question, so its kind can no longer change."),
            field="kind",
        )
    before = _snapshot(question)
    new_options = _options(values, list(question.options or []))
    if answered and question.kind in CHOICE_KINDS:
        missing = _used_keys(question) - {option["key"] for option in new_options}
        old_texts = [o["de"] for o in question.options or [] if o["key"] in missing]
        if old_texts:
            raise QuestionInUse(
                _(
                    "People chose “%(option)s”, so it cannot be removed. Reword it on "
                    "the same line instead.",
                    option=old_texts[0],
                ),
                field="options_de",
            )
    _apply(question, values)
    question.options = new_options
    record(user, "question.update", question, before, _snapshot(question))


def move_question(user: User | None, question: Question, direction: str) -> bool:
    """Swap the question with its neighbour ``up`` or ``down``; False at either end."""
    questions = event_questions(question.event)
    index = questions.index(question)
    other = index - 1 if direction == "up" else index + 1
    if direction not in ("up", "down") or not 0 <= other < len(questions):
        return False
    questions[index], questions[other] = questions[other], questions[index]
    for position, item in enumerate(questions):
        item.position = position
    record(user, "question.move", question, {"position": index}, {"position": other})
    return True


def set_active(user: User | None, question: Question, active: bool) -> None:
    """Take the question off the form (its answers stay) or put it back."""
    if question.active == active:
        return
    question.active = active
    action = "question.activate" if active else "question.deactivate"
    record(user, action, question, {"active": not active}, {"active": active})


def delete_question(user: User | None, question: Question) -> None:
    """Delete a question nobody answered; answered ones are taken off the form instead."""
    if answer_count(question) > 0:
        raise QuestionInUse(
            _(
                "People have answered this question, so it cannot be deleted. "
                "Take it off the form instead."
            )
        )
    record(user, "question.delete", question, _snapshot(question), None)
    db.session.delete(question)


# --- answers -----------------------------------------------------------------------------


def option_keys(question: Question) -> list[str]:
    return [option["key"] for option in question.options or []]


def option_text(question: Question, key: str, locale: str | None = None) -> str:
    """An option's text in the reader's language (English if set); a removed option, its key."""
    for option in question.options or []:
        if option["key"] == key:
            english = (option.get("en") or "").strip()
            if english and reading_language(locale).startswith(ENGLISH):
                return english
            return option["de"]
    return key


def option_choices(question: Question, locale: str | None = None) -> list[tuple[str, str]]:
    """(key, text) of each option, in order, in the reader's language."""
    return [(key, option_text(question, key, locale)) for key in option_keys(question)]


def answer_problem(question: Question, value: Any) -> str | None:
    """What is wrong with ``value`` as an answer (None: no answer), or None when it fits."""
    if is_empty(value):
        return _("Please answer this question.") if question.required else None
    kind = question.kind
    if kind in TEXT_KINDS:
        if not isinstance(value, str):
            return _("Please answer with text.")
        if len(value.strip()) > MAX_ANSWER[kind]:
            return _("At most %(num)d characters, please.", num=MAX_ANSWER[kind])
        return text_problem(value.strip(), multiline=kind == QuestionKind.LONG_TEXT)
    if kind == QuestionKind.ONE_CHOICE:
        if not isinstance(value, str) or value not in option_keys(question):
            return _("Please choose one of the options.")
        return None
    if kind == QuestionKind.MANY_CHOICES:
        keys = option_keys(question)
        if not isinstance(value, list) or any(
            not isinstance(k, str) or k not in keys for k in value
        ):
            return _("Please choose from the options.")
        if len(set(value)) != len(value):
            return _("Please choose each option only once.")
        return None
    if not isinstance(value, bool):
        return _("Please answer yes or no.")
    return None


def is_empty(value: Any) -> bool:
    """No answer: nothing, blank text or no option chosen (``False`` is an answer)."""
    return value is None or (
        isinstance(value, str | list) and not (value.strip() if isinstance(value, str) else value)
    )


def _normalized(question: Question, value: Any) -> Any:
    if question.kind in TEXT_KINDS:
        return value.strip()
    if question.kind == QuestionKind.MANY_CHOICES:
        order = option_keys(question)
        return sorted(value, key=order.index)
    return value


def check_answers(event: Event, answers: Mapping[str | int, Any] | None) -> dict[int, Any]:
    """The answers to the event's form questions, checked: question id → value or None.

    Every rule broken raises one ``InvalidRegistration`` naming each field as
    ``answers.<question id>``; an id that is not a question on the form is refused too.
    """
    questions = {q.id: q for q in form_questions(event)}
    problems: dict[str, str] = {}
    given: dict[int, Any] = {}
    for raw_id, value in (answers or {}).items():
        question_id = int(raw_id) if str(raw_id).isdigit() else None
        if question_id not in questions:
            problems[f"answers.{raw_id}"] = _("This event has no such question.")
        else:
            given[question_id] = value
    checked: dict[int, Any] = {}
    for question_id, question in questions.items():
        value = given.get(question_id)
        problem = answer_problem(question, value)
        if problem:
            problems[f"answers.{question_id}"] = problem
        else:
            checked[question_id] = None if is_empty(value) else _normalized(question, value)
    if problems:
        raise InvalidRegistration(_("Please check your answers to the questions."), fields=problems)
    return checked


def store_answers(
    registration: Registration,
    answers: Mapping[str | int, Any] | None,
    actor: str,
    *,
    history: bool = False,
) -> list[int]:
    """Check and store the answers to the form's questions; return the ids that changed.

    An empty answer removes a stored one; answers to questions taken off the form stay.
    With ``history`` a change is recorded as ``answers_changed`` by ``actor``
    (``participant``, ``admin:<email>``); answers given with the registration need none,
    its ``registered`` entry covers them.
    """
    checked = check_answers(registration.event, answers)
    stored = (
        {
            answer.question_id: answer
            for answer in db.session.execute(
                select(QuestionAnswer).where(QuestionAnswer.registration_id == registration.id)
            ).scalars()
        }
        if registration.id is not None
        else {}
    )
    changed = []
    for question_id, value in checked.items():
        answer = stored.get(question_id)
        if value is None:
            if answer is not None:
                db.session.delete(answer)
                changed.append(question_id)
        elif answer is None:
            db.session.add(
                QuestionAnswer(registration=registration, question_id=question_id, value=value)
            )
            changed.append(question_id)
        elif answer.value != value:
            answer.value = value
            changed.append(question_id)
    db.session.flush()
    if history and changed:
        record_change(
            registration, ChangeKind.ANSWERS_CHANGED, actor, utcnow(), question_ids=changed
        )
    return changed


def change_answers(
    registration: Registration, answers: Mapping[str | int, Any] | None, actor: str
) -> list[int]:
    """The participant (or the office) changes the answers; recorded in the history."""
    if not registration.is_active or registration.anonymized_at is not None:
        raise RegistrationInactive(
            _("This registration was cancelled and can no longer be changed.")
        )
    return store_answers(registration, answers, actor, history=True)


def stored_answers(registration: Registration) -> dict[int, Any]:
    """Question id → stored value."""
    return {
        answer.question_id: answer.value
        for answer in db.session.execute(
            select(QuestionAnswer).where(QuestionAnswer.registration_id == registration.id)
        ).scalars()
    }


def answer_text(question: Question, value: Any, locale: str | None = None) -> str:
    """An answer as people read it: text, option texts, yes or no."""
    if value is None:
        return ""
    if question.kind == QuestionKind.YES_NO:
        return _("yes") if value else _("no")
    if question.kind == QuestionKind.ONE_CHOICE:
        return option_text(question, value, locale)
    if question.kind == QuestionKind.MANY_CHOICES:
        return "; ".join(option_text(question, key, locale) for key in value)
    return str(value)


@dataclass
class ShownAnswer:
    question: Question
    value: Any
    text: str


def answers_of(registration: Registration, locale: str | None = None) -> list[ShownAnswer]:
    """The registration's answers in form order (also to questions taken off the form)."""
    values = stored_answers(registration)
    return [
        ShownAnswer(
            question, values[question.id], answer_text(question, values[question.id], locale)
        )
        for question in event_questions(registration.event)
        if question.id in values
    ]


def personal_data(registration: Registration) -> list[dict[str, Any]]:
    """The answers for the participant's own data export."""
    return [
        {
            "question_id": shown.question.id,
            "question": shown.question.label,
            "question_en": shown.question.label_en,
            "kind": str(shown.question.kind),
            "value": shown.value,
            "answer": answer_text(shown.question, shown.value, "de"),
        }
        for shown in answers_of(registration)
    ]


def delete_answers(registration_ids: Iterable[int]) -> None:
    """Erase the answers of anonymized registrations: free text is personal data."""
    ids = list(registration_ids)
    if ids:
        db.session.execute(delete(QuestionAnswer).where(QuestionAnswer.registration_id.in_(ids)))


def export_columns(event: Event) -> tuple[list[str], dict[int, list[str]]]:
    """One column per question of the event: headings, and registration id → cells."""
    questions = event_questions(event)
    rows: dict[int, list[str]] = {}
    if not questions:
        return [], rows
    index = {q.id: i for i, q in enumerate(questions)}
    by_id = {q.id: q for q in questions}
    answers = db.session.execute(
        select(QuestionAnswer).where(QuestionAnswer.question_id.in_(list(by_id)))
    ).scalars()
    for answer in answers:
        cells = rows.setdefault(answer.registration_id, [""] * len(questions))
        cells[index[answer.question_id]] = answer_text(by_id[answer.question_id], answer.value)
    return [q.label for q in questions], rows
