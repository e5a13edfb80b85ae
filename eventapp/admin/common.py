"""Small helpers shared by the back-office views."""

from __future__ import annotations

from flask import abort, flash, request
from flask_login import current_user

from eventapp.errors import show_refusal as refuse  # noqa: F401  (the back office's name)
from eventapp.models import User
from eventapp.numbers import whole_number

# Far beyond any real list, and small enough that the row offset fits every database.
MAX_PAGE = 100_000


def page_number() -> int:
    """``?page=`` for ``db.paginate``: not a number means the first page, as there."""
    number = whole_number(request.args.get("page"))
    if number is None:
        return 1
    if number > MAX_PAGE:
        abort(404)
    return number


def acting_user() -> User:
    """The logged-in organizer as a model object, for services and the audit log."""
    return current_user._get_current_object()


def flash_warnings(warnings: list[str]) -> None:
    for warning in warnings:
        flash(warning, "warning")
