"""Demo site visits to funding municipalities; the places are fictional."""

from __future__ import annotations

from decimal import Decimal

from eventapp.demo.records import (
    FICTIONAL,
    EventData,
    RoomData,
    SessionData,
    SpeakerData,
    t,
)
from eventapp.models import EventKind, SessionKind

FICTIONAL_PLACE = "Die Kommune und ihr Projekt sind für das Demo-Programm erfunden."

SITE_VISITS = (
    EventData(
        slug="vor-ort-besuch-eichenrode",
        kind=EventKind.SITE_VISIT,
        title="Vor-Ort-Besuch: Quartier Am Mühlbach in Eichenrode",
        summary=(
            "Halbtägiger Besuch einer neuen Förderkommune: Stadtteilzentrum, Mehrgenerationenhaus "
            "und ein neu gestalteter Quartiersplatz."
        ),
        description=(
            "Eichenrode ist neu in das Programm aufgenommen worden. Die Quartiersmanagerin und "
            "das Bauamt zeigen, wie aus einem leerstehenden Supermarkt ein Stadtteilzentrum "
            "wurde, und stellen die nächsten Schritte vor. Danach Austausch bei Kaffee.\n\n"
            + FICTIONAL_PLACE
        ),
        day_offset=39,
        starts=t("09:30"),
        ends=t("13:00"),
        venue="Stadtteilzentrum Am Mühlbach",
        address="Mühlbachstraße 12, 35789 Eichenrode",
        municipality="Eichenrode",
        meeting_point="Bahnhofsvorplatz Eichenrode, am Infopavillon",
        latitude=Decimal("50.476300"),
        longitude=Decimal("8.262100"),
        capacity=25,
        rooms=(RoomData("Stadtteilzentrum, Saal", 60),),
        speakers=(
            SpeakerData(
                "Sabine Kröger",
                "Stadt Eichenrode, Quartiersmanagement",
                "Quartiersmanagerin",
                FICTIONAL,
            ),
        ),
        sessions=(
            SessionData(
                "Begrüßung und Projektvorstellung",
                SessionKind.TALK,
                t("09:30"),
                t("10:15"),
                room="Stadtteilzentrum, Saal",
                speakers=("Sabine Kröger",),
            ),
            SessionData(
                "Rundgang durch das Quartier",
                SessionKind.TALK,
                t("10:15"),
                t("12:00"),
                speakers=("Sabine Kröger",),
                abstract="Zu Fuß, etwa zwei Kilometer, barrierearm.",
            ),
            SessionData(
                "Austausch bei Kaffee",
                SessionKind.BREAK,
                t("12:00"),
                t("13:00"),
                room="Stadtteilzentrum, Saal",
            ),
        ),
    ),
    EventData(
        slug="vor-ort-besuch-lindenau",
        kind=EventKind.SITE_VISIT,
        title="Vor-Ort-Besuch: Ortskern Lindenau im Vogelsberg",
        summary=(
            "Halbtägiger Besuch einer neuen Förderkommune im ländlichen Raum: Dorfladen, "
            "Bürgerbus und ein umgebautes Gasthaus als Treffpunkt."
        ),
        description=(
            "In Lindenau sichern Bürgerinnen und Bürger gemeinsam mit der Gemeinde die "
            "Versorgung im Ortskern. Der Besuch zeigt den genossenschaftlichen Dorfladen und "
            "das Gasthaus, das zum Treffpunkt für alle Generationen umgebaut wird.\n\n"
            + FICTIONAL_PLACE
        ),
        day_offset=123,
        starts=t("13:30"),
        ends=t("17:00"),
        venue="Dorfgemeinschaftshaus Lindenau",
        address="Kirchgasse 3, 36399 Lindenau",
        municipality="Lindenau",
        meeting_point="Parkplatz am Dorfgemeinschaftshaus",
        latitude=Decimal("50.552400"),
        longitude=Decimal("9.287700"),
        capacity=30,
        rooms=(RoomData("Dorfgemeinschaftshaus", 80),),
        speakers=(
            SpeakerData(
                "Thomas Rehbein",
                "Gemeinde Lindenau",
                "Bürgermeister",
                FICTIONAL,
            ),
            SpeakerData(
                "Petra Lang",
                "Dorfladen Lindenau eG",
                "Vorstand",
                FICTIONAL,
            ),
        ),
        sessions=(
            SessionData(
                "Begrüßung durch die Gemeinde",
                SessionKind.TALK,
                t("13:30"),
                t("14:00"),
                room="Dorfgemeinschaftshaus",
                speakers=("Thomas Rehbein",),
            ),
            SessionData(
                "Besuch im Dorfladen und im Gasthaus",
                SessionKind.TALK,
                t("14:00"),
                t("16:00"),
                speakers=("Petra Lang", "Thomas Rehbein"),
                abstract="Kurze Wege im Ortskern; Fahrgemeinschaften vom Treffpunkt aus.",
            ),
            SessionData(
                "Austausch und Fragen",
                SessionKind.BREAK,
                t("16:00"),
                t("17:00"),
                room="Dorfgemeinschaftshaus",
            ),
        ),
    ),
)
