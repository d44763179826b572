"""Request validation against JSON Schemas.

Each capability declares its request schemas once (in its `schemas` module); the
same dicts validate requests here and are published in the OpenAPI document, so
the contract and the checks cannot drift apart. Schemas compile once per process.

Valid requests take the fast path only (fastjsonschema, which stops at the first
failure). A failing request is checked again by jsonschema's Draft 2020-12 validator
to name every offending field, so a form can mark them all; jsonschema is imported on
that path only, keeping it off the cold start of a valid call.
"""
from __future__ import annotations

import re
from datetime import date
from typing import Any

import fastjsonschema

from shared.problems import Problem, ValidationFailed


_COMPILED: dict[int, tuple[dict[str, Any], Any]] = {}


def _compiled(schema: dict[str, Any]):
    """Schemas are module constants: compile each once per process (keyed by identity)."""
    entry = _COMPILED.get(id(schema))
    if entry is None or entry[0] is not schema:
        entry = _COMPILED[id(schema)] = (schema, fastjsonschema.compile(schema))
    return entry[1]


def validate(instance: Any, schema: dict[str, Any]) -> Any:
    """Return `instance` (with schema defaults applied) or raise ValidationFailed naming every bad field."""
    try:
        return _compiled(schema)(instance)
    except fastjsonschema.JsonSchemaValueException as exc:
        field = _field_of(exc) or "body"
        first = {"field": field, "message": exc.message, "rule": exc.rule}
        raise ValidationFailed(
            f"{field}: {exc.message.replace('data.', '').replace('data ', 'body ')}",
            errors=_every_error(instance, schema, first),
        ) from None


def _every_error(instance: Any, schema: dict[str, Any], first: dict[str, str]) -> list[dict[str, str]]:
    """One entry per offending field, the fast path's first failure first (as before).

    The fast path's entry stands alone when jsonschema finds nothing there (the two
    libraries check a few formats differently); duplicates of one (field, rule) collapse.
    """
    from jsonschema import Draft202012Validator  # the failure path only

    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    found = [entry for error in validator.iter_errors(instance) for entry in _entries(error)]
    same = [entry for entry in found if (entry["field"], entry["rule"]) == (first["field"], first["rule"])]
    errors = [same[0] if same else first]
    seen = {(errors[0]["field"], errors[0]["rule"])}
    for entry in found:
        if (entry["field"], entry["rule"]) not in seen:
            seen.add((entry["field"], entry["rule"]))
            errors.append(entry)
    return errors


def _entries(error) -> list[dict[str, str]]:
    """A jsonschema error as `errors[]` entries: a missing or unknown property is its own entry."""
    path = [str(p) for p in error.absolute_path]
    if error.validator == "required" and isinstance(error.instance, dict):
        missing = [k for k in error.validator_value if k not in error.instance]
        return [_entry(path + [name], f"{name} is required", "required") for name in missing]
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = set(error.schema.get("properties", {}))
        patterns = error.schema.get("patternProperties", {})
        unknown = [k for k in error.instance if k not in allowed and not _matches_any(k, patterns)]
        if unknown:
            return [_entry(path + [name], f"{name} is not allowed", "additionalProperties") for name in unknown]
    return [_entry(path, error.message, str(error.validator))]


def _entry(path: list[str], message: str, rule: str) -> dict[str, str]:
    return {"field": ".".join(path) or "body", "message": message, "rule": rule}


def _matches_any(name: str, patterns: dict[str, Any]) -> bool:
    return any(re.search(pattern, name) for pattern in patterns)


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


# ------------------------------------------------ rules a schema cannot say, checked in logic
def calendar_date(value: str | None, field: str, errors: list[dict[str, Any]]) -> date | None:
    """A yyyy-mm-dd date from input; a bad one is added to `errors` (so every bad field is listed)."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors.append({"field": field, "message": "not a calendar date"})
        return None


def refuse_if(errors: list[dict[str, Any]], problem: type[Problem] | None = None) -> None:
    """Raise one problem listing every bad field (ValidationFailed unless `problem` names another 4xx)."""
    if errors:
        raise (problem or ValidationFailed)(f"{errors[0]['field']}: {errors[0]['message']}", errors=errors)
