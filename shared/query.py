"""Query parameters: declared once, read one way.

A route declares its query parameters as OpenAPI Parameter Objects (`param(...)`), in
its capability's `schemas` module; `shared.http` reads the request's query with them
before the view runs, and the OpenAPI builder publishes the very same objects. Query
values arrive as text: integers are converted here, counting ASCII digits only
(`str.isdigit()` also accepts '²', '①', '٣', '𝟓', which `int()` then refuses or reads
as another number).
"""
from __future__ import annotations

import re
from typing import Any, Iterable, Mapping

from shared.problems import ValidationFailed
from shared.validation import validate

_INTEGER = re.compile(r"-?[0-9]+", re.ASCII)


def param(name: str, schema: dict[str, Any], description: str, *, required: bool = False) -> dict[str, Any]:
    """A query parameter, as an OpenAPI Parameter Object."""
    return {"name": name, "in": "query", "required": required, "description": description, "schema": schema}


def read(raw: Mapping[str, str], declared: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The declared parameters' values: validated and converted, absent ones as their schema's default (or None).

    Any parameter the route does not declare, and every invalid value, is a 400 naming each field."""
    declared = {p["name"]: p for p in declared}
    errors = [{"field": name, "message": "not a parameter of this route"} for name in sorted(set(raw) - set(declared))]
    values: dict[str, Any] = {}
    for name, spec in declared.items():
        schema = spec["schema"]
        if name not in raw:
            if spec.get("required"):
                errors.append({"field": name, "message": "required"})
            values[name] = schema.get("default")
            continue
        value: Any = raw[name]
        if schema.get("type") == "integer":
            if not _INTEGER.fullmatch(value):
                errors.append({"field": name, "message": "not an integer"})
                continue
            value = int(value)
        try:
            values[name] = validate(value, schema)
        except ValidationFailed as exc:
            errors += [{**error, "field": name} for error in exc.errors or [{"message": "invalid"}]]
    if errors:
        first = errors[0]
        detail = (f"Unknown query parameter: {first['field']}" if first["message"] == "not a parameter of this route"
                  else f"{first['field']}: {first['message']}")
        if len({e["field"] for e in errors}) > 1:
            detail = "Invalid query parameters: " + ", ".join(dict.fromkeys(e["field"] for e in errors))
        raise ValidationFailed(detail, errors=errors)
    return values
