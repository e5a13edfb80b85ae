"""The demo programme's English texts, keyed by the German they translate.

Kept apart from ``data.py`` so the German programme reads as one piece; the loader
looks each German title or name up here and leaves the English empty where none is
given (English readers then see the German, as for any untranslated content).
"""

from __future__ import annotations

from eventapp.demo.records import FICTIONAL

FICTIONAL_EN = "Fictional person of the demo programme."
FICTIONAL_PLACE_EN = "The municipality and its project are invented for the demo programme."

# Event slug → (title, summary, description).
EVENTS = {
    "fachkongress-buerstadt": (
        "Conference on Social Neighbourhood Development",
        "The annual conference of the Alliance for Social Cohesion (Zukunftsbündnis Sozialer "
        "Zusammenhalt) in Bürstadt: talks, a panel and eight workshops on the four fields of "
        "action.",
        "The Alliance for Social Cohesion – led jointly by the Hessian Ministry of Economics "
        "and the Hessian Ministry of Social Affairs, supported by its office at ProjektStadt "
        "(NHW) – invites municipalities, housing companies, planners, social organisations and "
        "researchers to Bürstadt.\n\n"
        "The morning brings welcome addresses, a keynote and a panel on working together "
        "locally. In two rounds of workshops, participants work on the four fields of action: "
        "social participation and integration, quality of life, environmental awareness and "
        "local supply. When you register, you choose one workshop per round; places are "
        "limited.",
    ),
    "vor-ort-besuch-eichenrode": (
        "Site visit: the Am Mühlbach neighbourhood in Eichenrode",
        "Half-day visit to a new funding municipality: a neighbourhood centre, a "
        "multi-generation house and a redesigned neighbourhood square.",
        "Eichenrode has newly joined the programme. The neighbourhood manager and the building "
        "department show how an empty supermarket became a neighbourhood centre and present "
        "the next steps. Afterwards, conversation over coffee.\n\n" + FICTIONAL_PLACE_EN,
    ),
    "vor-ort-besuch-lindenau": (
        "Site visit: the village centre of Lindenau in the Vogelsberg",
        "Half-day visit to a new rural funding municipality: a village shop, a community bus "
        "and a former inn turned into a meeting place.",
        "In Lindenau, residents and the municipality work together to keep shops and services "
        "in the village centre. The visit shows the cooperative village shop and the inn that "
        "is being converted into a meeting place for all generations.\n\n" + FICTIONAL_PLACE_EN,
    ),
}

TRACKS = {
    "Gesellschaftliche Teilhabe und Integration": "Social participation and integration",
    "Lebensqualität": "Quality of life",
    "Umweltbewusstsein": "Environmental awareness",
    "Wirtschaftliche Versorgung": "Local supply and economy",
}

ROOMS = {
    "Großer Saal": "Main hall",
    "Foyer": "Foyer",
    "Raum Rhein": "Room Rhein",
    "Raum Ried": "Room Ried",
    "Raum Nibelungen": "Room Nibelungen",
    "Raum Weschnitz": "Room Weschnitz",
    "Stadtteilzentrum, Saal": "Neighbourhood centre, hall",
    "Dorfgemeinschaftshaus": "Village hall",
}

# Session title → (title, abstract).
SESSIONS = {
    "Ankommen, Registrierung und Begrüßungskaffee": (
        "Arrival, check-in and welcome coffee",
        "Pick up your name badge, check your workshop choice, first conversations.",
    ),
    "Begrüßung und Grußworte": (
        "Welcome and opening addresses",
        "Addresses by the two lead ministries and the host town; an introduction to the day "
        "by the alliance's office.",
    ),
    "Impulsvortrag: Zusammenhalt entsteht im Quartier": (
        "Keynote: Cohesion grows in the neighbourhood",
        "What holds neighbourhoods together, and what can municipalities, housing companies "
        "and civil society do for it together? An overview of findings and examples from "
        "neighbourhood research.",
    ),
    "Podium: Gemeinsam handeln – Kommunen, Wohnungswirtschaft und Wirtschaft": (
        "Panel: Acting together – municipalities, housing and business",
        "The alliance's partners discuss how funding, on-site advice and sponsorships help "
        "small and large municipalities alike.",
    ),
    "Workshop 1A: Ankommen im Quartier – Integration vor Ort gestalten": (
        "Workshop 1A: Arriving in the neighbourhood – integration on the ground",
        "Advice, language, encounters: how local contact points help newcomers.",
    ),
    "Workshop 1B: Öffentliche Räume, die verbinden": (
        "Workshop 1B: Public spaces that connect",
        "Planning squares, play areas and meeting places together with the people who live there.",
    ),
    "Workshop 1C: Klimaanpassung im Bestand – grün, kühl, gemeinsam": (
        "Workshop 1C: Climate adaptation in existing neighbourhoods – green, cool, together",
        "Heat protection, unsealing and rainwater in densely built neighbourhoods.",
    ),
    "Workshop 1D: Nahversorgung sichern – vom Dorfladen bis zum Wochenmarkt": (
        "Workshop 1D: Securing local supply – from village shop to weekly market",
        "Models for shops, markets and mobile services where retail withdraws.",
    ),
    "Mittagspause": ("Lunch break", "Regional lunch in the foyer."),
    "Workshop 2A: Beteiligung, die alle erreicht": (
        "Workshop 2A: Participation that reaches everyone",
        "Formats for people who are missing from classic public meetings.",
    ),
    "Workshop 2B: Gesund aufwachsen und älter werden im Quartier": (
        "Workshop 2B: Growing up and growing older healthily in the neighbourhood",
        "Thinking paths, meeting places and services for children, families and older people "
        "together.",
    ),
    "Workshop 2C: Energie und Mobilität im Quartier": (
        "Workshop 2C: Energy and mobility in the neighbourhood",
        "District heating, sharing services and safe routes on foot and by bike.",
    ),
    "Workshop 2D: Lokale Ökonomie und Arbeit im Stadtteil": (
        "Workshop 2D: Local economy and work in the district",
        "Businesses, crafts and social enterprises as partners of neighbourhood development.",
    ),
    "Kaffeepause": ("Coffee break", ""),
    "Abschlussplenum: Ergebnisse der Workshops und Ausblick": (
        "Closing plenary: workshop results and outlook",
        "The workshops report back; the office looks ahead to site visits, advice and "
        "sponsorships during the year.",
    ),
    "Begrüßung und Projektvorstellung": ("Welcome and project presentation", ""),
    "Rundgang durch das Quartier": (
        "Walk through the neighbourhood",
        "On foot, about two kilometres, step-free where possible.",
    ),
    "Austausch bei Kaffee": ("Conversation over coffee", ""),
    "Begrüßung durch die Gemeinde": ("Welcome by the municipality", ""),
    "Besuch im Dorfladen und im Gasthaus": (
        "Visit to the village shop and the inn",
        "Short distances in the village centre; car sharing from the meeting point.",
    ),
    "Austausch und Fragen": ("Conversation and questions", ""),
}

SPEAKER_ROLES = {
    "Grußwort": "Welcome address",
    "Grußwort der gastgebenden Stadt": "Welcome address of the host town",
    "Moderation": "Host",
    "Podium": "Panel",
    "Professorin für Stadt- und Regionalsoziologie": "Professor of urban and regional sociology",
    "Quartiersmanagerin": "Neighbourhood manager",
    "Landschaftsarchitekt": "Landscape architect",
    "Referentin für Klimaanpassung": "Climate adaptation adviser",
    "Vorstand": "Board member",
    "Bürgermeister": "Mayor",
}

# Speaker biography → its English version (the fictional note included).
SPEAKER_BIOS = {
    FICTIONAL: FICTIONAL_EN,
    FICTIONAL + " Forscht zu Nachbarschaften, Beteiligung und sozialer Infrastruktur.": (
        FICTIONAL_EN + " Researches neighbourhoods, participation and social infrastructure."
    ),
    FICTIONAL + " Leitet seit Jahren ein Stadtteilbüro mit Beratungsangeboten.": (
        FICTIONAL_EN + " Has run a neighbourhood office with advice services for years."
    ),
    FICTIONAL + " Plant Plätze, Spielorte und Grünflächen gemeinsam mit Anwohnenden.": (
        FICTIONAL_EN + " Plans squares, play areas and green spaces together with residents."
    ),
    FICTIONAL + " Berät Kommunen zu Hitzeschutz, Entsiegelung und Energie im Bestand.": (
        FICTIONAL_EN
        + " Advises municipalities on heat protection, unsealing and energy in existing"
        " buildings."
    ),
    FICTIONAL + " Baut mit Nachbarinnen und Nachbarn einen genossenschaftlichen Laden auf.": (
        FICTIONAL_EN + " Is building a cooperative shop together with neighbours."
    ),
}
