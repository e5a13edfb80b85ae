"""Email through a transactional outbox.

``outbox`` (message kinds, the row factory), ``listeners`` (domain events to outbox
rows; connected by ``create_app``), ``messages`` (rows to MIME), ``delivery`` (SMTP,
retries), ``inline`` (the background sender), ``services`` (organizers' mails and
the outbox overview), ``cli`` (``mail deliver``). Importing the package registers nothing.
"""
