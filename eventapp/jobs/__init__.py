"""Background jobs: long work (name badges, certificates, large exports) done by the worker.

A request only queues a job (``services.enqueue``) and answers at once; the mail worker
(``flask mail deliver --loop``, or ``flask jobs work``) claims it with a conditional UPDATE
(queued → running), runs it with a heartbeat and a progress count, and stores the result in
the instance folder's ``jobs/`` (never served as a static file). The back office shows the
progress and offers the download to organizers; files are deleted after
``JOB_RETENTION_DAYS`` and with the event's personal data.
"""
