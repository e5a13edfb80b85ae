"""Placeholders in organizers' texts: a fixed list, filled in by plain substitution.

An organizer's text is not a template. ``{first_name}`` is replaced by the value and
nothing else in the text is looked at, so neither a text nor a participant's name can
run code or reach other data. Unknown placeholders are refused when a text is saved
(``unknown_placeholders``), with the list of known ones in the message.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from eventapp.models import Registration
from eventapp.salutation import badge_name, greeting, titled

PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def _salutation(registration: Registration) -> str:
    return {"ms": _("Ms"), "mr": _("Mr")}.get(registration.salutation, "")


# Name, what it stands for (shown to organizers) and its value for one recipient.
_VALUES: dict[str, tuple[object, Callable[[Registration], str]]] = {
    "greeting": (_l("the greeting line, e.g. “Dear Ms Dr Müller,”"), greeting),
    "salutation": (_l("Ms or Mr, empty if not given"), _salutation),
    "title": (_l("academic title, e.g. Dr."), lambda r: r.academic_title),
    "first_name": (_l("first name"), lambda r: r.first_name),
    "last_name": (_l("last name"), lambda r: r.last_name),
    "name": (_l("title, first and last name"), badge_name),
    "formal_name": (
        _l("salutation, title and last name, e.g. “Ms Dr Müller”"),
        lambda r: titled(_salutation(r), r.academic_title, r.last_name),
    ),
}


def known_placeholders() -> dict[str, str]:
    """Each placeholder as written in a text (``{name}``) with what it stands for."""
    return {f"{{{name}}}": str(description) for name, (description, _value) in _VALUES.items()}


def unknown_placeholders(text: str) -> list[str]:
    """Placeholders in ``text`` that are not on the list, as written, in order of appearance."""
    seen: list[str] = []
    for name in PLACEHOLDER.findall(text or ""):
        if name not in _VALUES and f"{{{name}}}" not in seen:
            seen.append(f"{{{name}}}")
    return seen


def fill(text: str, registration: Registration) -> str:
    """``text`` with each known placeholder replaced by its value for ``registration``.

    Call it in the recipient's language (``force_locale``): the salutation is translated.
    """

    def value(match: re.Match[str]) -> str:
        entry = _VALUES.get(match.group(1))
        return entry[1](registration) if entry is not None else match.group(0)

    return PLACEHOLDER.sub(value, text or "")
