"""The demo programme as plain data: the Bürstadt congress and site visits.

Times are local wall-clock times (Europe/Berlin) on the day of each event; the
loader turns them into UTC. Speakers from real institutions appear only by their
role and organisation; every named person here is fictional. Nobody is quoted.
"""

from __future__ import annotations

from decimal import Decimal

from eventapp.demo.records import (
    FICTIONAL,
    EventData,
    RoomData,
    SessionData,
    SpeakerData,
    TrackData,
    t,
)
from eventapp.demo.site_visits import SITE_VISITS
from eventapp.models import EventKind, SessionKind

TIMEZONE = "Europe/Berlin"
CONGRESS_SLUG = "fachkongress-buerstadt"
CONGRESS_MONTH, CONGRESS_DAY = 5, 16

# The four fields of action; colours keep at least 4.5:1 contrast to white text.
TEILHABE = "Gesellschaftliche Teilhabe und Integration"
LEBENSQUALITAET = "Lebensqualität"
UMWELT = "Umweltbewusstsein"
VERSORGUNG = "Wirtschaftliche Versorgung"


# --- the congress ------------------------------------------------------------

MINISTRY_ECONOMY = "Vertretung des Hessischen Wirtschaftsministeriums"
MINISTRY_SOCIAL = "Vertretung des Hessischen Sozialministeriums"
MAYOR = "Bürgermeisterin oder Bürgermeister der Stadt Bürstadt"
OFFICE = "Leitung der Geschäftsstelle des Zukunftsbündnisses"
KEYNOTE = "Prof. Dr. Helene Sommerfeld"
CITIES = "Vertretung des Hessischen Städtetags"
TOWNS = "Vertretung des Hessischen Städte- und Gemeindebunds"
HOUSING = "Vertretung der Wohnungswirtschaft"
CHAMBERS = "Vertretung der Industrie- und Handelskammern"
MOD_TEILHABE = "Aylin Demir"
MOD_LEBEN = "Jonas Brandt"
MOD_UMWELT = "Dr. Katrin Weidner"
MOD_VERSORGUNG = "Marek Nowak"

SAAL = "Großer Saal"
FOYER = "Foyer"
RHEIN = "Raum Rhein"
RIED = "Raum Ried"
NIBELUNGEN = "Raum Nibelungen"
WESCHNITZ = "Raum Weschnitz"

ROUND_1 = (t("11:45"), t("13:00"))
ROUND_2 = (t("14:00"), t("15:15"))


def _workshop(
    title: str, track: str, room: str, capacity: int, moderator: str, slot, abstract: str
) -> SessionData:
    return SessionData(
        title=title,
        kind=SessionKind.WORKSHOP,
        starts=slot[0],
        ends=slot[1],
        room=room,
        track=track,
        capacity=capacity,
        speakers=(moderator,),
        abstract=abstract,
    )


CONGRESS = EventData(
    slug=CONGRESS_SLUG,
    kind=EventKind.CONGRESS,
    title="Fachkongress zur sozialen Quartiersentwicklung",
    summary=(
        "Der jährliche Fachkongress des Zukunftsbündnisses Sozialer Zusammenhalt in Bürstadt: "
        "Impulse, Podium und acht Workshops zu den vier Handlungsfeldern."
    ),
    description=(
        "Das Zukunftsbündnis Sozialer Zusammenhalt – gemeinsam getragen vom Hessischen "
        "Wirtschaftsministerium und vom Hessischen Sozialministerium, begleitet von der "
        "Geschäftsstelle bei ProjektStadt (NHW) – lädt Kommunen, Wohnungsunternehmen, "
        "Planungsbüros, soziale Träger und Wissenschaft nach Bürstadt ein.\n\n"
        "Am Vormittag stehen Grußworte, ein Impulsvortrag und ein Podium zur Zusammenarbeit "
        "vor Ort auf dem Programm. In zwei Workshop-Runden arbeiten die Teilnehmenden an den "
        "vier Handlungsfeldern: gesellschaftliche Teilhabe und Integration, Lebensqualität, "
        "Umweltbewusstsein und wirtschaftliche Versorgung. Bei der Anmeldung wählen Sie je "
        "Runde einen Workshop; die Plätze sind begrenzt."
    ),
    day_offset=0,
    starts=t("08:30"),
    ends=t("16:30"),
    venue="Bürgerhaus Bürstadt",
    address="Nibelungenstraße 1, 68642 Bürstadt",
    municipality="Bürstadt",
    latitude=Decimal("49.642900"),
    longitude=Decimal("8.458600"),
    capacity=250,
    tracks=(
        TrackData(TEILHABE, "#1f5f8b"),
        TrackData(LEBENSQUALITAET, "#7a3e9d"),
        TrackData(UMWELT, "#2e7d32"),
        TrackData(VERSORGUNG, "#a64b00"),
    ),
    rooms=(
        RoomData(SAAL, 260),
        RoomData(FOYER, None),
        RoomData(RHEIN, 40),
        RoomData(RIED, 35),
        RoomData(NIBELUNGEN, 30),
        RoomData(WESCHNITZ, 30),
    ),
    speakers=(
        SpeakerData(MINISTRY_ECONOMY, "Hessisches Wirtschaftsministerium", "Grußwort"),
        SpeakerData(MINISTRY_SOCIAL, "Hessisches Sozialministerium", "Grußwort"),
        SpeakerData(MAYOR, "Stadt Bürstadt", "Grußwort der gastgebenden Stadt"),
        SpeakerData(
            OFFICE,
            "ProjektStadt – Geschäftsstelle des Zukunftsbündnisses Sozialer Zusammenhalt",
            "Moderation",
        ),
        SpeakerData(
            KEYNOTE,
            "Institut für Quartiersforschung Rhein-Main",
            "Professorin für Stadt- und Regionalsoziologie",
            FICTIONAL + " Forscht zu Nachbarschaften, Beteiligung und sozialer Infrastruktur.",
        ),
        SpeakerData(CITIES, "Hessischer Städtetag", "Podium"),
        SpeakerData(TOWNS, "Hessischer Städte- und Gemeindebund", "Podium"),
        SpeakerData(HOUSING, "Wohnungsunternehmen in Hessen", "Podium"),
        SpeakerData(CHAMBERS, "Industrie- und Handelskammern in Hessen", "Podium"),
        SpeakerData(
            MOD_TEILHABE,
            "Quartiersmanagement Südstadt",
            "Quartiersmanagerin",
            FICTIONAL + " Leitet seit Jahren ein Stadtteilbüro mit Beratungsangeboten.",
        ),
        SpeakerData(
            MOD_LEBEN,
            "Planungsbüro Freiraum & Stadt",
            "Landschaftsarchitekt",
            FICTIONAL + " Plant Plätze, Spielorte und Grünflächen gemeinsam mit Anwohnenden.",
        ),
        SpeakerData(
            MOD_UMWELT,
            "Energieagentur Ried",
            "Referentin für Klimaanpassung",
            FICTIONAL + " Berät Kommunen zu Hitzeschutz, Entsiegelung und Energie im Bestand.",
        ),
        SpeakerData(
            MOD_VERSORGUNG,
            "Stadtteilgenossenschaft Mittendrin eG",
            "Vorstand",
            FICTIONAL + " Baut mit Nachbarinnen und Nachbarn einen genossenschaftlichen Laden auf.",
        ),
    ),
    sessions=(
        SessionData(
            "Ankommen, Registrierung und Begrüßungskaffee",
            SessionKind.BREAK,
            t("08:30"),
            t("09:30"),
            room=FOYER,
            abstract="Namensschild abholen, Workshop-Wahl prüfen, erste Gespräche.",
        ),
        SessionData(
            "Begrüßung und Grußworte",
            SessionKind.TALK,
            t("09:30"),
            t("10:00"),
            room=SAAL,
            speakers=(MINISTRY_ECONOMY, MINISTRY_SOCIAL, MAYOR, OFFICE),
            abstract=(
                "Grußworte der beiden federführenden Ministerien und der gastgebenden Stadt; "
                "Einführung in den Tag durch die Geschäftsstelle."
            ),
        ),
        SessionData(
            "Impulsvortrag: Zusammenhalt entsteht im Quartier",
            SessionKind.KEYNOTE,
            t("10:00"),
            t("10:45"),
            room=SAAL,
            speakers=(KEYNOTE,),
            abstract=(
                "Was hält Nachbarschaften zusammen, und was können Kommunen, Wohnungswirtschaft "
                "und Zivilgesellschaft gemeinsam dafür tun? Ein Überblick über Befunde und "
                "Beispiele aus der Quartiersforschung."
            ),
        ),
        SessionData(
            "Podium: Gemeinsam handeln – Kommunen, Wohnungswirtschaft und Wirtschaft",
            SessionKind.PANEL,
            t("10:45"),
            t("11:45"),
            room=SAAL,
            speakers=(CITIES, TOWNS, HOUSING, CHAMBERS, OFFICE),
            abstract=(
                "Die Partner des Bündnisses diskutieren, wie Förderung, Beratung vor Ort und "
                "Patenschaften kleinen wie großen Kommunen helfen."
            ),
        ),
        _workshop(
            "Workshop 1A: Ankommen im Quartier – Integration vor Ort gestalten",
            TEILHABE,
            RHEIN,
            40,
            MOD_TEILHABE,
            ROUND_1,
            "Beratung, Sprache, Begegnung: wie Anlaufstellen im Quartier Neuankommenden helfen.",
        ),
        _workshop(
            "Workshop 1B: Öffentliche Räume, die verbinden",
            LEBENSQUALITAET,
            RIED,
            35,
            MOD_LEBEN,
            ROUND_1,
            "Plätze, Spielorte und Treffpunkte gemeinsam mit den Menschen vor Ort planen.",
        ),
        _workshop(
            "Workshop 1C: Klimaanpassung im Bestand – grün, kühl, gemeinsam",
            UMWELT,
            NIBELUNGEN,
            30,
            MOD_UMWELT,
            ROUND_1,
            "Hitzeschutz, Entsiegelung und Regenwasser in dicht bebauten Quartieren.",
        ),
        _workshop(
            "Workshop 1D: Nahversorgung sichern – vom Dorfladen bis zum Wochenmarkt",
            VERSORGUNG,
            WESCHNITZ,
            25,
            MOD_VERSORGUNG,
            ROUND_1,
            "Modelle für Läden, Märkte und mobile Angebote, wo der Handel sich zurückzieht.",
        ),
        SessionData(
            "Mittagspause",
            SessionKind.BREAK,
            t("13:00"),
            t("14:00"),
            room=FOYER,
            abstract="Regionales Mittagessen im Foyer.",
        ),
        _workshop(
            "Workshop 2A: Beteiligung, die alle erreicht",
            TEILHABE,
            RHEIN,
            40,
            MOD_TEILHABE,
            ROUND_2,
            "Formate für Menschen, die bei klassischen Bürgerversammlungen fehlen.",
        ),
        _workshop(
            "Workshop 2B: Gesund aufwachsen und älter werden im Quartier",
            LEBENSQUALITAET,
            RIED,
            35,
            MOD_LEBEN,
            ROUND_2,
            "Wege, Treffpunkte und Angebote für Kinder, Familien und Ältere zusammendenken.",
        ),
        _workshop(
            "Workshop 2C: Energie und Mobilität im Quartier",
            UMWELT,
            NIBELUNGEN,
            30,
            MOD_UMWELT,
            ROUND_2,
            "Quartierswärme, Sharing-Angebote und sichere Wege zu Fuß und mit dem Rad.",
        ),
        _workshop(
            "Workshop 2D: Lokale Ökonomie und Arbeit im Stadtteil",
            VERSORGUNG,
            WESCHNITZ,
            25,
            MOD_VERSORGUNG,
            ROUND_2,
            "Gewerbe, Handwerk und soziale Betriebe als Partner der Quartiersentwicklung.",
        ),
        SessionData(
            "Kaffeepause",
            SessionKind.BREAK,
            t("15:15"),
            t("15:45"),
            room=FOYER,
        ),
        SessionData(
            "Abschlussplenum: Ergebnisse der Workshops und Ausblick",
            SessionKind.TALK,
            t("15:45"),
            t("16:30"),
            room=SAAL,
            speakers=(OFFICE, MOD_TEILHABE, MOD_LEBEN, MOD_UMWELT, MOD_VERSORGUNG),
            abstract=(
                "Die Workshops berichten; die Geschäftsstelle gibt einen Ausblick auf "
                "Vor-Ort-Besuche, Beratung und Patenschaften im laufenden Jahr."
            ),
        ),
    ),
)

EVENTS: tuple[EventData, ...] = (CONGRESS, *SITE_VISITS)
