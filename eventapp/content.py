"""Programme content in the reader's language: the one place that picks German or English.

Events, sessions, tracks, rooms and speakers keep their German text in the plain
column (``title``) and an optional English one beside it (``title_en``). An empty
English column means "not translated": readers of English see the German text
rather than nothing. Pages, mails, tickets, badges and feeds all ask ``localized``,
so that rule lives here once.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app
from flask_babel import get_locale

ENGLISH = "en"


def reading_language(locale: str | None = None) -> str:
    """``locale`` if given, else the language being rendered (request, ``force_locale``)."""
    if locale:
        return str(locale)
    return str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])


def localized(obj: Any, field: str, locale: str | None = None) -> str:
    """``obj``'s ``field`` for a reader of ``locale`` (default: the current language).

    English readers get the ``<field>_en`` column when it holds text, everyone else
    (and English readers of untranslated content) the German ``field``.
    """
    if obj is None:
        return ""
    german = getattr(obj, field) or ""
    if not reading_language(locale).startswith(ENGLISH):
        return german
    english = getattr(obj, f"{field}_en", None)
    return english if english and english.strip() else german


def init_app(app: Flask) -> None:
    """Offer ``localized`` to templates, as a filter (``event | localized("title")``)."""
    app.jinja_env.filters["localized"] = localized
