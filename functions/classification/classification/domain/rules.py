"""The rules of the scheme: who may do what, what makes a node and its disposal rule valid,
and how a version's nodes form a tree.

A node's fields are checked in two passes: its own fields (`node_errors`: a unit task has a
rule and nothing else has one; retention of 30 years or more is transferred; a closed or partly
open default names at least one ground, an open one none; validity dates in order), then its
place among the others (`tree_errors`: codes unique, each parent present with the level above).
The API and the CSV import share both, so a row of a sheet and a request are held to the same rules.
"""
from __future__ import annotations

import re
from datetime import date
from typing import Any, Callable, Iterable

from shared.auth import ROLES, Caller

from .model import (ACCESS, ACTIONS, GROUNDS, LEVELS, PARENT_LEVEL, RETENTIONS, TRANSFER_RETENTIONS, TRIGGERS, Node,
                    Rule)

EDITORS = ("archivist", "admin")
READERS = ROLES  # every staff role of the organisation reads the scheme
CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")
TITLE_MAX, TEXT_MAX = 200, 2000

Errors = list[dict[str, Any]]


def editor_org(caller: Caller) -> str:
    """Archivists and admins edit, import and publish."""
    return caller.require_org(*EDITORS, holdings="classification schemes")


def reader_org(caller: Caller) -> str:
    return caller.require_org(*READERS, holdings="classification schemes")


def default_action(retention: str) -> str:
    """30 years or more go to the permanent archive; shorter ones come up for review."""
    return "transfer" if retention in TRANSFER_RETENTIONS else "review"


def make_rule(raw: dict[str, Any]) -> Rule:
    """A checked rule (see `rule_errors`) as the entity, with the defaults filled in."""
    access = raw.get("access") or {}
    return Rule(retention=raw["retention"], action=raw.get("action") or default_action(raw["retention"]),
                access=access["classification"], grounds=tuple(sorted(set(access.get("grounds") or ()))),
                trigger=raw.get("trigger") or TRIGGERS[0], notes=raw.get("notes"))


def rule_errors(rule: dict[str, Any], field: Callable[[str], str]) -> Errors:
    """A rule's own flaws; `field` names a part of it (`rule.access.grounds` or `rows[3].grounds`)."""
    errors: Errors = []
    retention, action = rule.get("retention"), rule.get("action")
    access = rule.get("access") or {}
    classification, grounds = access.get("classification"), list(access.get("grounds") or [])
    if retention not in RETENTIONS:
        errors.append(_error(field("retention"), f"one of {', '.join(RETENTIONS)}"))
    if action is not None and action not in ACTIONS:
        errors.append(_error(field("action"), "review or transfer"))
    elif action == "review" and retention in TRANSFER_RETENTIONS:
        errors.append(_error(field("action"), f"retention {retention} is transferred to the archive: "
                                              "the action must be transfer"))
    if rule.get("trigger") not in (None, *TRIGGERS):
        errors.append(_error(field("trigger"), f"one of {', '.join(TRIGGERS)}"))
    if classification not in ACCESS:
        errors.append(_error(field("access"), f"one of {', '.join(ACCESS)}"))
    bad = [g for g in grounds if not isinstance(g, int) or isinstance(g, bool) or g not in GROUNDS]
    if bad:
        errors.append(_error(field("grounds"), "grounds are numbers 1 to 8 (art. 9①)"))
    elif len(set(grounds)) != len(grounds):
        errors.append(_error(field("grounds"), "a ground is named twice"))
    elif classification == "open" and grounds:
        errors.append(_error(field("grounds"), "an open classification has no grounds"))
    elif classification in ("closed", "partly_open") and not grounds:
        errors.append(_error(field("grounds"), f"a {classification} classification names at least one ground"))
    notes = rule.get("notes")
    if notes is not None and (not isinstance(notes, str) or len(notes) > TEXT_MAX):
        errors.append(_error(field("notes"), f"text of at most {TEXT_MAX} characters"))
    return errors


def node_errors(node: dict[str, Any], field: Callable[[str], str] = str,
                rule_field: Callable[[str], str] | None = None) -> Errors:
    """A node's own flaws (fields as the API takes them: `rule` nested, dates as yyyy-mm-dd)."""
    errors: Errors = []
    level, code, parent = node.get("level"), node.get("code"), node.get("parent_code")
    if level not in LEVELS:
        errors.append(_error(field("level"), f"one of {', '.join(LEVELS)}"))
    if not isinstance(code, str) or not CODE.match(code):
        errors.append(_error(field("code"), "1-40 letters, digits, '.', '_' or '-', starting with a letter or digit"))
    if parent is not None and (not isinstance(parent, str) or not CODE.match(parent)):
        errors.append(_error(field("parent_code"), "not a code"))
    elif level == "function" and parent is not None:
        errors.append(_error(field("parent_code"), "a function is at the top: it has no parent"))
    elif level in ("sub_function", "unit_task") and parent is None:
        errors.append(_error(field("parent_code"), f"a {level} names its parent ({PARENT_LEVEL[level]})"))
    elif parent is not None and parent == code:
        errors.append(_error(field("parent_code"), "a node is not its own parent"))
    title = node.get("title")
    if not isinstance(title, str) or not title.strip() or len(title) > TITLE_MAX:
        errors.append(_error(field("title"), f"text of 1 to {TITLE_MAX} characters"))
    description = node.get("description")
    if description is not None and (not isinstance(description, str) or len(description) > TEXT_MAX):
        errors.append(_error(field("description"), f"text of at most {TEXT_MAX} characters"))
    start, end = (_date(node.get(name), field(name), errors) for name in ("valid_from", "valid_to"))
    if start and end and end < start:
        errors.append(_error(field("valid_to"), "before valid_from"))
    rule = node.get("rule")
    if level == "unit_task":
        if rule is None:
            errors.append(_error(field("rule"), "a unit task carries its disposal rule (retention, access)"))
        else:
            errors += rule_errors(rule, rule_field or (lambda name: field(f"rule.{name}")))
    elif rule is not None and level in LEVELS:
        errors.append(_error(field("rule"), "only unit tasks carry a disposal rule"))
    return errors


def tree_errors(nodes: Iterable[dict[str, Any]], field: Callable[[int, str], str]) -> Errors:
    """Flaws of nodes among each other: duplicate codes, missing parents, parents of the wrong level.
    `field(i, name)` names the i-th node's field."""
    errors: Errors = []
    nodes = list(nodes)
    first: dict[str, int] = {}
    for i, node in enumerate(nodes):
        code = node.get("code")
        if code in first:
            errors.append(_error(field(i, "code"), f"{code} is already used by {field(first[code], 'code')}"))
        else:
            first[code] = i
    for i, node in enumerate(nodes):
        parent, wanted = node.get("parent_code"), PARENT_LEVEL.get(node.get("level"))
        if parent is None or wanted is None:
            continue
        if parent not in first:
            errors.append(_error(field(i, "parent_code"), f"no node with code {parent}"))
        elif nodes[first[parent]].get("level") != wanted:
            errors.append(_error(field(i, "parent_code"), f"{parent} is not a {wanted}"))
    return errors


def path_of(node: Node, by_code: dict[str, Node]) -> list[dict[str, str]]:
    """The function and sub-function above a node, top first."""
    path, parent = [], node.parent_code
    while parent is not None and parent in by_code and len(path) < len(LEVELS):
        above = by_code[parent]
        path.append({"level": above.level, "code": above.code, "title": above.title})
        parent = above.parent_code
    return list(reversed(path))


def tree_order(nodes: Iterable[Node]) -> list[Node]:
    """Depth first, children by code: each function, then its sub-functions, each with its unit tasks."""
    children: dict[str | None, list[Node]] = {}
    for node in nodes:
        children.setdefault(node.parent_code, []).append(node)
    codes = {n.code for nodes_ in children.values() for n in nodes_}
    ordered: list[Node] = []
    # roots: functions, and (defensively) anything whose parent is not in the set
    stack = sorted([n for parent, kids in children.items() if parent is None or parent not in codes for n in kids],
                   key=lambda n: n.code, reverse=True)
    while stack:
        node = stack.pop()
        ordered.append(node)
        stack.extend(sorted(children.get(node.code, ()), key=lambda n: n.code, reverse=True))
    return ordered


def _date(value: Any, name: str, errors: Errors) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else _raise()
    except ValueError:
        errors.append(_error(name, "a calendar date, yyyy-mm-dd"))
        return None


def _raise() -> date:
    raise ValueError


def _error(field: str, message: str) -> dict[str, Any]:
    return {"field": field, "message": message}
