"""Dashboard figures: counts per status, workshop fill levels, registrations over time.

Seat and waiting-list numbers come from the availability read model
(``eventapp.registration.availability``); this module adds the check-ins and the chart.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func

from eventapp.extensions import db
from eventapp.models import ENTRANCE, CheckIn, Event, Registration, Session, utcnow
from eventapp.registration.availability import availability_of, event_availability

CHART_WIDTH = 640
CHART_HEIGHT = 200
CHART_PADDING = 32
MAX_BARS = 60  # longer periods are shown in weeks so bars stay readable
MIN_DAYS = 14
MAX_BAR_WIDTH = 24


@dataclass
class EventCounts:
    confirmed: int = 0
    waitlisted: int = 0
    cancelled: int = 0
    checked_in: int = 0

    @property
    def registered(self) -> int:
        """The back office's "registered": active registrations, confirmed and waitlisted.

        The door's "registered" (``checkin/status``) counts only the confirmed.
        """
        return self.confirmed + self.waitlisted


@dataclass
class WorkshopFill:
    session: Session
    confirmed: int
    waitlisted: int

    @property
    def percent(self) -> int | None:
        if not self.session.capacity:
            return None
        return min(100, round(100 * self.confirmed / self.session.capacity))


@dataclass
class Bar:
    label: str  # the day as ISO 8601, a key for code; pages show ``day`` in the locale's format
    day: date
    count: int
    x: float
    y: float
    width: float
    height: float


@dataclass
class Chart:
    bars: list[Bar]
    total: int
    maximum: int
    width: int = CHART_WIDTH
    height: int = CHART_HEIGHT
    padding: int = CHART_PADDING
    by_week: bool = False


def counts_by_event(events: Iterable[Event]) -> dict[int, EventCounts]:
    """Event id → registrations per status and entrance check-ins, in a few queries."""
    events = list(events)
    if not events:
        return {}
    checked_in = dict(
        db.session.execute(
            db.select(Registration.event_id, func.count(func.distinct(CheckIn.registration_id)))
            .join(Registration, Registration.id == CheckIn.registration_id)
            .where(
                Registration.event_id.in_([event.id for event in events]),
                CheckIn.list_key == ENTRANCE,
            )
            .group_by(Registration.event_id)
        ).all()
    )
    return {
        event_id: EventCounts(
            confirmed=numbers.confirmed,
            waitlisted=numbers.waitlisted,
            cancelled=numbers.cancelled,
            checked_in=checked_in.get(event_id, 0),
        )
        for event_id, numbers in availability_of(events).items()
    }


def event_counts(event: Event) -> EventCounts:
    """How many registrations the event has per status, and how many came in."""
    return counts_by_event([event])[event.id]


def workshop_fill(event: Event) -> list[WorkshopFill]:
    """Confirmed seats and waiting list per workshop of active registrations."""
    seats = event_availability(event).sessions
    return [
        WorkshopFill(
            session=session,
            confirmed=seats[session.id].confirmed,
            waitlisted=seats[session.id].waitlisted,
        )
        for session in event.sessions
        if session.needs_choice
    ]


def registrations_per_day(event: Event) -> dict[date, int]:
    """New registrations per day in the event's time zone (cancelled ones included)."""
    created = db.session.execute(
        db.select(Registration.created_at).where(Registration.event_id == event.id)
    ).scalars()
    return dict(Counter(event.local(moment).date() for moment in created))


def registrations_chart(event: Event, today: date | None = None) -> Chart:
    """A bar chart of new registrations per day (or week), laid out for inline SVG.

    The axis runs from the first registration to today (or the event day, if past), and
    spans at least two weeks, so quiet days show as gaps instead of one wide bar.
    """
    per_day = registrations_per_day(event)
    if not per_day:
        return Chart(bars=[], total=0, maximum=0)
    today = today or event.local(utcnow()).date()
    first = min(per_day)
    last = max(max(per_day), min(today, event.local(event.starts_at).date()))
    last = max(last, first + timedelta(days=MIN_DAYS - 1))
    by_week = (last - first).days + 1 > MAX_BARS
    step = 7 if by_week else 1
    if by_week:
        first -= timedelta(days=first.weekday())
    buckets: list[tuple[date, int]] = []
    day = first
    while day <= last:
        buckets.append((day, sum(per_day.get(day + timedelta(d), 0) for d in range(step))))
        day += timedelta(days=step)
    maximum = max(count for _, count in buckets)
    inner_w = CHART_WIDTH - 2 * CHART_PADDING
    inner_h = CHART_HEIGHT - 2 * CHART_PADDING
    slot = inner_w / len(buckets)
    bars = []
    for index, (day, count) in enumerate(buckets):
        height = inner_h * count / maximum
        width = min(max(slot * 0.8, 1), MAX_BAR_WIDTH)
        bars.append(
            Bar(
                label=day.isoformat(),
                day=day,
                count=count,
                x=round(CHART_PADDING + index * slot + (slot - width) / 2, 2),
                y=round(CHART_PADDING + inner_h - height, 2),
                width=round(width, 2),
                height=round(height, 2),
            )
        )
    return Chart(bars=bars, total=sum(per_day.values()), maximum=maximum, by_week=by_week)
