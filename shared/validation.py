"""Request validation against JSON Schemas.

Each capability declares its request schemas once (in its `schemas` module); the
same dicts validate requests here and are published in the OpenAPI document, so
the contract and the checks cannot drift apart. Schemas compile once per process.
"""
from __future__ import annotations

from typing import Any

import fastjsonschema

from shared.problems import ValidationFailed


_COMPILED: dict[int, tuple[dict[str, Any], Any]] = {}


def _compiled(schema: dict[str, Any]):
    """Schemas are module constants: compile each once per process (keyed by identity)."""
    entry = _COMPILED.get(id(schema))
    if entry is None or entry[0] is not schema:
        entry = _COMPILED[id(schema)] = (schema, fastjsonschema.compile(schema))
    return entry[1]


def validate(instance: Any, schema: dict[str, Any]) -> Any:
    """Return `instance` (with schema defaults applied) or raise ValidationFailed."""
    try:
        return _compiled(schema)(instance)
    except fastjsonschema.JsonSchemaValueException as exc:
        field = _field_of(exc)
        raise ValidationFailed(
            f"{field or 'body'}: {exc.message.replace('data.', '').replace('data ', 'body ')}",
            errors=[{"field": field or "body", "message": exc.message, "rule": exc.rule}],
        ) from None


def _field_of(exc: fastjsonschema.JsonSchemaValueException) -> str:
    path = [str(p) for p in (exc.path or [])][1:]  # drop the leading "data"
    if exc.rule == "additionalProperties" and isinstance(exc.value, dict) and isinstance(exc.definition, dict):
        allowed = set(exc.definition.get("properties", {}))
        unknown = sorted(set(exc.value) - allowed)
        if unknown:
            path.append(unknown[0])
    elif exc.rule == "required" and isinstance(exc.definition, dict) and isinstance(exc.value, dict):
        missing = [k for k in exc.definition.get("required", []) if k not in exc.value]
        if missing:
            path.append(missing[0])
    return ".".join(path)
