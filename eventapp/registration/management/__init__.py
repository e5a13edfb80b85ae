"""Registration management for organizers: lists and search, actions, exports, badges, bulk mail.

``roster`` finds participants, ``actions`` changes one registration on a person's behalf,
``exports``/``badges`` build downloads and ``bulk_mail`` writes to many; the ``views_*``
modules are their back-office pages.
"""
