"""The classification scheme as the classification capability sees it.

An organisation has one scheme (`Scheme`, its head: which version is current, which is the
draft). Each `SchemeVersion` is numbered 1, 2, 3...; its nodes (`Node`: functions →
sub-functions → unit tasks, 단위과제) live in a node set (`set_id`) that belongs to that version
alone, so an import can build a whole new set aside and switch the version to it in one write.
A unit task carries its disposal rule (`Rule`, 기록관리기준표).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

LEVELS = ("function", "sub_function", "unit_task")
# The level a node's parent has (functions are roots).
PARENT_LEVEL = {"function": None, "sub_function": "function", "unit_task": "sub_function"}
# Retention periods (보존기간), the codes stacks and records use too.
RETENTIONS = ("1y", "3y", "5y", "10y", "30y", "semi_permanent", "permanent")
# Kept 30 years or more: the file goes to the permanent archive when its retention runs out.
TRANSFER_RETENTIONS = ("30y", "semi_permanent", "permanent")
ACTIONS = ("review", "transfer")
TRIGGERS = ("year_after_closing",)  # 1 January of the year after the file is closed
ACCESS = ("open", "partly_open", "closed")  # 공개 / 부분공개 / 비공개
GROUNDS = tuple(range(1, 9))  # Official Information Disclosure Act art. 9①(1–8)
VERSION_STATUSES = ("draft", "publishing", "published")


@dataclass(frozen=True)
class Rule:
    """A unit task's disposal rule: how long its files are kept, from when, what happens then,
    and their default access classification."""

    retention: str
    action: str
    access: str
    grounds: tuple[int, ...] = ()
    trigger: str = "year_after_closing"
    notes: str | None = None

    def public(self) -> dict[str, Any]:
        return {"retention": self.retention, "trigger": self.trigger, "action": self.action,
                "access": {"classification": self.access, "grounds": list(self.grounds)}, "notes": self.notes}


@dataclass(frozen=True)
class Node:
    """A function, sub-function or unit task of one version's node set, named by its code."""

    org_id: str
    set_id: str
    code: str
    level: str
    title: str
    parent_code: str | None = None
    description: str | None = None
    valid_from: str | None = None
    valid_to: str | None = None
    rule: Rule | None = None  # unit tasks only
    children: int = 0
    version: int = 1
    created_at: str = ""
    updated_at: str = ""

    def public(self, scheme_version: int) -> dict[str, Any]:
        return {"scheme_version": scheme_version, "code": self.code, "level": self.level,
                "parent_code": self.parent_code, "title": self.title, "description": self.description,
                "valid_from": self.valid_from, "valid_to": self.valid_to,
                "rule": self.rule.public() if self.rule else None, "children": self.children,
                "version": self.version, "created_at": self.created_at, "updated_at": self.updated_at}

    def with_changes(self, **changes: Any) -> "Node":
        return replace(self, **changes)


@dataclass(frozen=True)
class SchemeVersion:
    """One version of the scheme: a draft while edited, published (never to change) after.
    `version` is its ETag (every edit of the draft moves it); `number` is the scheme version."""

    org_id: str
    number: int
    set_id: str
    status: str = "draft"
    based_on: int | None = None
    node_count: int = 0
    unit_task_count: int = 0
    version: int = 1
    created_by: str = ""
    created_at: str = ""
    updated_at: str = ""
    imported_at: str | None = None
    published_at: str | None = None
    published_by: str | None = None

    def public(self) -> dict[str, Any]:
        return {"scheme_version": self.number, "status": self.status, "based_on": self.based_on,
                "node_count": self.node_count, "unit_task_count": self.unit_task_count, "version": self.version,
                "created_by": self.created_by, "created_at": self.created_at, "updated_at": self.updated_at,
                "imported_at": self.imported_at, "published_at": self.published_at,
                "published_by": self.published_by}

    def with_changes(self, **changes: Any) -> "SchemeVersion":
        return replace(self, **changes)


@dataclass(frozen=True)
class Scheme:
    """The head of an organisation's scheme: the newest number given out, the current
    (newest published) version and its node set, and the open draft if any."""

    org_id: str
    latest: int = 0
    current: int | None = None
    current_set: str | None = None
    draft: int | None = None
    version: int = 1
    updated_at: str = ""

    def with_changes(self, **changes: Any) -> "Scheme":
        return replace(self, **changes)
