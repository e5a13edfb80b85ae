"""Email addresses: one person per address however it is spelled, and mail that reaches it.

Addresses are compared in one normal form (NFC and NFD, case, the Kelvin sign, the
Unicode and the punycode spelling of a domain are the same person), stored in the form
mail can use, and sent with the domain IDNA-encoded and SMTPUTF8 only where needed.
"""

from __future__ import annotations

import email
import email.policy
import json
import unicodedata
from collections.abc import Iterator

import pytest
from sqlalchemy import select
from support import SmtpSink, all_at_once, free_port, outbox, record
from test_registration_concurrency import let_the_server_write, post, registrations_of

from eventapp.accounts import services as accounts
from eventapp.extensions import db
from eventapp.mail.delivery import deliver_due
from eventapp.models import OutboxStatus, Registration, Role

NFC = unicodedata.normalize("NFC", "jörg.müller@example.org")
NFD = unicodedata.normalize("NFD", NFC)
KELVIN = "\u212aarl@example.org"  # KELVIN SIGN, which NFC turns into a Latin K
UNICODE_DOMAIN = "anna@exämple.org"
PUNYCODE_DOMAIN = "Anna@xn--exmple-cua.org"

BODY = {"first_name": "Jörg", "last_name": "Müller", "consent_privacy": True}
FORM = {"first_name": "Jörg", "last_name": "Müller", "consent_privacy": "y"}
EN = {"Accept-Language": "en"}


def api(client, event, address: str):
    return client.post(
        f"/api/v1/events/{event.slug}/registrations", json={**BODY, "email": address}, headers=EN
    )


def form(client, event, address: str):
    return client.post(f"/events/{event.slug}/register?lang=en", data={**FORM, "email": address})


def registrations() -> list[Registration]:
    db.session.expire_all()
    return list(db.session.execute(select(Registration).order_by(Registration.id)).scalars())


def parsed(envelope) -> email.message.EmailMessage:
    """A received message with UTF-8 headers (SMTPUTF8) read as text, not as escapes."""
    return email.message_from_string(envelope.content.decode("utf-8"), policy=email.policy.default)


def test_the_spellings_are_really_different_strings():
    assert NFC != NFD and NFC.lower() != NFD.lower()
    assert KELVIN.lower() == "karl@example.org" and not KELVIN.isascii()


# --- one person per address --------------------------------------------------------------


@pytest.fixture
def config_overrides():
    return {"MAIL_SMTPUTF8": True}


def test_nfc_and_nfd_spellings_are_one_person_in_the_api(client, make_event):
    event = make_event()
    assert api(client, event, NFC).status_code == 201
    second = api(client, event, NFD)
    assert second.status_code == 409
    assert second.get_json()["error"]["code"] == "duplicate"
    [registration] = registrations()
    assert registration.email == NFC


def test_nfc_and_nfd_spellings_are_one_person_in_the_form(client, make_event):
    event = make_event()
    assert form(client, event, NFD).status_code == 303
    second = form(client, event, NFC)
    assert second.status_code == 409
    assert "already registered" in second.get_data(as_text=True)
    [registration] = registrations()
    # Stored as typed but composed: the form mail is sent to and compared in.
    assert registration.email == NFC


def test_unicode_and_punycode_spellings_of_a_domain_are_one_person(client, make_event):
    event = make_event()
    assert api(client, event, UNICODE_DOMAIN).status_code == 201
    assert api(client, event, PUNYCODE_DOMAIN).status_code == 409
    assert form(client, event, PUNYCODE_DOMAIN).status_code == 409
    [registration] = registrations()
    assert registration.email == UNICODE_DOMAIN


def test_an_address_with_the_kelvin_sign_is_karls_address(client, make_event):
    event = make_event()
    assert api(client, event, KELVIN).status_code == 201
    assert api(client, event, "karl@example.org").status_code == 409
    [registration] = registrations()
    # Stored as the address it is, which mail can reach, not as an undeliverable lookalike.
    assert registration.email == "Karl@example.org"
    assert registration.email_normalized == "karl@example.org"


def test_organizer_accounts_compare_addresses_the_same_way(app):
    user = accounts.create_user(NFC, "Quartier-Werkstatt-Bürstadt-2027", Role.ADMIN)
    db.session.commit()
    assert accounts.user_by_email(NFD) is user
    assert accounts.user_by_email(NFC.upper()) is user


def test_an_address_that_folds_into_another_shape_is_refused(client, make_event):
    # The FULLWIDTH COMMERCIAL AT folds to "@": the folded form is no single address.
    response = api(client, make_event(), "ka\uff20rl@example.org")
    assert response.status_code == 422
    assert "email" in response.get_json()["error"]["fields"]
    assert registrations() == []


@pytest.fixture
def utf8_live_server(monkeypatch, request) -> str:
    """The multi-worker server with MAIL_SMTPUTF8 on (set before it starts)."""
    monkeypatch.setenv("MAIL_SMTPUTF8", "1")
    return request.getfixturevalue("live_server")


@pytest.mark.slow
def test_concurrent_registrations_in_several_spellings_make_one_registration(
    utf8_live_server, make_event
):
    event = make_event()
    spellings = [NFC, NFD, NFC.upper(), NFD.replace("example.org", "EXAMPLE.org")]
    url = f"{utf8_live_server}/api/v1/events/{event.slug}/registrations"

    def call(address: str):
        body = json.dumps({**BODY, "email": address}).encode()
        return lambda: post(url, body, {"Content-Type": "application/json"})

    let_the_server_write()
    answers = all_at_once([call(spellings[n % 4]) for n in range(24)])
    statuses = sorted(status for status, _ in answers)
    assert statuses == [201] + [409] * 23
    assert len(registrations_of(event)) == 1


# --- which addresses are accepted ------------------------------------------------------------


class TestWithoutSmtputf8:
    @pytest.fixture
    def config_overrides(self):
        return {"MAIL_SMTPUTF8": False}

    def test_a_non_ascii_local_part_is_refused_in_the_form_with_a_reason(self, client, make_event):
        response = form(client, make_event(), NFC)
        assert response.status_code == 422
        assert "special characters (such as umlauts) before the @" in response.get_data(
            as_text=True
        )
        assert registrations() == []

    def test_a_non_ascii_local_part_is_refused_in_the_api_with_a_reason(self, client, make_event):
        response = api(client, make_event(), NFC)
        assert response.status_code == 422
        assert "before the @" in response.get_json()["error"]["fields"]["email"]
        assert registrations() == []

    def test_a_non_ascii_domain_is_accepted(self, client, make_event):
        assert api(client, make_event(), UNICODE_DOMAIN).status_code == 201


# --- delivery -------------------------------------------------------------------------------


@pytest.fixture
def smtputf8_server() -> Iterator[SmtpSink]:
    """An SMTP server that offers SMTPUTF8."""
    sink = SmtpSink(free_port(), smtputf8=True)
    sink.start()
    yield sink
    sink.stop()


class TestDelivery:
    @pytest.fixture
    def config_overrides(self, smtp_server):
        return {
            "MAIL_SERVER": smtp_server.host,
            "MAIL_PORT": smtp_server.port,
            "MAIL_SUPPRESS_SEND": False,
            "MAIL_SMTPUTF8": True,
        }

    def test_an_internationalised_domain_is_sent_idna_encoded(
        self, client, make_event, smtp_server
    ):
        assert api(client, make_event(), UNICODE_DOMAIN).status_code == 201

        assert deliver_due().sent == 1

        [envelope] = smtp_server.envelopes
        assert envelope.rcpt_tos == ["anna@xn--exmple-cua.org"]
        assert envelope.smtp_utf8 is False
        [message] = smtp_server.messages()
        assert [a.addr_spec for a in message["To"].addresses] == ["anna@xn--exmple-cua.org"]

    def test_a_kelvin_sign_address_is_delivered_to_karl(self, client, make_event, smtp_server):
        assert api(client, make_event(), KELVIN).status_code == 201
        assert deliver_due().sent == 1
        assert [e.rcpt_tos for e in smtp_server.envelopes] == [["Karl@example.org"]]

    def test_a_non_ascii_local_part_fails_at_once_where_the_server_lacks_smtputf8(
        self, client, make_event, smtp_server
    ):
        assert api(client, make_event(), NFC).status_code == 201

        report = deliver_due()

        assert (report.sent, report.failed, report.retrying) == (0, 1, 0)
        [message] = outbox()
        assert message.status == OutboxStatus.FAILED
        assert message.attempts == 1
        assert "SMTPUTF8" in message.last_error and NFC in message.last_error
        assert smtp_server.envelopes == []


class TestDeliveryWithSmtputf8:
    @pytest.fixture
    def config_overrides(self, smtputf8_server):
        return {
            "MAIL_SERVER": smtputf8_server.host,
            "MAIL_PORT": smtputf8_server.port,
            "MAIL_SUPPRESS_SEND": False,
            "MAIL_SMTPUTF8": True,
        }

    def test_a_non_ascii_local_part_is_delivered_with_smtputf8(
        self, client, make_event, smtputf8_server
    ):
        address = "jörg.müller@exämple.org"
        assert api(client, make_event(), unicodedata.normalize("NFD", address)).status_code == 201

        assert deliver_due().sent == 1

        [envelope] = smtputf8_server.envelopes
        assert envelope.smtp_utf8 is True
        assert envelope.rcpt_tos == ["jörg.müller@xn--exmple-cua.org"]
        message = parsed(envelope)
        assert [a.addr_spec for a in message["To"].addresses] == ["jörg.müller@xn--exmple-cua.org"]
        assert message["To"].addresses[0].display_name == "Jörg Müller"

    def test_an_ascii_address_does_not_ask_for_smtputf8(self, client, make_event, smtputf8_server):
        assert api(client, make_event(), "karl@example.org").status_code == 201
        assert deliver_due().sent == 1
        [envelope] = smtputf8_server.envelopes
        assert envelope.smtp_utf8 is False


def test_a_stored_address_that_is_none_fails_at_once_with_the_reason(make_event, make_registration):
    # Written before addresses were checked: no retries can make this deliverable.
    registration = make_registration(make_event(), email="kein-at-zeichen.example.org")
    record(registration, status="confirmed")

    report = deliver_due()

    assert report.failed == 1
    [message] = outbox()
    assert message.status == OutboxStatus.FAILED
    assert "not a valid email address" in message.last_error
