"""Absolute links for emails, QR pages, feeds and the API, built on ``PUBLIC_BASE_URL``."""

from __future__ import annotations

from flask import current_app, url_for

from eventapp.models import Registration


def public_url(endpoint: str, **values) -> str:
    """``url_for`` made absolute with the configured public base, not the request's host."""
    return current_app.config["PUBLIC_BASE_URL"] + url_for(endpoint, **values)


def manage_url(registration: Registration) -> str:
    return public_url("registration.manage", token=registration.manage_token)


def ticket_url(registration: Registration) -> str:
    return public_url("tickets.ticket", code=registration.ticket_code)


def calendar_url(registration: Registration) -> str:
    return public_url("feeds.personal", token=registration.calendar_token)
