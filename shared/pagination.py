"""Opaque-cursor pagination over DynamoDB queries, and the shape of a page.

Listings take `limit` and `cursor` (the `PAGE` query parameters) and answer `{items, next_cursor}`
(`page_of(item schema)`). A cursor is the query's LastEvaluatedKey, base64url-encoded JSON. It is opaque to
clients; on the way back it is checked to be well formed and to stay inside the
partition the route is allowed to read, so a crafted cursor cannot reach another
organisation's items.
"""
from __future__ import annotations

import base64
import binascii
import json
from typing import Any, Mapping

from shared.problems import InvalidCursor
from shared.query import param, read

DEFAULT_LIMIT = 25
MAX_LIMIT = 100

LIMIT = param("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
              f"Page size, 1 to {MAX_LIMIT} (default {DEFAULT_LIMIT}).")
CURSOR = param("cursor", {"type": "string"}, "Opaque `next_cursor` of the previous page; absent for the first page.")
PAGE = (LIMIT, CURSOR)
# Published under components.parameters of the OpenAPI document.
PARAMETERS = {"Limit": LIMIT, "Cursor": CURSOR}


def page_of(item_schema: dict[str, Any]) -> dict[str, Any]:
    """The JSON Schema of a page of `item_schema`s."""
    return {"type": "object", "required": ["items", "next_cursor"],
            "properties": {"items": {"type": "array", "items": item_schema},
                           "next_cursor": {"type": ["string", "null"]}}}


def parse_limit(params: Mapping[str, str] | None) -> int:
    """The page size a query asks for (ASCII digits only), DEFAULT_LIMIT when absent."""
    return read({"limit": params["limit"]} if params and "limit" in params else {}, [LIMIT])["limit"]


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

