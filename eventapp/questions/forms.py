"""Form fields built from an event's questions, the participant's answers form, and the
back office's question form."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    Field,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import StopValidation, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from eventapp.content import localized
from eventapp.labels import QUESTION_KIND
from eventapp.models import Registration
from eventapp.models.questions import Question, QuestionKind
from eventapp.questions import services

YES, NO = "yes", "no"


class CheckboxesField(SelectMultipleField):
    """Several options as checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _answer_rule(question: Question):
    """The service's rule for one answer, as a WTForms validator (one set of rules)."""

    def validator(_form: FlaskForm, field: Field) -> None:
        if question.kind == QuestionKind.YES_NO and field.data not in (None, "", YES, NO):
            raise StopValidation(services.answer_problem(question, field.data))
        problem = services.answer_problem(question, field_answer(question, field))
        if problem:
            raise StopValidation(problem)

    # WTForms reads flags from validators: "required" marks the field with an asterisk.
    validator.field_flags = {"required": True} if question.required else {}
    return validator


def question_field(question: Question) -> Field:
    """The form field for one question, labelled in the reader's language."""
    label = localized(question, "label")
    description = localized(question, "help_text")
    rules = [_answer_rule(question)]
    render_kw = {"data-question": question.id, "data-kind": str(question.kind)}
    kind = question.kind
    if kind == QuestionKind.SHORT_TEXT:
        field = StringField(label, description=description, validators=rules, render_kw=render_kw)
    elif kind == QuestionKind.LONG_TEXT:
        field = TextAreaField(label, description=description, validators=rules, render_kw=render_kw)
    elif kind == QuestionKind.ONE_CHOICE:
        field = RadioField(
            label,
            description=description,
            choices=[SelectChoice(key, text) for key, text in services.option_choices(question)],
            validators=rules,
            validate_choice=False,
            render_kw=render_kw,
        )
    elif kind == QuestionKind.MANY_CHOICES:
        field = CheckboxesField(
            label,
            description=description,
            choices=[SelectChoice(key, text) for key, text in services.option_choices(question)],
            validators=rules,
            validate_choice=False,
            render_kw=render_kw,
        )
    else:
        field = RadioField(
            label,
            description=description,
            choices=[SelectChoice(YES, _l("Yes")), SelectChoice(NO, _l("No"))],
            validators=rules,
            validate_choice=False,
            render_kw=render_kw,
        )
    return field


def field_name(question: Question) -> str:
    return f"question_{question.id}"


def field_answer(question: Question, field: Field) -> Any:
    """The answer as the services take it: text, an option key, a list of keys or a bool."""
    data = field.data
    if question.kind == QuestionKind.YES_NO:
        return {YES: True, NO: False}.get(data)
    if question.kind == QuestionKind.MANY_CHOICES:
        return list(data or [])
    if question.kind == QuestionKind.ONE_CHOICE:
        return data or None
    return data or ""


class QuestionFields:
    """Mixed into a form that carries the event's questions as ``question_<id>`` fields."""

    questions: list[Question] = []

    def question_fields(self) -> list[tuple[Question, Field]]:
        return [(q, self[field_name(q)]) for q in self.questions]

    def answers(self) -> dict[str, Any]:
        """Question id (as text, as the API takes it) → answer."""
        return {str(q.id): field_answer(q, f) for q, f in self.question_fields()}

    def preset_answers(self, values: dict[int, Any]) -> None:
        """Show the stored answers (on GET, not over what was just sent)."""
        for question, field in self.question_fields():
            value = values.get(question.id)
            if question.kind == QuestionKind.YES_NO:
                field.data = None if value is None else (YES if value else NO)
            elif question.kind == QuestionKind.MANY_CHOICES:
                field.data = list(value or [])
            else:
                field.data = value

    def show_answer_errors(self, fields: dict[str, str]) -> None:
        """Put the service's refusal (``answers.<id>``) next to the questions."""
        for question, field in self.question_fields():
            message = fields.get(f"answers.{question.id}")
            if message:
                field.errors = [*field.errors, message]


def with_questions(base: type[FlaskForm], questions: list[Question]) -> type[FlaskForm]:
    """A subclass of ``base`` with one field per question (WTForms binds fields per class)."""
    fields = {field_name(q): question_field(q) for q in questions}
    form_class = type(base.__name__, (base, QuestionFields), fields)
    form_class.questions = list(questions)
    return form_class


class AnswersForm(FlaskForm, QuestionFields):
    """The participant changes their answers on the manage page."""


def answers_form(questions: list[Question], **kwargs) -> AnswersForm:
    return with_questions(AnswersForm, questions)(**kwargs)


def answers_form_for(registration: Registration) -> AnswersForm:
    """The manage page's answers form, showing what is stored."""
    form = answers_form(services.form_questions(registration.event))
    form.preset_answers(services.stored_answers(registration))
    return form


# --- back office -------------------------------------------------------------------------


def _lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class QuestionForm(FlaskForm):
    """A question in German and (optionally) English; options one per line."""

    label = StringField(_l("Question"))
    label_en = StringField(_l("Question (English)"))
    help_text = TextAreaField(_l("Help text"))
    help_text_en = TextAreaField(_l("Help text (English)"))
    kind = SelectField(
        _l("Kind of answer"),
        choices=[SelectChoice(kind.value, label) for kind, label in QUESTION_KIND.items()],
        default=QuestionKind.SHORT_TEXT.value,
    )
    options_de = TextAreaField(_l("Options"), render_kw={"rows": 5})
    options_en = TextAreaField(_l("Options (English)"), render_kw={"rows": 5})
    required = BooleanField(_l("An answer is required"))

    def validate_kind(self, field: Field) -> None:
        if field.data not in {kind.value for kind in QuestionKind}:
            raise ValidationError(_l("Please choose a kind of answer."))

    def fill_from(self, question: Question) -> None:
        self.label.data = question.label
        self.label_en.data = question.label_en
        self.help_text.data = question.help_text
        self.help_text_en.data = question.help_text_en
        self.kind.data = question.kind.value
        self.required.data = question.required
        self.options_de.data = "\n".join(o["de"] for o in question.options or [])
        self.options_en.data = "\n".join(
            o.get("en", "") for o in question.options or [] if o.get("en")
        )

    def values(self) -> services.QuestionInput:
        return services.QuestionInput(
            kind=QuestionKind(self.kind.data),
            label=self.label.data or "",
            label_en=self.label_en.data or "",
            help_text=self.help_text.data or "",
            help_text_en=self.help_text_en.data or "",
            required=bool(self.required.data),
            options_de=_lines(self.options_de.data),
            options_en=_lines(self.options_en.data),
        )

    def show_problems(self, fields: dict[str, str]) -> bool:
        shown = False
        for name, message in fields.items():
            if name in self._fields:
                self[name].errors = [*self[name].errors, message]
                shown = True
        return shown
