"""Compact VTIMEZONE components: yearly RRULEs, as Outlook and ical.js read them right.

icalendar's own ``add_missing_timezones()`` writes long RDATE lists, which some
Outlook versions mishandle, which ical.js has been seen to read an hour off, and
which are slow to build. Here each zone is described by its current rule
(e.g. "last Sunday of March"), derived from the tz database and cached.
"""

from __future__ import annotations

import calendar
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from icalendar import Timezone, TimezoneDaylight, TimezoneStandard, vRecur

WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
# Far enough back for any event; clients extend the rule forward from here.
RULE_START_YEAR = 1970


def _offset(zone: ZoneInfo, moment: datetime) -> timedelta:
    return moment.astimezone(zone).utcoffset() or timedelta(0)


def _transitions(zone: ZoneInfo, year: int) -> list[datetime]:
    """UTC instants in ``year`` at which the zone's offset changes, to the minute."""
    found = []
    day = datetime(year, 1, 1, tzinfo=UTC)
    end = datetime(year + 1, 1, 1, tzinfo=UTC)
    while day < end:
        following = day + timedelta(days=1)
        if _offset(zone, day) != _offset(zone, following):
            low, high = day, following
            while high - low > timedelta(minutes=1):
                middle = low + (high - low) / 2
                if _offset(zone, middle) == _offset(zone, low):
                    low = middle
                else:
                    high = middle
            found.append(high.replace(second=0, microsecond=0))
        day = following
    return found


def _weekday_rule(local: datetime) -> tuple[int, int]:
    """(month, n) of a local date as "n-th weekday of the month"; n = -1 for the last."""
    days_in_month = calendar.monthrange(local.year, local.month)[1]
    if local.day + 7 > days_in_month:
        return local.month, -1
    return local.month, (local.day - 1) // 7 + 1


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> int:
    """Day of the month of the n-th (or, for -1, last) ``weekday`` of that month."""
    weeks = calendar.monthcalendar(year, month)
    days = [week[weekday] for week in weeks if week[weekday]]
    return days[n - 1] if n > 0 else days[-1]


def _component(zone: ZoneInfo, onset_utc: datetime, rule: tuple[int, int] | None):
    before = _offset(zone, onset_utc - timedelta(minutes=1))
    after = _offset(zone, onset_utc)
    local_after = onset_utc.astimezone(zone)
    is_dst = bool(local_after.dst())
    component = TimezoneDaylight() if is_dst else TimezoneStandard()
    # DTSTART is the onset as wall-clock time of the offset in force before it.
    wall = (onset_utc + before).replace(tzinfo=None)
    if rule is not None:
        month, n = rule
        day = _nth_weekday(RULE_START_YEAR, month, wall.weekday(), n)
        start = wall.replace(year=RULE_START_YEAR, month=month, day=day)
        component.add("dtstart", start)
        byday = f"{n}{WEEKDAYS[wall.weekday()]}"
        component.add("rrule", vRecur({"FREQ": "YEARLY", "BYMONTH": month, "BYDAY": byday}))
    else:
        component.add("dtstart", wall)
    component.add("tzoffsetfrom", before)
    component.add("tzoffsetto", after)
    component.add("tzname", local_after.tzname() or zone.key)
    return component


def _vtimezone(tzid: str, year: int) -> Timezone:
    zone = ZoneInfo(tzid)
    onsets = _transitions(zone, year)
    following = _transitions(zone, year + 1)
    rules = [_weekday_rule((t + _offset(zone, t)).replace(tzinfo=None)) for t in onsets]
    next_rules = [_weekday_rule((t + _offset(zone, t)).replace(tzinfo=None)) for t in following]
    timezone = Timezone()
    timezone.add("tzid", tzid)
    if onsets and rules == next_rules:
        for onset, rule in zip(onsets, rules, strict=True):
            timezone.add_component(_component(zone, onset, rule))
    elif not onsets:
        # No daylight saving time: a single standard offset.
        standard = TimezoneStandard()
        offset = _offset(zone, datetime(year, 1, 1, tzinfo=UTC))
        standard.add("dtstart", datetime(RULE_START_YEAR, 1, 1))
        standard.add("tzoffsetfrom", offset)
        standard.add("tzoffsetto", offset)
        standard.add("tzname", datetime(year, 1, 1, tzinfo=zone).tzname() or tzid)
        timezone.add_component(standard)
    else:
        # A rule that is no "n-th weekday": list the year's onsets and the next year's.
        for onset in [*onsets, *following]:
            timezone.add_component(_component(zone, onset, None))
    return timezone


@lru_cache(maxsize=64)
def vtimezone(tzid: str, year: int) -> Timezone:
    """The VTIMEZONE for ``tzid`` with the rules in force in ``year`` (built once, cached).

    The same component is shared by every calendar that includes it: never modify it.
    """
    return _vtimezone(tzid, year)
