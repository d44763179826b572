"""The domain-event envelope every capability publishes.

On the bus: Source = "records.<capability>", DetailType = the event type, Detail =
this envelope. `subjects` lists every entity whose history the event belongs to
(a move touches a box and two shelves), which is what the audit trail indexes.

A capability makes its events with one `EventFactory` bound to its name (the source), which
stamps the correlation id of the invocation that raises the event; `system_actor` names
the actor when no person acts (a saga step, a scheduled job, a consumer).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any
import uuid

from shared.clock import iso_instant
from shared.observability import correlation_id

SCHEMA_VERSION = 1
SOURCE_PREFIX = "records."


def now_iso() -> str:
    return iso_instant()


def system_actor(org_id: str | None = None, **details: Any) -> dict[str, Any]:
    """The actor of a change no person made: a saga step, a job, a consumer (details: loan_id, ...)."""
    return {"user_id": "system", "org_id": org_id, **details}


@dataclass(frozen=True)
class Subject:
    kind: str  # e.g. "organisation", "user", "box"
    id: str
    org_id: str | None = None


@dataclass(frozen=True)
class DomainEvent:
    type: str  # PascalCase past tense, e.g. "UserProvisioned"
    source: str  # "records.identity"
    subjects: tuple[Subject, ...]
    payload: dict[str, Any]
    actor: dict[str, Any]
    correlation_id: str | None
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    occurred_at: str = field(default_factory=now_iso)
    schema_version: int = SCHEMA_VERSION

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["subjects"] = [asdict(s) for s in self.subjects]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "DomainEvent":
        return cls(
            type=data["type"], source=data["source"],
            subjects=tuple(Subject(**s) for s in data["subjects"]),
            payload=data.get("payload") or {}, actor=data.get("actor") or {},
            correlation_id=data.get("correlation_id"), id=data["id"],
            occurred_at=data["occurred_at"], schema_version=data.get("schema_version", SCHEMA_VERSION),
        )


def new_event(capability: str, type_: str, subjects: list[Subject], payload: dict[str, Any], *,
              actor: dict[str, Any], correlation_id: str | None) -> DomainEvent:
    return DomainEvent(type=type_, source=SOURCE_PREFIX + capability, subjects=tuple(subjects),
                       payload=payload, actor=actor, correlation_id=correlation_id)


@dataclass(frozen=True)
class EventFactory:
    """A capability's events: `event = EventFactory("stacks")`, then `event(type_, subjects, payload, actor)`."""
    capability: str

    def __call__(self, type_: str, subjects: list[Subject], payload: dict[str, Any],
                 actor: dict[str, Any]) -> DomainEvent:
        return new_event(self.capability, type_, subjects, payload, actor=actor, correlation_id=correlation_id())
