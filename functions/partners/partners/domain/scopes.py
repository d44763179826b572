"""What a partner client may reach: route scopes (shared.auth.PARTNER_SCOPES) and event types.

Event types are matched by pattern: `<capability>.<EventType>`, `<capability>.*` or `*`, where
the capability is the event's source without `records.`. Patterns, not a list of known types,
so the events of capabilities added later are reachable without touching partners.
"""
from __future__ import annotations

from typing import Iterable

SOURCE_PREFIX = "records."


def event_name(source: str, type_: str) -> str:
    """`records.stacks` + `BoxPlaced` → `stacks.BoxPlaced`."""
    return f"{source.removeprefix(SOURCE_PREFIX)}.{type_}"


def event_allowed(patterns: Iterable[str], source: str, type_: str) -> bool:
    name = event_name(source, type_)
    capability = name.split(".", 1)[0]
    return any(p == "*" or p == name or p == f"{capability}.*" for p in patterns)
