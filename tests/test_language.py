"""The German of a public body (docs/sprache.md): no gender special characters, one term
per concept, and mails and badges that address people with their salutation and title."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask_babel import force_locale
from pypdf import PdfReader
from support import outbox, prepared_file

from eventapp.extensions import db
from eventapp.mail import services as mail_services
from eventapp.mail.messages import build_email
from eventapp.models import Registration
from eventapp.salutation import badge_name, greeting

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "eventapp"
CATALOGUE = PACKAGE / "translations" / "de" / "LC_MESSAGES" / "messages.po"
# Gender star, colon, underscore and slash before "innen", and the binnen-I ("TeilnehmerInnen").
GENDER_MARK = re.compile(r"[*:_/]innen|[a-zäöüß]Innen")
# Words the guide replaces by the one term it fixes.
RETIRED_TERMS = {
    "Themenfeld": "Handlungsfeld",
    "Werkstatt": "Workshop",
    "Werkstätt": "Workshop",
}


def german_texts() -> list[str]:
    with CATALOGUE.open("rb") as handle:
        catalogue = read_po(handle, locale="de")
    texts = []
    for message in catalogue:
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        texts += [text for text in strings if text]
    return texts


def template_texts() -> dict[str, str]:
    folder = PACKAGE / "templates"
    return {
        str(path.relative_to(folder)): path.read_text(encoding="utf-8")
        for path in sorted(folder.rglob("*"))
        if path.suffix in {".html", ".txt"}
    }


def demo_texts() -> dict[str, str]:
    return {path.name: path.read_text(encoding="utf-8") for path in (PACKAGE / "demo").glob("*.py")}


@pytest.mark.parametrize(
    "text",
    ["Referent*innen", "Teilnehmer:innen", "Nutzer_innen", "Bürger/innen", "TeilnehmerInnen"],
)
def test_the_gender_check_sees_every_special_character(text):
    assert GENDER_MARK.search(text)


@pytest.mark.parametrize("text", ["Referierende", "Bürgerinnen und Bürger", "Innenstadt"])
def test_the_gender_check_lets_neutral_and_pair_forms_pass(text):
    assert not GENDER_MARK.search(text)


def test_the_german_catalogue_has_no_gender_special_characters():
    assert [text for text in german_texts() if GENDER_MARK.search(text)] == []


def test_templates_and_demo_data_have_no_gender_special_characters():
    sources = {**template_texts(), **demo_texts()}
    assert [name for name, text in sources.items() if GENDER_MARK.search(text)] == []


def test_one_term_per_concept_in_catalogue_templates_and_demo_data():
    texts = {"catalogue": "\n".join(german_texts()), **template_texts(), **demo_texts()}
    found = {
        (name, old): new
        for name, text in texts.items()
        for old, new in RETIRED_TERMS.items()
        if old in text
    }
    assert found == {}


def test_staff_log_out_is_never_called_abmelden():
    """ "Abmelden" would read as cancelling a registration; staff log in and out."""
    with CATALOGUE.open("rb") as handle:
        catalogue = read_po(handle, locale="de")
    assert catalogue["Log out"].string == "Ausloggen"
    assert [m.id for m in catalogue if "abgemeldet" in str(m.string).lower()] == []


# --- salutation and title ----------------------------------------------------------------


def person(**fields) -> Registration:
    return Registration(first_name="Anna", last_name="Müller", **fields)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"salutation": "ms", "academic_title": "Dr."}, "Sehr geehrte Frau Dr. Müller,"),
        ({"salutation": "mr", "academic_title": ""}, "Sehr geehrter Herr Müller,"),
        ({"salutation": "", "academic_title": "Prof. Dr."}, "Guten Tag Prof. Dr. Anna Müller,"),
        ({"salutation": "", "academic_title": ""}, "Guten Tag Anna Müller,"),
    ],
)
def test_mails_greet_with_salutation_and_title_or_the_full_name(app, fields, expected):
    with force_locale("de"):
        assert greeting(person(**fields)) == expected


def test_badges_print_the_title_with_the_name():
    assert badge_name(person(salutation="ms", academic_title="Dr.")) == "Dr. Anna Müller"
    assert badge_name(person(salutation="", academic_title="")) == "Anna Müller"


def test_the_confirmation_mail_opens_with_the_formal_salutation(make_event, make_registration):
    registration = make_registration(
        make_event(), salutation="ms", academic_title="Dr.", first_name="Anna", last_name="Müller"
    )
    mail_services.enqueue(mail_services.MessageKind.REGISTRATION_CONFIRMED, registration, {})
    db.session.commit()
    email = build_email(outbox()[-1])
    text = email.get_body(("plain",)).get_content()
    assert text.startswith("Sehr geehrte Frau Dr. Müller,")
    assert "Sehr geehrte Frau Dr. Müller," in email.get_body(("html",)).get_content()


def test_the_registration_form_keeps_salutation_and_title(client, make_event):
    event = make_event()
    page = client.get(f"/events/{event.slug}/register").get_data(as_text=True)
    assert 'name="salutation"' in page and "Anrede" in page and 'name="academic_title"' in page
    form = {
        "salutation": "mr",
        "academic_title": "Prof. Dr.",
        "first_name": "Karl",
        "last_name": "Weber",
        "email": "karl.weber@example.org",
        "consent_privacy": "y",
    }
    response = client.post(f"/events/{event.slug}/register", data=form)
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:500]
    stored = db.session.execute(db.select(Registration)).scalar_one()
    assert (stored.salutation, stored.academic_title) == ("mr", "Prof. Dr.")


def test_the_api_takes_an_optional_salutation_and_refuses_an_unknown_one(client, make_event):
    event = make_event()
    body = {
        "first_name": "Karl",
        "last_name": "Weber",
        "email": "karl@example.org",
        "consent_privacy": True,
        "salutation": "ms",
        "academic_title": "Dr.",
    }
    created = client.post(f"/api/v1/events/{event.slug}/registrations", json=body)
    assert created.status_code == 201, created.get_json()
    stored = db.session.execute(db.select(Registration)).scalar_one()
    assert (stored.salutation, stored.academic_title) == ("ms", "Dr.")
    refused = client.post(
        f"/api/v1/events/{event.slug}/registrations",
        json={**body, "email": "other@example.org", "salutation": "frau"},
    )
    assert refused.status_code == 422


def test_the_badge_pdf_prints_the_title(admin_client, make_event, make_registration):
    event = make_event()
    make_registration(event, academic_title="Dr.", first_name="Anna", last_name="Müller")
    pdf = PdfReader(io.BytesIO(prepared_file(admin_client, event.id, "badges").data))
    assert "Dr. Anna Müller" in pdf.pages[0].extract_text()
