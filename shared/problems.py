"""RFC 9457 problem details with stable `type` URIs.

Domain code raises these; the HTTP layer renders them as application/problem+json.
The `type` slugs are part of the API contract: never rename one.
"""
from __future__ import annotations

from typing import Any

PROBLEM_BASE = "https://records.example/problems/"
PROBLEM_CONTENT_TYPE = "application/problem+json"


class Problem(Exception):
    """An expected failure with a stable type, an HTTP status and a human detail."""

    slug = "internal"
    title = "Internal error"
    status = 500

    def __init__(self, detail: str, *, errors: list[dict[str, Any]] | None = None,
                 headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []
        self.headers = headers or {}  # response header fields the problem comes with (e.g. Retry-After)
        self.extra = extra

    @property
    def type(self) -> str:
        return PROBLEM_BASE + self.slug

    def to_dict(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"type": self.type, "title": self.title, "status": self.status, "detail": self.detail}
        if instance:
            body["instance"] = instance
        if self.errors:
            body["errors"] = self.errors
        body.update(self.extra)
        return body


def _problem(slug: str, title: str, status: int) -> type[Problem]:
    return type(title.title().replace(" ", "").replace("-", ""), (Problem,), {"slug": slug, "title": title, "status": status})


# 4xx: the caller can fix these.
MalformedRequest = _problem("malformed-request", "Malformed request", 400)
ValidationFailed = _problem("validation-failed", "Validation failed", 400)
InvalidCursor = _problem("invalid-cursor", "Invalid pagination cursor", 400)
Unauthenticated = _problem("unauthenticated", "Unauthenticated", 401)
Forbidden = _problem("forbidden", "Forbidden", 403)
NotFound = _problem("not-found", "Not found", 404)
Conflict = _problem("conflict", "Conflict", 409)
IdempotencyInProgress = _problem("idempotency-in-progress", "Request with this Idempotency-Key in progress", 409)
PreconditionFailed = _problem("precondition-failed", "Precondition failed", 412)
PayloadTooLarge = _problem("payload-too-large", "Payload too large", 413)
UnsupportedMediaType = _problem("unsupported-media-type", "Unsupported media type", 415)
IdempotencyKeyReused = _problem("idempotency-key-reused", "Idempotency-Key reused with a different request", 422)
PreconditionRequired = _problem("precondition-required", "Precondition required", 428)
QuotaExceeded = _problem("quota-exceeded", "Quota exceeded", 429)
# 5xx: ours to fix or retry.
ServiceUnavailable = _problem("service-unavailable", "Service unavailable", 503)
