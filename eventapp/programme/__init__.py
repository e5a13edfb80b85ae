"""The programme as organizers edit it: events, sessions, tracks, rooms and speakers.

``editing`` holds the rules for events and sessions (warnings and refusals), ``catalogue``
those for tracks, rooms and speakers; the ``views_*`` modules are their back-office pages.
"""
