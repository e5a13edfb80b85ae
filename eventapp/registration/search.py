"""Finding registrations: by what someone types (the one participant search) and by ticket code.

The back-office list, the admin API and the door all search with ``matches``; each keeps its
own limits around it (the door wants a word of two letters and hides contact details).
"""

from __future__ import annotations

import functools

from sqlalchemy import and_, bindparam, or_, true
from sqlalchemy.sql.elements import ColumnElement

from eventapp.extensions import db
from eventapp.models import Registration
from eventapp.registration.applicant import normalize_email

MAX_TERMS = 5
MAX_TERM_LENGTH = 100
# Codes are URL-safe base64 of at least 128 bits; anything far longer is not ours.
MAX_CODE_LENGTH = 64


def search_terms(text: str) -> list[str]:
    """The words of a search, at most ``MAX_TERMS`` of at most ``MAX_TERM_LENGTH`` characters."""
    return [term[:MAX_TERM_LENGTH] for term in text.split()][:MAX_TERMS]


def _like_escaped(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _term_matches(term: str, *, match_email: bool) -> ColumnElement[bool]:
    """Case-insensitive match of one word against the searchable fields.

    SQLite's ``lower()`` folds only ASCII, so a few case variants of the word are tried
    as well ("özdemir" still finds "Özdemir"). ``match_email`` adds the address (part of
    it) to the fields; without it only a whole address matches.
    """
    escaped = _like_escaped(term)
    variants = sorted({escaped, escaped.lower(), escaped.capitalize(), escaped.upper()})
    columns = [Registration.first_name, Registration.last_name, Registration.organisation]
    if match_email:
        columns.append(Registration.email)
    return or_(
        *(column.ilike(f"%{variant}%", escape="\\") for column in columns for variant in variants),
        Registration.email_normalized == normalize_email(term),
    )


def matches(terms: list[str], *, match_email: bool = True) -> ColumnElement[bool]:
    """Registrations with every one of ``terms`` in name, organisation or email address."""
    return and_(true(), *(_term_matches(term, match_email=match_email) for term in terms))


def registration_by_code(code: str) -> Registration | None:
    """The registration whose ticket carries ``code``, whatever its status or event."""
    if not code or len(code) > MAX_CODE_LENGTH:
        return None
    return db.session.execute(_code_statement(), {"code": code}).scalar_one_or_none()


@functools.cache
def _code_statement():
    # Built once: every scan and ticket image looks a code up.
    return db.select(Registration).where(Registration.ticket_code == bindparam("code"))
