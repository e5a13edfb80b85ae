"""What a German public body must publish, and the operator details it is written from.

``settings`` (the operator's details: database row over ``OPERATOR_*`` defaults; read with
``operator_settings()``), ``feedback`` (barrier reports: stored and mailed to the office),
``views`` (the public pages: Impressum, accessibility statement, Leichte Sprache,
Gebärdensprache; its own blueprint), ``management`` (the back-office pages on ``admin.bp``),
``forms``. The package itself imports nothing, so mail can read the settings without
pulling in the pages.
"""
