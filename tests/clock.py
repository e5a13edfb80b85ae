"""Today for the tests, and the congress day derived from it.

Every date a test compares with the clock is relative to today, so the tests hold in any
year. ``EVENTAPP_TEST_CLOCK_OFFSET_DAYS=365 pytest`` proves it: the whole test process then
runs on a clock that many days ahead (time-machine, still ticking), moved here before any
date below is computed. tests/test_clock.py runs the registration tests that way.
Processes the tests start (gunicorn, Chromium) keep the real clock.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

OFFSET_VARIABLE = "EVENTAPP_TEST_CLOCK_OFFSET_DAYS"
BERLIN = ZoneInfo("Europe/Berlin")
# Tests place moments weeks before the congress (a registration "now", early sign-ups)
# that must still lie ahead of today.
LEAD = timedelta(days=60)
WEEKDAYS = {
    "de": ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}


def offset_days() -> int:
    """How many days ahead the clock of this test run is moved (0: the real clock)."""
    value = os.environ.get(OFFSET_VARIABLE, "").strip()
    try:
        return int(value or 0)
    except ValueError:
        raise ValueError(f"{OFFSET_VARIABLE} must be a number of days, not {value!r}") from None


def _travel() -> Any:
    days = offset_days()
    if not days:
        return None
    import time_machine

    traveller = time_machine.travel(datetime.now(UTC) + timedelta(days=days), tick=True)
    traveller.start()
    return traveller


# Started on import, so before this module (and any test module importing it) reads the date.
TRAVELLER = _travel()


def next_congress_day(today: date) -> datetime:
    """09:00 in Bürstadt (summer time) on the first 16 May at least LEAD after ``today``, in UTC."""
    day = date(today.year, 5, 16)
    if day < today + LEAD:
        day = date(today.year + 1, 5, 16)
    return datetime.combine(day, time(9, 0), BERLIN).astimezone(UTC)


def weekday(day: date, language: str) -> str:
    """The weekday's name as the German and English date formats spell it."""
    return WEEKDAYS[language][day.weekday()]


TODAY = datetime.now(BERLIN).date()
CONGRESS_DAY = next_congress_day(TODAY)
CONGRESS_DATE = CONGRESS_DAY.astimezone(BERLIN).date()
CONGRESS_YEAR = CONGRESS_DATE.year
