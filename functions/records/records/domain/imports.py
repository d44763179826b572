"""Bulk registration rows (CSV or JSON) as request bodies: one row registers a file or an item.

A row says what it registers in `record` (`file` or `item`). CSV cells are text: booleans are
`true`/`false`, numbers are digits, lists (keywords, attachments, grounds, closed fields) are
separated by `;`, and the access classification is spread over `access`, `grounds`, `closed_fields`,
`review_on` and `extended_until`. JSON rows may give the same flat shape or typed values. An item
names its file by `file_reference` (a file of the same import or an earlier one) or `file_id`.
A file row with `closed_on` registers a file already closed (legacy records).
"""
from __future__ import annotations

import re
from typing import Any

RECORDS = ("file", "item")
LISTS = ("keywords", "attachments")
INTEGERS = ("volume", "pages", "scheme_version")
ACCESS_FIELDS = ("grounds", "closed_fields", "review_on", "extended_until")
_INTEGER = re.compile(r"-?[0-9]+", re.ASCII)


def _list(value: Any) -> Any:
    if isinstance(value, str):
        return [part.strip() for part in value.split(";") if part.strip()]
    return value


def _integer(value: Any) -> Any:
    if isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
        return int(value.strip())
    return value  # anything else is the schema's to refuse, by name


def _boolean(value: Any) -> Any:
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "yes", "no", "1", "0", "y", "n"):
        return value.strip().lower() in ("true", "yes", "1", "y")
    return value


def body_of(row: dict[str, Any]) -> dict[str, Any]:
    """The row as the body of a file or item registration (types converted where the text is unambiguous)."""
    body: dict[str, Any] = {}
    access: dict[str, Any] = {}
    for name, value in row.items():
        if isinstance(value, str):
            value = value.strip()
            if value == "":
                continue
        if name == "access" and isinstance(value, dict):
            access.update(value)
        elif name == "access":
            access["classification"] = value
        elif name in ACCESS_FIELDS:
            access[name] = ([_integer(g) for g in _list(value)] if name == "grounds" and not isinstance(value, list)
                            else _list(value) if name == "closed_fields" else value)
        elif name in LISTS:
            body[name] = _list(value)
        elif name in INTEGERS:
            body[name] = _integer(value)
        elif name == "electronic":
            body[name] = _boolean(value)
        else:
            body[name] = value
    if access:
        body["access"] = access
    return body
