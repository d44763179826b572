"""The project's common library, deployed as a Lambda layer.

One way to do each cross-cutting concern: observability, problems (RFC 9457),
HTTP plumbing for Chalice, validation, pagination, optimistic concurrency,
idempotency, the caller context, the event envelope and the transactional outbox.
Nothing here knows any capability.
"""
