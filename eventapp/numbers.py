"""The one parser for whole numbers that arrive as text: ``?page=``, ``?per_page=``, ``?track=``,
a check-in list's session id. Each caller decides what a refusal means there (first page,
400, 404 or 422), so this module only says whether the text is a number and which.
"""

from __future__ import annotations

# More digits than any page, id or size here can have; converting more would be wasted work.
MAX_DIGITS = 18
# What a longer run of digits stands for: larger than every maximum, so range checks refuse it.
TOO_LARGE = 10**MAX_DIGITS


def whole_number(raw: str | None) -> int | None:
    """``raw`` as a number of ASCII digits only, else None (signs, spaces, "²", "" and None).

    isascii: ``str.isdigit()`` also accepts digits like "²" that ``int()`` refuses.
    """
    if raw is None or not (raw.isascii() and raw.isdigit()):
        return None
    if len(raw) > MAX_DIGITS:
        return TOO_LARGE
    return int(raw)


def number_in_range(raw: str | None, minimum: int, maximum: int) -> int | None:
    """``raw`` as a whole number from ``minimum`` to ``maximum``, else None."""
    number = whole_number(raw)
    if number is None or not minimum <= number <= maximum:
        return None
    return number
