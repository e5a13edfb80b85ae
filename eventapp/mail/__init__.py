"""Email through a transactional outbox."""

# Registers the session listeners that write the outbox with each change.
from eventapp.mail import outbox  # noqa: F401
