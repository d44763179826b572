"""The change feed: every organisation's domain events in the order partners received them.

The partners capability keeps its own copy of every capability's events (consumer.py, fed by a
bus rule on every `records.*` source, so capabilities added later flow in too). Each event is
appended to the feed of each organisation its subjects belong to, once, and numbered: an
organisation's feed is a gapless sequence 1, 2, 3... Appends are serialised per organisation
(data/feed.py), so an entry is never committed behind one a reader has already passed: a cursor
that moved past n never misses an entry at or below n. Entries are kept 30 days.
"""
from __future__ import annotations

from typing import Any, Iterable

from .scopes import event_allowed

RETENTION_SECONDS = 30 * 86_400
MAX_WAIT_SECONDS = 20  # a long poll; API Gateway's integration timeout is 29 s


def organisations_of(envelope: dict[str, Any]) -> list[str]:
    """The organisations whose feed an event belongs to: its subjects', else its actor's."""
    orgs = [s.get("org_id") for s in envelope.get("subjects") or [] if s.get("org_id")]
    if not orgs and (envelope.get("actor") or {}).get("org_id"):
        orgs = [envelope["actor"]["org_id"]]
    return list(dict.fromkeys(orgs))


def visible(envelope: dict[str, Any], patterns: Iterable[str]) -> bool:
    return event_allowed(patterns, envelope.get("source", ""), envelope.get("type", ""))


def entry(envelope: dict[str, Any], cursor: str) -> dict[str, Any]:
    """An event as the feed shows it; `cursor` resumes right after it."""
    return {"cursor": cursor, "id": envelope["id"], "type": envelope["type"], "source": envelope["source"],
            "occurred_at": envelope["occurred_at"], "subjects": envelope.get("subjects") or [],
            "payload": envelope.get("payload") or {}, "actor": envelope.get("actor") or {},
            "correlation_id": envelope.get("correlation_id")}
