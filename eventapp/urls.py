"""Absolute links for emails, QR pages, feeds and the API, built on ``PUBLIC_BASE_URL``.

The links are built from the configuration alone, through the app's URL map bound
to the public base (scheme, host and any path prefix), so the same code works in a
request, in the mail worker and in the CLI, and a link never depends on the host
or prefix a request happened to arrive with. ``SERVER_NAME`` stays unset on
purpose: setting it would make Flask match requests by host.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from werkzeug.routing import MapAdapter

from eventapp.models import Registration


def _public_adapter() -> MapAdapter:
    base = urlsplit(current_app.config["PUBLIC_BASE_URL"])
    # A base such as https://example.org/anmeldung serves the app under /anmeldung.
    return current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "http"
    )


def public_url(endpoint: str, **values: Any) -> str:
    """The absolute URL of ``endpoint`` under the public base; needs only an app context."""
    current_app.inject_url_defaults(endpoint, values)
    return _public_adapter().build(endpoint, values, force_external=True)


def manage_url(registration: Registration) -> str:
    return public_url("registration.manage", token=registration.manage_token)


def ticket_url(registration: Registration) -> str:
    return public_url("tickets.ticket", code=registration.ticket_code)


def calendar_url(registration: Registration) -> str:
    """The personal feed; for a participant of another language than the default, in theirs.

    The language rides in the address because calendar apps fetch it without cookies.
    """
    other_languages = set(current_app.config["LANGUAGES"]) - {
        current_app.config["BABEL_DEFAULT_LOCALE"]
    }
    lang = registration.locale if registration.locale in other_languages else None
    return public_url("feeds.personal", token=registration.calendar_token, lang=lang)


def link_token(purpose: str, seed: str) -> str:
    """The token of a one-time link (address change, password reset), derived from
    ``seed`` and the secret key.

    The outbox keeps only the seed until the mail is sent and the database only the
    token's hash, so neither a copy of the outbox nor of the database yields a link.
    """
    secret = str(current_app.secret_key or "").encode()
    message = f"{purpose}:{seed}".encode()
    digest = hmac.new(secret, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def confirmation_token(seed: str) -> str:
    """The token of an address-change link (see ``link_token``)."""
    return link_token("email-change", seed)


def email_confirmation_url(seed: str) -> str:
    """The link that confirms an address change, for the mail to the new address."""
    return public_url("selfservice.confirm_email", token=confirmation_token(seed))
