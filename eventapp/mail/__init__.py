"""Email through a transactional outbox."""
