"""Optimistic concurrency: every entity carries a `version`; its ETag is that version.

Updates must send `If-Match` with the ETag they read. Missing → 428, stale → 412
(raised by the data layer when the conditional write fails).
"""
from __future__ import annotations

import re

from shared.problems import PreconditionFailed, PreconditionRequired


def etag(version: int) -> str:
    return f'"{version}"'


def expected_version(if_match: str | None) -> int:
    if not if_match:
        raise PreconditionRequired("Send If-Match with the ETag from your last read of this resource.")
    value = if_match.strip()
    if value.startswith("W/"):
        value = value[2:]
    value = value.strip('"')
    if not re.fullmatch(r"[0-9]+", value):  # not str.isdigit(): '²' passes it and int() refuses it
        raise PreconditionFailed("If-Match does not hold an ETag this API issued.")
    return int(value)


def stale(resource: str) -> PreconditionFailed:
    return PreconditionFailed(f"The {resource} changed since you read it; read it again and retry.")


def require_version(entity, expected_version: int, resource: str) -> None:
    """The entity read now is the version the caller read (If-Match); else 412."""
    if entity.version != expected_version:
        raise stale(resource)
