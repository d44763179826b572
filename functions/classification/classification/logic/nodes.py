"""The nodes of a version: reading them, editing a draft's (create, update, delete with If-Match),
and looking a unit task up by code in the current version (what records files under)."""
from __future__ import annotations

from typing import Any

from shared.auth import Caller, not_found, require_found
from shared.concurrency import stale
from shared.events import now_iso
from shared.problems import Conflict, ValidationFailed

from ..data import nodes as store
from ..data import schemes as scheme_store
from ..domain.model import Node, SchemeVersion
from ..domain.rules import editor_org, make_rule, node_errors, reader_org
from .common import event, find_draft, find_version, scheme_subject


def list_nodes(caller: Caller, number: str, limit: int, cursor: str | None) -> tuple[list[dict], str | None]:
    version = find_version(reader_org(caller), number)
    nodes, next_cursor = store.list_nodes(version.org_id, version.set_id, limit, cursor)
    return [n.public(version.number) for n in nodes], next_cursor


def get_node(caller: Caller, number: str, code: str) -> tuple[Node, int]:
    version = find_version(reader_org(caller), number)
    return require_found(store.get_node(version.org_id, version.set_id, code), "node"), version.number


def unit_task(caller: Caller, code: str) -> tuple[Node, int]:
    """A unit task of the current (newest published) version."""
    org_id = reader_org(caller)
    scheme = scheme_store.get_scheme(org_id)
    if scheme is None or scheme.current_set is None:
        raise not_found("unit task")
    node = store.get_node(org_id, scheme.current_set, code)
    if node is None or node.level != "unit_task":
        raise not_found("unit task")
    return node, scheme.current


def _checked(fields: dict[str, Any]) -> None:
    errors = node_errors(fields)
    if errors:
        raise ValidationFailed(f"{errors[0]['field']}: {errors[0]['message']}", errors=errors)


def create_node(caller: Caller, number: str, body: dict[str, Any]) -> tuple[Node, int]:
    """A function, sub-function or unit task in a draft; its parent must be there with the level above.
    The code names the node in its version, so a retried create (same code) is a 409, never a twin."""
    version = find_draft(editor_org(caller), number)
    fields = {name: body.get(name) for name in ("level", "code", "parent_code", "title", "description", "valid_from",
                                                "valid_to", "rule")}
    _checked(fields)
    stamp = now_iso()
    node = Node(org_id=version.org_id, set_id=version.set_id, code=fields["code"], level=fields["level"],
                title=fields["title"].strip(), parent_code=fields["parent_code"], description=fields["description"],
                valid_from=fields["valid_from"], valid_to=fields["valid_to"],
                rule=make_rule(fields["rule"]) if fields["rule"] else None, created_at=stamp, updated_at=stamp)
    store.create_node(version, node, _node_event("SchemeNodeCreated", version, node, caller))
    return node, version.number


def update_node(caller: Caller, number: str, code: str, changes: dict[str, Any],
                expected_version: int) -> tuple[Node, int]:
    """Title, description, validity, parent (within the level above) and, for a unit task, its rule
    (the rule's members merge into the current rule, then the whole is checked again)."""
    version = find_draft(editor_org(caller), number)
    before = require_found(store.get_node(version.org_id, version.set_id, code, consistent=True), "node")
    if before.version != expected_version:
        raise stale("node")
    fields = {"level": before.level, "code": before.code, "parent_code": before.parent_code, "title": before.title,
              "description": before.description, "valid_from": before.valid_from, "valid_to": before.valid_to,
              "rule": before.rule.public() if before.rule else None}
    for name in ("title", "description", "valid_from", "valid_to", "parent_code"):
        if name in changes:
            fields[name] = changes[name]
    if "rule" in changes:
        if before.level != "unit_task":
            raise ValidationFailed("rule: only unit tasks carry a disposal rule.",
                                   errors=[{"field": "rule", "message": "only unit tasks carry a disposal rule"}])
        fields["rule"] = {**(fields["rule"] or {}), **changes["rule"]}
    _checked(fields)
    after = before.with_changes(
        title=fields["title"].strip(), description=fields["description"], valid_from=fields["valid_from"],
        valid_to=fields["valid_to"], parent_code=fields["parent_code"],
        rule=make_rule(fields["rule"]) if fields["rule"] else None, version=before.version + 1, updated_at=now_iso())
    if after == before.with_changes(version=after.version, updated_at=after.updated_at):
        return before, version.number  # nothing changes: no write, no event
    store.update_node(version, before, after, _node_event("SchemeNodeUpdated", version, after, caller))
    return after, version.number


def delete_node(caller: Caller, number: str, code: str, expected_version: int) -> SchemeVersion:
    """Only a node with nothing under it (409 otherwise); answers the draft as it is now."""
    version = find_draft(editor_org(caller), number)
    node = require_found(store.get_node(version.org_id, version.set_id, code, consistent=True), "node")
    if node.version != expected_version:
        raise stale("node")
    if node.children:
        raise Conflict(f"{code} still has {node.children} nodes under it: delete or move them first.")
    store.delete_node(version, node, expected_version, _node_event("SchemeNodeDeleted", version, node, caller))
    return require_found(scheme_store.get_version(version.org_id, version.number, consistent=True), "scheme version")


def _node_event(type_: str, version: SchemeVersion, node: Node, caller: Caller):
    return event(type_, [scheme_subject(version.org_id)], node.public(version.number), caller.as_actor())
