"""JSON API v1, mounted at ``/api/v1``.

``spec`` and ``models`` declare every route once (request and answer models, from which the
OpenAPI document is generated and served by ``openapi``); ``events``, ``registrations``,
``registrations_admin`` and ``checkin`` are the routes, ``serializers`` turns models into
answers, and ``errors`` is the one handler that answers a ``DomainError``.
"""

from flask import Blueprint

from eventapp.extensions import csrf

bp = Blueprint("api", __name__)
# Clients authenticate with bearer tokens, not cookies, so CSRF does not apply.
csrf.exempt(bp)

from eventapp.api import views  # noqa: E402, F401
