"""Email through a transactional outbox.

``outbox`` (message kinds, the row factory), ``listeners`` (domain events to outbox
rows; connected by ``create_app``), ``messages`` (rows to MIME and previews), ``sender``
(From, Reply-To and the footer's operator details: ``mail_identity``), ``delivery``
(claims, retries), ``transports`` (SMTP, or ``.eml`` files with ``MAIL_BACKEND=file``),
``inline`` (the background sender), ``services`` (organizers' mails and the outbox
overview), ``views`` (the outbox page), ``cli`` (``mail deliver``). Importing the package
registers nothing.
"""
