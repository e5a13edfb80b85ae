"""Calendar feed timings for a 300-session programme, next to a trivial endpoint.

Builds the programme in a temporary SQLite database and drives the app through
Flask's test client (no network, so the figures are the application's own cost).
Prints figures only.

    .venv/bin/python bench/feeds.py [--sessions 300] [--seconds 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def build_programme(db, models, sessions: int):
    """One published congress with tracks, rooms, speakers and ``sessions`` sessions."""
    start = datetime(2027, 5, 16, 7, 0, tzinfo=UTC)
    event = models.Event(
        kind=models.EventKind.CONGRESS,
        slug="fachkongress-buerstadt",
        title="Fachkongress zur sozialen Quartiersentwicklung",
        starts_at=start,
        ends_at=start + timedelta(days=3),
        venue="Bürgerhaus Bürstadt",
        address="Nibelungenstraße 1, 68642 Bürstadt",
        latitude=49.6427,
        longitude=8.4588,
        status=models.EventStatus.PUBLISHED,
    )
    tracks = [
        models.Track(event=event, name=name, position=i)
        for i, name in enumerate(
            [
                "Gesellschaftliche Teilhabe und Integration",
                "Lebensqualität",
                "Umweltbewusstsein",
                "Wirtschaftliche Versorgung",
            ]
        )
    ]
    rooms = [models.Room(event=event, name=f"Raum {i + 1}", position=i) for i in range(10)]
    speakers = [
        models.Speaker(event=event, name=f"Dr. Sprecherin {i}", organisation="Hochschule Darmstadt")
        for i in range(60)
    ]
    db.session.add_all([event, *tracks, *rooms, *speakers])
    for i in range(sessions):
        slot_start = start + timedelta(hours=(i // 10) % 30, days=i // 100)
        db.session.add(
            models.Session(
                event=event,
                title=f"Werkstatt {i + 1}: Nachbarschaft gemeinsam gestalten",
                abstract="Wie Quartiere zusammenfinden: Beispiele aus Förderkommunen. " * 4,
                kind=models.SessionKind.WORKSHOP,
                track=tracks[i % len(tracks)],
                room=rooms[i % len(rooms)],
                starts_at=slot_start,
                ends_at=slot_start + timedelta(minutes=50),
                capacity=30,
                speakers=[speakers[i % len(speakers)], speakers[(i + 7) % len(speakers)]],
            )
        )
    db.session.commit()
    registration = models.Registration(
        event=event,
        status=models.RegistrationStatus.CONFIRMED,
        first_name="Jörg",
        last_name="Müller",
        email="bench@example.org",
        email_normalized="bench@example.org",
    )
    db.session.add(registration)
    db.session.flush()
    for chosen in event.sessions[:5]:
        db.session.add(
            models.SessionChoice(
                registration=registration, session=chosen, status=models.ChoiceStatus.CONFIRMED
            )
        )
    db.session.commit()
    return event, registration


def timed(call, repeat: int) -> list[float]:
    """Milliseconds per call."""
    result = []
    for _ in range(repeat):
        began = time.perf_counter()
        call()
        result.append((time.perf_counter() - began) * 1000)
    return result


def rate(call, seconds: float) -> float:
    """Calls per second over about ``seconds``."""
    count = 0
    began = time.perf_counter()
    deadline = began + seconds
    while time.perf_counter() < deadline:
        call()
        count += 1
    return count / (time.perf_counter() - began)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="feeds-bench-")
    os.environ["EVENTAPP_INSTANCE_PATH"] = workdir
    from eventapp import create_app, models
    from eventapp.extensions import db
    from eventapp.feeds.cache import feed_cache

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": "sqlite:///" + os.path.join(workdir, "bench.db"),
            "SECRET_KEY": "bench",
            "RATELIMIT_ENABLED": False,
            "MAIL_SEND_INLINE": False,
            "PUBLIC_BASE_URL": "https://events.example.org",
        }
    )
    with app.app_context():
        db.create_all()
        event, registration = build_programme(db, models, args.sessions)
        programme_url = f"/events/{event.slug}/calendar.ics"
        personal_url = f"/calendar/{registration.calendar_token}.ics"
        db.session.remove()
    client = app.test_client()

    def get(url: str, **headers: str):
        response = client.get(url, headers=headers)
        assert response.status_code in (200, 304), (url, response.status_code)
        return response

    def cold() -> None:
        with app.app_context():
            feed_cache().clear()
        get(programme_url)

    first = get(programme_url)
    etag = first.headers["ETag"]
    for _ in range(20):  # warm up the interpreter, the connection pool and the cache
        get(programme_url)
        get("/healthz")

    cold_ms = timed(cold, 15)
    get(programme_url)
    warm_ms = timed(lambda: get(programme_url), 300)
    revalidate_ms = timed(lambda: get(programme_url, **{"If-None-Match": etag}), 300)

    def personal_cold() -> None:
        with app.app_context():
            feed_cache().clear()
        get(personal_url)

    personal_cold_ms = timed(personal_cold, 30)
    personal_ms = timed(lambda: get(personal_url), 300)
    trivial_ms = timed(lambda: get("/healthz"), 300)

    warm_rps = rate(lambda: get(programme_url), args.seconds)
    revalidate_rps = rate(lambda: get(programme_url, **{"If-None-Match": etag}), args.seconds)
    trivial_rps = rate(lambda: get("/healthz"), args.seconds)

    def line(label: str, values: list[float]) -> None:
        print(
            f"{label:<44} median {statistics.median(values):7.2f} ms"
            f"   p90 {statistics.quantiles(values, n=10)[-1]:7.2f} ms"
        )

    print(f"programme feed: {args.sessions} sessions, {len(first.data)} bytes, SQLite, test client")
    line("cold (generate, cache cleared)", cold_ms)
    line("warm (cached, 200 with body)", warm_ms)
    line("revalidation (If-None-Match, 304)", revalidate_ms)
    line("personal feed cold (event + 5 workshops)", personal_cold_ms)
    line("personal feed warm", personal_ms)
    line("trivial endpoint /healthz", trivial_ms)
    print(f"{'requests/s warm programme feed':<44} {warm_rps:9.0f}")
    print(f"{'requests/s revalidation (304)':<44} {revalidate_rps:9.0f}")
    print(f"{'requests/s /healthz':<44} {trivial_rps:9.0f}")
    print(f"{'warm feed rate / trivial rate':<44} {warm_rps / trivial_rps:9.2f}")
    speedup = statistics.median(cold_ms) / statistics.median(warm_ms)
    print(f"{'cold / warm (median)':<44} {speedup:9.1f}")


if __name__ == "__main__":
    main()
