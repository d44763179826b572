"""A scheme as a spreadsheet: importing a CSV sheet into a draft (all of it or nothing) and
exporting any version as CSV or JSON.

Import, and why nothing is ever half-imported: the sheet is parsed and checked whole first
(every flaw of every row in one 422). A valid sheet is written as a new node set that nothing
names yet (batch writes; a retry with the same Idempotency-Key rewrites the same set), then one
conditional write switches the draft to it — conditional on the draft's ETag (If-Match), so an
edit made meanwhile is not silently overwritten. Until that write readers see the old draft,
after it the new one; the old set is then dropped (best effort).
"""
from __future__ import annotations

from typing import Any

from shared.auth import Caller
from shared.concurrency import stale
from shared.events import now_iso
from shared.idempotency import derived_id
from shared.problems import Problem

from ..data import nodes as node_store
from ..data import schemes as store
from ..domain import sheet
from ..domain.model import Node, SchemeVersion
from ..domain.problems import SheetRejected
from ..domain.rules import editor_org, make_rule, reader_org, tree_order
from .common import event, find_draft, find_version, scheme_subject


def import_sheet(caller: Caller, number: str, body: dict[str, Any], expected_version: int,
                 idempotency_key: str | None) -> SchemeVersion:
    org_id = editor_org(caller)
    version = find_draft(org_id, number)
    if version.version != expected_version:
        raise stale("draft")
    rows, errors = sheet.parse(body["csv"])
    if errors:
        rows_flawed = len({e["field"].split("]")[0] for e in errors if e["field"].startswith("rows[")})
        raise SheetRejected(f"The sheet has {len(errors)} flaws in {rows_flawed} rows (and was not imported): "
                            f"{errors[0]['field']}: {errors[0]['message']}", errors=errors)
    stamp = now_iso()
    # A retry with the same key rewrites the same set; the draft's ETag in the scope keeps that set
    # apart from the live one even when a key comes back after the idempotency window.
    set_id = derived_id(f"import|{org_id}|{version.number}|{version.version}|{caller.user_id}", idempotency_key)
    children: dict[str, int] = {}
    for row in rows:
        if row["parent_code"]:
            children[row["parent_code"]] = children.get(row["parent_code"], 0) + 1
    nodes = [Node(org_id=org_id, set_id=set_id, code=row["code"], level=row["level"], title=row["title"],
                  parent_code=row["parent_code"], description=row["description"], valid_from=row["valid_from"],
                  valid_to=row["valid_to"], rule=make_rule(row["rule"]) if row["rule"] else None,
                  children=children.get(row["code"], 0), created_at=stamp, updated_at=stamp) for row in rows]
    node_store.write_set(nodes)
    tasks = sum(n.level == "unit_task" for n in nodes)
    after = version.with_changes(set_id=set_id, node_count=len(nodes), unit_task_count=tasks,
                                 version=version.version + 1, imported_at=stamp, updated_at=stamp)
    try:
        store.switch_set(version, after, event("SchemeDraftImported", [scheme_subject(org_id)],
                                               {"scheme_version": version.number, "node_count": len(nodes),
                                                "unit_task_count": tasks}, caller.as_actor()))
    except Problem as refused:  # the draft moved on (an edit, another import, publishing): drop what we staged
        if refused.status < 500:
            node_store.delete_set(org_id, set_id)
        raise
    node_store.delete_set(org_id, version.set_id)
    return after


def export(caller: Caller, number: str) -> tuple[SchemeVersion, list[Node]]:
    version = find_version(reader_org(caller), number)
    return version, tree_order(node_store.all_nodes(version.org_id, version.set_id))


def export_json(version: SchemeVersion, nodes: list[Node]) -> dict[str, Any]:
    return {**version.public(), "nodes": [n.public(version.number) for n in nodes]}


def export_csv(nodes: list[Node]) -> str:
    return sheet.render(nodes)
