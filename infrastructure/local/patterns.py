"""EventBridge event patterns, as Lambda's event filtering applies them to records.

Supported: exact values (strings, numbers, booleans, null), prefix, suffix,
equals-ignore-case, wildcard, anything-but (a value, a list or a prefix/suffix),
exists and numeric. A field holding a list matches when any of its items does.
"""
from __future__ import annotations

import fnmatch
import operator
from typing import Any

_NUMERIC = {"=": operator.eq, "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


def matches(pattern: dict[str, Any], event: Any) -> bool:
    for key, expected in pattern.items():
        present = isinstance(event, dict) and key in event
        value = event[key] if present else None
        if isinstance(expected, dict):
            if not present or not matches(expected, value):
                return False
        elif not any(_matches_rule(rule, present, value) for rule in expected):
            return False
    return True


def _matches_rule(rule: Any, present: bool, value: Any) -> bool:
    if isinstance(rule, dict) and "exists" in rule:
        return present == bool(rule["exists"])
    if not present:
        return False
    values = value if isinstance(value, list) else [value]
    if isinstance(rule, dict):
        (name, argument), = rule.items()
        return any(_operator(name, argument, v) for v in values)
    return any((v == rule and type(v) is type(rule)) or _same_number(v, rule) for v in values)


def _same_number(a: Any, b: Any) -> bool:
    numbers = (int, float)
    return isinstance(a, numbers) and isinstance(b, numbers) and not isinstance(a, bool) \
        and not isinstance(b, bool) and a == b


def _operator(name: str, argument: Any, value: Any) -> bool:
    if name == "anything-but":
        if isinstance(argument, dict):
            (inner, inner_argument), = argument.items()
            return not _operator(inner, inner_argument, value)
        excluded = argument if isinstance(argument, list) else [argument]
        return not any(_matches_rule(e, True, value) for e in excluded)
    if name == "numeric":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        pairs = zip(argument[::2], argument[1::2])
        return all(_NUMERIC[op](value, bound) for op, bound in pairs)
    if not isinstance(value, str):
        return False
    if name == "prefix":
        if isinstance(argument, dict):  # {"prefix": {"equals-ignore-case": "x"}}
            return value.lower().startswith(argument["equals-ignore-case"].lower())
        return value.startswith(argument)
    if name == "suffix":
        if isinstance(argument, dict):
            return value.lower().endswith(argument["equals-ignore-case"].lower())
        return value.endswith(argument)
    if name == "equals-ignore-case":
        return value.lower() == argument.lower()
    if name == "wildcard":
        return fnmatch.fnmatchcase(value, argument.replace("[", "[[]"))
    raise ValueError(f"unsupported event pattern operator: {name}")
