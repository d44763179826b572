"""Opaque-cursor pagination over DynamoDB queries.

A cursor is the query's LastEvaluatedKey, base64url-encoded JSON. It is opaque to
clients; on the way back it is checked to be well formed and to stay inside the
partition the route is allowed to read, so a crafted cursor cannot reach another
organisation's items.
"""
from __future__ import annotations

import base64
import binascii
import json
from typing import Any, Mapping

from shared.problems import InvalidCursor, ValidationFailed

DEFAULT_LIMIT = 25
MAX_LIMIT = 100


def parse_limit(params: Mapping[str, str] | None) -> int:
    raw = (params or {}).get("limit")
    if raw is None:
        return DEFAULT_LIMIT
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise ValidationFailed(f"limit must be an integer from 1 to {MAX_LIMIT}", errors=[{"field": "limit", "message": "out of range"}])
    return int(raw)


def encode_cursor(last_evaluated_key: Mapping[str, Any] | None) -> str | None:
    """Accepts plain keys or DynamoDB's typed form ({"pk": {"S": "..."}}); keys are strings here."""
    if not last_evaluated_key:
        return None
    plain = {k: (v["S"] if isinstance(v, Mapping) else v) for k, v in last_evaluated_key.items()}
    raw = json.dumps(plain, sort_keys=True, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, *, expected: Mapping[str, str], keys: set[str]) -> dict[str, Any] | None:
    """Decode a cursor: exactly the `keys` of the table or index read, with `expected` attributes
    (e.g. the partition key) pinned to their allowed values."""
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise InvalidCursor("The cursor is not one this API issued.") from None
    if (not isinstance(key, dict) or set(key) != keys
            or not all(isinstance(v, str) and 0 < len(v) <= 1024 for v in key.values())):
        raise InvalidCursor("The cursor is not one this API issued.")
    for attr, value in expected.items():
        if key.get(attr) != value:
            raise InvalidCursor("The cursor belongs to another listing.")
    return key


def typed_key(key: Mapping[str, str] | None) -> dict[str, Any] | None:
    """A decoded cursor in DynamoDB's typed form, as ExclusiveStartKey wants it."""
    return {k: {"S": v} for k, v in key.items()} if key else None

