"""Organizer accounts: login, logout, roles and API tokens."""

from flask import Blueprint

bp = Blueprint("accounts", __name__)

from eventapp.accounts import views  # noqa: E402, F401
