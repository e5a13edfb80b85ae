"""Rules for text that people type in: which characters are refused, and when two email
addresses are the same.

Participants, organizers and the API all go through these functions, so a name, a
title or an address means the same wherever it was entered, and mail and calendar
feeds can rely on it. Output code also uses ``one_line`` and ``plain_text`` for what
was stored before these rules existed.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email

# Embeddings, overrides and isolates reorder the text around them, so a name or title
# can show as something else than it is ("Trojan Source", CVE-2021-42574). The marks
# LRM, RLM and ALM only set a direction and belong to right-to-left names.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Control characters (C0, DEL, C1), lone surrogates, line and paragraph separators.
FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})
LINE_BREAKS = "\t\r\n"


def _forbidden(char: str) -> bool:
    return char in BIDI_CONTROLS or unicodedata.category(char) in FORBIDDEN_CATEGORIES


def forbidden_character(value: str, *, multiline: bool = False) -> str | None:
    """The first character that may not be stored in a field, or None.

    One-line fields (names, titles, subjects) end up in mail headers and calendar
    properties, so they refuse line breaks and tabs too; ``multiline`` allows those.
    """
    for char in value:
        if multiline and char in LINE_BREAKS:
            continue
        if _forbidden(char):
            return char
    return None


def describe(char: str) -> str:
    """``U+202E`` – how a message names an invisible character."""
    return f"U+{ord(char):04X}"


_FORBIDDEN_RUN = re.compile(
    r"\s*[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]+\s*"
)


def one_line(value: str) -> str:
    """``value`` for a mail header or a calendar summary: each run of control characters,
    line breaks and direction overrides becomes one space."""
    return _FORBIDDEN_RUN.sub(" ", value).strip()


def plain_text(value: str) -> str:
    """``value`` for a multi-line text (a calendar description): line breaks as ``\\n``,
    tabs kept, every other control and override character dropped."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = value.replace("\u2028", "\n").replace("\u2029", "\n\n")
    return "".join(c for c in value if c in LINE_BREAKS or not _forbidden(c))


# --- email addresses ------------------------------------------------------------------


@dataclass(frozen=True)
class EmailAddress:
    """A checked address: ``address`` to store, show and mail to; ``key`` to compare.

    ``address`` is the library's normal form: Unicode NFC, the domain lower-cased in
    its Unicode form (``exämple.org`` also for ``xn--exmple-cua.org``). ``key`` also
    folds the local part (NFKC and case folding, so ``\u212aarl`` is ``karl`` and
    ``Jörg`` is ``jörg`` whether typed composed or decomposed).
    """

    address: str
    key: str
    local_part: str
    ascii_domain: str

    @property
    def ascii_local_part(self) -> bool:
        """False when the local part needs SMTPUTF8 to be delivered."""
        return self.local_part.isascii()

    @property
    def envelope(self) -> str:
        """The address as an SMTP server takes it: the domain IDNA-encoded (``xn--…``)."""
        return f"{self.local_part}@{self.ascii_domain}"


class InvalidEmail(ValueError):
    """Not a usable email address."""


def _fold(local_part: str) -> str:
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", local_part).casefold())


# A registration reads its address three times (check, key, address to mail to).
@functools.lru_cache(maxsize=256)
def parse_email(raw: str) -> EmailAddress:
    """The address in ``raw`` (surrounding spaces ignored); raises ``InvalidEmail``."""
    try:
        checked = validate_email(raw.strip(), check_deliverability=False)
        key = f"{_fold(checked.local_part)}@{checked.domain}"
        # Folding may turn a character into one with a meaning ("＠" into "@"):
        # the folded form must still be one valid address with the same domain.
        folded = validate_email(key, check_deliverability=False)
    except (EmailNotValidError, UnicodeError) as exc:
        raise InvalidEmail(str(exc)) from exc
    if folded.domain != checked.domain:
        raise InvalidEmail("the address changes its meaning when folded")
    return EmailAddress(
        address=checked.normalized,
        key=key,
        local_part=checked.local_part,
        ascii_domain=checked.ascii_domain,
    )


def email_key(raw: str) -> str:
    """The form in which two addresses count as the same person (or account).

    Never raises: input that is no address (a mistyped login) is only trimmed and
    folded, so it finds nothing rather than failing.
    """
    try:
        return parse_email(raw).key
    except InvalidEmail:
        return _fold(raw.strip())
